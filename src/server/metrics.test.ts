import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, it } from 'node:test';
import { createCompanion, type Companion } from './app.js';
import type { GatewayCompanionConfig } from './companion-config.js';
import type { ErrorContext } from './errors.js';
import { MemoryGatewayStore } from './gateway/memory-store.js';
import { Relay } from './gateway/relay.js';
import { MemoryMattermost, testGatewayConfig } from './gateway/test-support.js';
import type { ReadinessReport } from './health-route.js';
import { silentLogger } from './logger.js';
import { HttpMattermostAdmin, MattermostError } from './mattermost-admin.js';
import { mattermostRoute, noMetrics, PrometheusCompanionMetrics } from './metrics.js';
import {
  captureLogger,
  cookieOf,
  nodeEnv,
  parseMetricsText,
  postSession,
  TEST,
  testCompanion,
  testConfig,
  type MetricSample,
} from './test-support.js';

const METRICS_TOKEN = 'metrics-token-metrics-token-0123';

type Sample = MetricSample;
const parse = parseMetricsText;

/** The value of the one sample matching name and labels (undefined when there is none). */
function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  assert.ok(found.length <= 1, `${name} ${JSON.stringify(labels)} matches ${found.length} samples`);
  return found[0]?.value;
}

async function scrape(companion: Companion, token = METRICS_TOKEN): Promise<{ text: string; samples: Sample[] }> {
  const res = await companion.fetch(new Request('http://companion.test/metrics', { headers: { Authorization: `Bearer ${token}` } }));
  assert.equal(res.status, 200, await res.clone().text());
  const text = await res.text();
  return { text, samples: parse(text) };
}

/** A gateway-mode companion over an in-memory Mattermost and store. */
function gatewayCompanion(
  overrides: Partial<GatewayCompanionConfig> = {},
  options: { onError?: (e: unknown, c: ErrorContext) => void } = {},
) {
  const mm = new MemoryMattermost();
  const store = new MemoryGatewayStore();
  const config = {
    ...testConfig(),
    ...testGatewayConfig({ adminToken: mm.adminToken, supportChannelId: mm.channelId }),
    mode: 'gateway',
    metricsToken: METRICS_TOKEN,
    ...overrides,
  } as GatewayCompanionConfig;
  const companion = createCompanion(config, {
    logger: silentLogger,
    onError: options.onError,
    gateway: { store, mattermost: (token) => mm.clientFor(token), connectWaitMs: 0, botSocket: { minBackoffMs: 60_000 } },
  });
  running.push(companion);
  const call = async (method: string, path: string, init: { token?: string; body?: unknown; cookie?: string } = {}) => {
    const headers: Record<string, string> = {};
    if (init.token) headers.Authorization = `Bearer ${init.token}`;
    if (init.cookie) headers.Cookie = init.cookie;
    if (init.body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await companion.fetch(
      new Request(`http://companion.test${path}`, {
        method,
        headers,
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      }),
      nodeEnv('203.0.113.9'),
    );
    const text = await res.text();
    return { res, status: res.status, json: text ? JSON.parse(text) : undefined };
  };
  return { companion, mm, store, call };
}

const running: Companion[] = [];
afterEach(async () => {
  for (const c of running.splice(0)) await c.stop();
});

describe('mattermostRoute', () => {
  it('keeps the API words and replaces ids, names and queries', () => {
    const id = 'abcdefghijklmnopqrstuvwxyz';
    assert.equal(mattermostRoute(`/api/v4/users/${id}/tokens?page=0&per_page=200`), '/api/v4/users/{id}/tokens');
    assert.equal(mattermostRoute(`/api/v4/posts/${id}/thread?perPage=60`), '/api/v4/posts/{id}/thread');
    assert.equal(mattermostRoute('/api/v4/posts?set_online=false'), '/api/v4/posts');
    assert.equal(mattermostRoute('/api/v4/users/username/visitor-3f2a9c'), '/api/v4/users/username/{username}');
    assert.equal(mattermostRoute('/api/v4/users/username/alice'), '/api/v4/users/username/{username}');
    assert.equal(
      mattermostRoute(`/api/v4/teams/${id}/channels/name/visitor-3f2a9c?include_deleted=true`),
      '/api/v4/teams/{id}/channels/name/{name}',
    );
    assert.equal(mattermostRoute(`/api/v4/channels/${id}/members/${id}`), '/api/v4/channels/{id}/members/{id}');
    assert.equal(mattermostRoute('/api/v4/users/tokens/revoke'), '/api/v4/users/tokens/revoke');
    assert.equal(mattermostRoute('/api/v4/system/ping'), '/api/v4/system/ping');
    // A token-looking segment (all letters, 26 long) is never kept, nor anything with digits or dashes.
    assert.equal(mattermostRoute('/api/v4/users/abcdefghijklmnopqrstuvwxyz'), '/api/v4/users/{id}');
    assert.equal(mattermostRoute('/api/v4/files/a1-b2'), '/api/v4/files/{id}');
  });
});

describe('GET /metrics', () => {
  it('is not served without PORTHOLE_METRICS_TOKEN', async () => {
    const { companion } = testCompanion();
    const res = await companion.fetch(
      new Request('http://companion.test/metrics', { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } }),
    );
    assert.equal(res.status, 404);
    assert.equal((await res.json()).error.code, 'not_found');
  });

  it('answers 401 without the token or with a wrong one, and the text format with the right one (no CORS headers)', async () => {
    const { companion } = testCompanion({ metricsToken: METRICS_TOKEN });
    const none = await companion.fetch(new Request('http://companion.test/metrics'));
    assert.equal(none.status, 401);
    const noneBody = await none.json();
    assert.equal(noneBody.error.code, 'unauthorized');
    assert.match(noneBody.error.message, /Authorization: Bearer <PORTHOLE_METRICS_TOKEN>/);
    assert.equal(none.headers.get('WWW-Authenticate'), 'Bearer realm="metrics"');

    for (const wrong of ['nope', `${METRICS_TOKEN}x`, METRICS_TOKEN.slice(0, -1)]) {
      const res = await companion.fetch(new Request('http://companion.test/metrics', { headers: { Authorization: `Bearer ${wrong}` } }));
      assert.equal(res.status, 401, wrong);
      assert.equal((await res.json()).error.code, 'unauthorized');
    }
    const basic = await companion.fetch(
      new Request('http://companion.test/metrics', { headers: { Authorization: `Basic ${btoa(`x:${METRICS_TOKEN}`)}` } }),
    );
    assert.equal(basic.status, 401);

    const res = await companion.fetch(
      new Request('http://companion.test/metrics', { headers: { Authorization: `Bearer ${METRICS_TOKEN}`, Origin: TEST.origin } }),
    );
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('Content-Type'), 'text/plain; version=0.0.4; charset=utf-8');
    assert.equal(res.headers.get('Cache-Control'), 'no-store');
    assert.equal(res.headers.get('Access-Control-Allow-Origin'), null);
    assert.equal(res.headers.get('Access-Control-Allow-Credentials'), null);
    const samples = parse(await res.text());
    assert.ok((value(samples, 'porthole_process_resident_memory_bytes') ?? 0) > 0);
    assert.notEqual(value(samples, 'porthole_nodejs_eventloop_lag_p99_seconds'), undefined);
    // The refused scrapes were counted as error responses.
    assert.equal(value(samples, 'porthole_http_errors_total', { code: 'unauthorized', status: '401' }), 5);
  });

  it('refuses a metricsRoute without a token', async () => {
    const { metricsRoute } = await import('./metrics-route.js');
    assert.throws(() => metricsRoute({ token: '', metrics: noMetrics }), /expected a non-empty token string; received an empty string/);
  });
});

describe('direct mode metrics', () => {
  it('counts new, returning and refused sessions by reason, conversations, errors and rate limits; seats and readiness at scrape', async () => {
    const { companion, mm } = testCompanion({ metricsToken: METRICS_TOKEN });
    mm.hardLimit = 40;
    const first = await postSession(companion, { body: { name: 'Ada' } });
    assert.equal(first.status, 200);
    const again = await postSession(companion, { cookie: cookieOf(first) });
    assert.equal(again.status, 200);
    const invalid = await postSession(companion, { body: { nope: 1 }, ip: '198.51.100.1' });
    assert.equal(invalid.status, 400);
    const forged = await postSession(companion, { body: { identity: 'not.a.jwt' }, ip: '198.51.100.1' });
    assert.equal(forged.status, 401);
    // rateLimitPerMinute is 5 in the test configuration: the sixth from one address is refused.
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await postSession(companion, { ip: '198.51.100.2' })).status);
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429]);

    const { text, samples } = await scrape(companion);
    const sessions = (labels: Record<string, string>) => value(samples, 'porthole_sessions_total', { mode: 'direct', ...labels });
    assert.equal(sessions({ outcome: 'new' }), 6);
    assert.equal(sessions({ outcome: 'returning' }), 1);
    assert.equal(sessions({ outcome: 'refused', reason: 'invalid_body' }), 1);
    assert.equal(sessions({ outcome: 'refused', reason: 'invalid_identity' }), 1);
    assert.equal(sessions({ outcome: 'refused', reason: 'rate_limited' }), 1);
    assert.equal(value(samples, 'porthole_conversations_started_total', { mode: 'direct' }), 6);
    assert.equal(value(samples, 'porthole_rate_limited_total', { limit: 'session_address' }), 1);
    assert.equal(value(samples, 'porthole_http_errors_total', { code: 'invalid_body', status: '400' }), 1);
    assert.equal(value(samples, 'porthole_http_errors_total', { code: 'rate_limited', status: '429' }), 1);
    assert.equal(value(samples, 'porthole_ready'), 1);
    assert.equal(value(samples, 'porthole_mattermost_up'), 1);
    const active = [...mm.users.values()].filter((u) => !u.delete_at).length;
    assert.equal(value(samples, 'porthole_seat_headroom'), 40 - active);
    // Gateway-only and Redis gauges are absent in direct mode without Redis.
    for (const name of ['porthole_live_sockets', 'porthole_store_up', 'porthole_bot_socket_connected', 'porthole_redis_up'])
      assert.equal(value(samples, name), undefined, name);
    // A label never holds a secret.
    for (const secret of [METRICS_TOKEN, TEST.mmToken, TEST.cookieSecret, TEST.identitySecret, (await first.json()).token])
      assert.equal(text.includes(secret), false);
  });

  it('reports +Inf seats without a limit, and NaN when the limits cannot be read', async () => {
    const { companion, mm } = testCompanion({ metricsToken: METRICS_TOKEN });
    mm.hardLimit = 0;
    assert.equal(value((await scrape(companion)).samples, 'porthole_seat_headroom'), Infinity);
    mm.getServerLimits = async () => {
      throw new MattermostError(403, 'api.context.permissions.app_error', 'forbidden');
    };
    const { samples } = await scrape(companion);
    assert.equal(value(samples, 'porthole_seat_headroom'), NaN);
    assert.equal(value(samples, 'porthole_ready'), 0, 'degraded is not ready');
    assert.equal(value(samples, 'porthole_mattermost_up'), 1);
  });

  it('times Mattermost calls by templated route and status, without ids or tokens in the labels', async () => {
    const metrics = new PrometheusCompanionMetrics({ mode: 'direct', redis: false, defaultMetrics: false });
    const userId = 'u'.repeat(26);
    const admin = new HttpMattermostAdmin({
      url: 'http://mm.test',
      token: TEST.mmToken,
      metrics,
      fetch: async (input) => {
        const url = new URL(String(input));
        if (url.pathname.endsWith('/tokens'))
          return Response.json({ id: 't'.repeat(26), user_id: userId, description: 'x', is_active: true, token: 's'.repeat(26) });
        if (url.pathname.endsWith('/ping')) throw new TypeError('fetch failed');
        return Response.json({ id: 'x', message: 'nope' }, { status: 404 });
      },
    });
    await admin.createUserAccessToken(userId, 'porthole');
    await assert.rejects(admin.ping(), (e: unknown) => e instanceof MattermostError && e.status === 0);
    assert.equal(await admin.getUserByUsername('visitor-abc'), null);
    const text = await metrics.scrape();
    const samples = parse(text);
    const count = (labels: Record<string, string>) => value(samples, 'porthole_mattermost_request_duration_seconds_count', labels);
    assert.equal(count({ method: 'POST', route: '/api/v4/users/{id}/tokens', status: '200' }), 1);
    assert.equal(count({ method: 'GET', route: '/api/v4/system/ping', status: 'error' }), 1);
    assert.equal(count({ method: 'GET', route: '/api/v4/users/username/{username}', status: '404' }), 1);
    for (const secret of [userId, TEST.mmToken, 's'.repeat(26), 'visitor-abc']) assert.equal(text.includes(secret), false, secret);
  });
});

describe('gateway mode metrics', () => {
  it('counts sessions, conversations, messages to Mattermost, rate limits and the store at scrape', async () => {
    const t = gatewayCompanion({ messagesPerMinute: 2, newConversationsPerMinute: 1 });
    await t.companion.start();
    const first = await t.call('POST', '/v1/session', { body: { name: 'Ada' } });
    assert.equal(first.status, 200);
    const cookie = (first.res.headers.get('Set-Cookie') ?? '').split(';')[0]!;
    const send = (token: string) => t.call('POST', '/v1/messages', { token, body: { clientId: randomUUID(), text: 'Hello' } });
    assert.equal((await send(first.json.token)).status, 201);
    assert.equal((await send(first.json.token)).status, 201);
    assert.equal((await send(first.json.token)).status, 429, 'messagesPerMinute');
    // A returning visitor has a conversation; a second visitor's conversation is over the budget.
    assert.equal((await t.call('POST', '/v1/session', { cookie })).status, 200);
    const other = await t.call('POST', '/v1/session', {});
    const refused = await send(other.json.token);
    assert.equal(refused.status, 429);
    assert.match(refused.json.error.message, /too many new conversations/);
    assert.equal((await t.call('POST', '/v1/session', { body: [] })).status, 400);

    const { text, samples } = await scrape(t.companion);
    const sessions = (labels: Record<string, string>) => value(samples, 'porthole_sessions_total', { mode: 'gateway', ...labels });
    assert.equal(sessions({ outcome: 'new' }), 2);
    assert.equal(sessions({ outcome: 'returning' }), 1);
    assert.equal(sessions({ outcome: 'refused', reason: 'invalid_body' }), 1);
    assert.equal(value(samples, 'porthole_conversations_started_total', { mode: 'gateway' }), 1);
    assert.equal(value(samples, 'porthole_messages_relayed_total', { direction: 'to_mattermost' }), 2);
    assert.equal(value(samples, 'porthole_messages_relayed_total', { direction: 'to_visitor' }), 0);
    assert.equal(value(samples, 'porthole_rate_limited_total', { limit: 'sends' }), 1);
    assert.equal(value(samples, 'porthole_rate_limited_total', { limit: 'new_conversations' }), 1);
    assert.equal(value(samples, 'porthole_http_errors_total', { code: 'rate_limited', status: '429' }), 2);
    assert.equal(value(samples, 'porthole_store_up'), 1);
    assert.equal(value(samples, 'porthole_live_sockets'), 0);
    // No bot socket in a unit test (Mattermost is in memory): not connected, so not ready.
    assert.equal(value(samples, 'porthole_bot_socket_connected'), 0);
    assert.equal(value(samples, 'porthole_ready'), 0);
    assert.equal(value(samples, 'porthole_seat_headroom'), undefined);
    for (const secret of [METRICS_TOKEN, first.json.token, t.mm.adminToken]) assert.equal(text.includes(secret), false);
  });
});

describe('scrape-time gauges', () => {
  const report = (status: ReadinessReport['status']): ReadinessReport => ({
    status,
    checks: [
      { name: 'mattermost_ping', scope: 'shared', ok: status === 'ready', message: '' },
      { name: 'redis', scope: 'shared', ok: true, message: '' },
    ],
    users: { active: 10, limit: 250, headroom: 240 },
  });

  it('evaluate readiness once per scrape, read each source afresh, and show live sockets and the bot socket', async () => {
    const metrics = new PrometheusCompanionMetrics({ mode: 'gateway', redis: true, defaultMetrics: false });
    let readinessCalls = 0;
    let storeCalls = 0;
    let live = 3;
    let status: ReadinessReport['status'] = 'ready';
    metrics.observe({
      readiness: async () => (readinessCalls++, report(status)),
      liveSockets: () => live,
      botSocketConnected: () => true,
      storeUp: async () => (storeCalls++, true),
    });
    let samples = parse(await metrics.scrape());
    assert.equal(readinessCalls, 1);
    assert.equal(storeCalls, 1);
    assert.equal(value(samples, 'porthole_ready'), 1);
    assert.equal(value(samples, 'porthole_mattermost_up'), 1);
    assert.equal(value(samples, 'porthole_redis_up'), 1);
    assert.equal(value(samples, 'porthole_store_up'), 1);
    assert.equal(value(samples, 'porthole_bot_socket_connected'), 1);
    assert.equal(value(samples, 'porthole_live_sockets'), 3);
    live = 1;
    status = 'degraded';
    samples = parse(await metrics.scrape());
    assert.equal(readinessCalls, 2);
    assert.equal(value(samples, 'porthole_ready'), 0);
    assert.equal(value(samples, 'porthole_mattermost_up'), 0);
    assert.equal(value(samples, 'porthole_live_sockets'), 1);
    // Two scrapes at once share one evaluation.
    await Promise.all([metrics.scrape(), metrics.scrape()]);
    assert.equal(readinessCalls, 3);
  });

  it('do not hang on a slow Mattermost: after scrapeTimeoutMs the readiness gauges read 0', async () => {
    const metrics = new PrometheusCompanionMetrics({ mode: 'direct', redis: true, scrapeTimeoutMs: 50, defaultMetrics: false });
    metrics.observe({ readiness: () => new Promise<ReadinessReport>(() => {}) });
    const started = performance.now();
    const samples = parse(await metrics.scrape());
    assert.ok(performance.now() - started < 1000, 'the scrape waited for the readiness report');
    assert.equal(value(samples, 'porthole_ready'), 0);
    assert.equal(value(samples, 'porthole_mattermost_up'), 0);
    assert.equal(value(samples, 'porthole_redis_up'), 0);
    assert.equal(value(samples, 'porthole_seat_headroom'), NaN);
  });

  it('treat a failing readiness source as down', async () => {
    const metrics = new PrometheusCompanionMetrics({ mode: 'gateway', redis: false, defaultMetrics: false });
    metrics.observe({ readiness: async () => Promise.reject(new Error('boom')), storeUp: async () => Promise.reject(new Error('gone')) });
    const samples = parse(await metrics.scrape());
    assert.equal(value(samples, 'porthole_ready'), 0);
    assert.equal(value(samples, 'porthole_store_up'), 0);
  });

  it('keep label values to known shapes', async () => {
    const metrics = new PrometheusCompanionMetrics({ mode: 'direct', redis: false, defaultMetrics: false });
    metrics.httpError('Some Error: with a token abc', 500);
    metrics.sessionMinted('refused', 'x'.repeat(100));
    metrics.sessionMinted('new', 'ignored');
    metrics.mattermostRequest('brew', '/api/v4/users/me', 418, 0.01);
    const text = await metrics.scrape();
    const samples = parse(text);
    assert.equal(value(samples, 'porthole_http_errors_total', { code: 'other', status: '500' }), 1);
    assert.equal(value(samples, 'porthole_sessions_total', { outcome: 'refused', reason: 'other' }), 1);
    assert.equal(value(samples, 'porthole_sessions_total', { outcome: 'new', reason: '' }), 1);
    assert.equal(value(samples, 'porthole_mattermost_request_duration_seconds_count', { method: 'OTHER', status: '418' }), 1);
    assert.equal(text.includes('token abc'), false);
  });

  it('are separate per companion (one registry each)', async () => {
    const a = new PrometheusCompanionMetrics({ mode: 'direct', redis: false });
    const b = new PrometheusCompanionMetrics({ mode: 'direct', redis: false });
    a.rateLimited('reads');
    assert.equal(value(parse(await a.scrape()), 'porthole_rate_limited_total', { limit: 'reads' }), 1);
    assert.equal(value(parse(await b.scrape()), 'porthole_rate_limited_total', { limit: 'reads' }), undefined);
  });
});

describe('onError', () => {
  it('is told once of an unexpected error that becomes a 500, with the request id; never of 4xx or expected 503s', async () => {
    const reports: { error: unknown; context: ErrorContext }[] = [];
    const { companion, mm } = testCompanion(
      { metricsToken: METRICS_TOKEN },
      { onError: (error, context) => reports.push({ error, context }) },
    );
    const boom = new Error('kaboom');
    mm.createUser = async () => {
      throw boom;
    };
    const res = await postSession(companion, { headers: { 'X-Request-Id': 'req-12345678' } });
    assert.equal(res.status, 500);
    const body = await res.json();
    assert.equal(body.error.code, 'internal_error');
    assert.equal(body.error.requestId, 'req-12345678');
    assert.equal(reports.length, 1);
    assert.equal(reports[0]!.error, boom);
    assert.deepEqual(reports[0]!.context, { requestId: 'req-12345678', method: 'POST', path: '/v1/session', source: 'request' });

    // 4xx: not reported.
    assert.equal((await postSession(companion, { body: { nope: 1 } })).status, 400);
    // An expected outage (Mattermost unreachable → 503 mattermost_unavailable): not reported.
    mm.createUser = async () => {
      throw new MattermostError(0, undefined, 'Mattermost unreachable');
    };
    const down = await postSession(companion);
    assert.equal(down.status, 503);
    assert.equal((await down.json()).error.code, 'mattermost_unavailable');
    // Mattermost refusing what it should not (a 502): reported, with the MattermostError.
    const refusal = new MattermostError(403, 'api.context.permissions.app_error', 'You do not have the appropriate permissions.');
    mm.createUser = async () => {
      throw refusal;
    };
    assert.equal((await postSession(companion)).status, 502);
    assert.equal(reports.length, 2);
    assert.equal(reports[1]!.error, refusal);

    const { samples } = await scrape(companion);
    assert.equal(value(samples, 'porthole_sessions_total', { outcome: 'refused', reason: 'internal_error' }), 1);
    assert.equal(value(samples, 'porthole_sessions_total', { outcome: 'refused', reason: 'mattermost_unavailable' }), 1);
    assert.equal(value(samples, 'porthole_http_errors_total', { code: 'internal_error', status: '500' }), 1);
    assert.equal(value(samples, 'porthole_http_errors_total', { code: 'mattermost_error', status: '502' }), 1);
  });

  it('that throws is caught and logged once, and the response is unchanged', async () => {
    const log = captureLogger();
    let calls = 0;
    const { companion, mm } = testCompanion(
      { production: true },
      {
        logger: log,
        onError: () => {
          calls++;
          throw new Error('the tracker is down');
        },
      },
    );
    mm.createUser = async () => {
      throw new Error('kaboom');
    };
    const res = await postSession(companion);
    assert.equal(res.status, 500);
    const body = await res.json();
    assert.equal(body.error.code, 'internal_error');
    assert.equal(body.error.message, 'The chat service could not complete the request. Try again later.');
    assert.equal(body.error.detail, undefined);
    assert.equal(calls, 1);
    const hookLines = log.entries.filter((e) => e.msg === 'the onError hook threw');
    assert.equal(hookLines.length, 1);
    assert.equal(hookLines[0]!.error, 'the tracker is down');
    assert.equal(hookLines[0]!.requestId, body.error.requestId);
  });

  it('is told of background failures (the gateway relay) with source "background"', async () => {
    const reports: { error: unknown; context: ErrorContext }[] = [];
    const mm = new MemoryMattermost();
    const store = new MemoryGatewayStore();
    const failure = new Error('the store lost its mind');
    store.findConversationByRoot = async () => {
      throw failure;
    };
    const bot = { userId: 'b'.repeat(26), username: 'porthole-bot', token: 't', channelId: mm.channelId, teamId: mm.teamId };
    const relay = new Relay({
      api: mm.clientFor(mm.adminToken),
      store,
      hub: { publish: () => 1, reconnectAll: () => {} },
      bot: () => bot,
      logger: silentLogger,
      onError: (error, context) => reports.push({ error, context }),
    });
    mm.subscribe(relay.handle);
    mm.agentTyping(mm.addAgent('agent-ada'), 'r'.repeat(26));
    await relay.idle();
    assert.deepEqual(reports, [{ error: failure, context: { source: 'background' } }]);
  });

  it('is wired in gateway mode too: a 500 from the visitor API is reported', async () => {
    const reports: ErrorContext[] = [];
    const t = gatewayCompanion({}, { onError: (_e, context) => reports.push(context) });
    await t.companion.start();
    const session = await t.call('POST', '/v1/session', {});
    t.store.getClientPost = async () => {
      throw new TypeError('undefined is not a function');
    };
    const res = await t.call('POST', '/v1/messages', { token: session.json.token, body: { clientId: randomUUID(), text: 'Hi' } });
    assert.equal(res.status, 500);
    assert.equal(reports.length, 1);
    assert.equal(reports[0]!.path, '/v1/messages');
    assert.equal(reports[0]!.source, 'request');
  });
});
