// GET /metrics against the REAL Mattermost, in both modes: sessions, conversations, messages both
// ways, live sockets, Mattermost latency by route, readiness gauges and (direct) seat headroom,
// scraped over HTTP from a companion configured through its environment (PORTHOLE_METRICS_TOKEN).
// Run: PORTHOLE_MM_READY=1 node --experimental-websocket --import tsx --test test/integration/metrics.test.ts
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { companionEnv } from '../../dev/companion-env.mjs';
import { createCompanion, loadConfig, serve, silentLogger, type Companion, type RunningServer } from '../../src/server/index.ts';
import { LiveTestClient, mattermostAs, mattermostLogin, VisitorTestClient, waitUntil } from '../../src/server/gateway/test-support.ts';
import { parseMetricsText, type MetricSample } from '../../src/server/test-support.ts';
import { adminApi, mattermost, type MattermostInfo } from '../support/mattermost.ts';

const METRICS_TOKEN = `metrics-${randomUUID()}`;
const GATEWAY_PORT = 8820;
const DIRECT_PORT = 8821;

type Sample = MetricSample;
const parse = parseMetricsText;

/** Every sample of `name` whose labels include `labels`. */
const matching = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));

/** The one sample of `name` with `labels` (fails when there is not exactly one). */
function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = matching(samples, name, labels);
  assert.equal(found.length, 1, `${name} ${JSON.stringify(labels)}: ${found.length} samples`);
  return found[0]!.value;
}

async function scrape(url: string): Promise<{ text: string; samples: Sample[] }> {
  const res = await fetch(`${url}/metrics`, { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  assert.equal(res.headers.get('Content-Type'), 'text/plain; version=0.0.4; charset=utf-8');
  return { text, samples: parse(text) };
}

/** The latency histogram's call count for a route, whatever the status. */
const calls = (samples: Sample[], method: string, route: string) =>
  matching(samples, 'porthole_mattermost_request_duration_seconds_count', { method, route }).reduce((n, s) => n + s.value, 0);

let mm: MattermostInfo;
let origin: string;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'porthole-metrics-it-'));
const botUsername = `porthole-m-${randomUUID().slice(0, 8)}`;
const startedAt = Date.now();
const cleanup: (() => Promise<unknown>)[] = [];

before(async () => {
  mm = await mattermost();
  origin = mm.allowedOrigins[0]!;
  const cfg = await adminApi('GET', '/config');
  assert.ok(
    cfg.ServiceSettings.EnablePostUsernameOverride && cfg.ServiceSettings.EnablePostIconOverride,
    'the harness enables post username and icon overrides (gateway mode needs them)',
  );
});

after(async () => {
  for (const step of cleanup.reverse()) await step().catch((e: Error) => console.error(`cleanup: ${e.message}`));
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** Serves a companion on `port` and registers its shutdown. */
async function served(companion: Companion, port: number): Promise<RunningServer> {
  await companion.start();
  const running = await serve(companion, { port, host: '127.0.0.1' });
  cleanup.push(async () => {
    await running.close();
    await companion.stop();
  });
  return running;
}

describe('GET /metrics on the real Mattermost', () => {
  it('gateway mode: sessions, a conversation, messages both ways, a live socket, latency by route, readiness gauges', async () => {
    const config = loadConfig(
      companionEnv(mm, {
        PORTHOLE_ALLOWED_ORIGINS: mm.allowedOrigins.join(','),
        PORTHOLE_COOKIE_SECRET: `metrics-cookie-${randomUUID()}`,
        PORTHOLE_TOKEN_SECRET: `metrics-token-secret-${randomUUID()}`,
        PORTHOLE_DATA_DIR: dataDir,
        PORTHOLE_BOT_USERNAME: botUsername,
        PORTHOLE_METRICS_TOKEN: METRICS_TOKEN,
      }),
    );
    assert.equal(config.mode, 'gateway');
    const companion = createCompanion(config, { logger: silentLogger });
    const running = await served(companion, GATEWAY_PORT);
    const botUserId = (await adminApi('GET', `/users/username/${botUsername}`)).id as string;
    cleanup.push(() => adminApi('DELETE', `/users/${botUserId}?permanent=true`));

    // Without the token: 401, and nothing else leaks.
    const refused = await fetch(`${running.url}/metrics`);
    assert.equal(refused.status, 401);
    assert.equal((await refused.json()).error.code, 'unauthorized');

    const visitor = new VisitorTestClient(running.url, origin);
    const s = await visitor.session({ name: 'Metrics Ada' });
    await visitor.session({}, s.cookie); // returning: same cookie, but no conversation yet → new
    assert.equal((await visitor.call('POST', '/v1/session', { body: { nope: true } })).status, 400);
    const live = await LiveTestClient.ready(running.url, s.token, origin);
    cleanup.push(async () => live.close());
    const first = await visitor.send(s.token, 'Hello from the metrics suite');
    const rootId = (await adminApi('GET', `/posts/${first.id}`)).root_id as string;
    cleanup.push(() => adminApi('DELETE', `/posts/${rootId}?permanent=true`));
    await visitor.session({}, s.cookie); // now returning: the conversation exists

    // An agent answers in the thread from Mattermost; the relay delivers it to the live socket.
    const agentInfo = mm.agents[0]!;
    const agent = await mattermostLogin(mm.url, agentInfo.username, agentInfo.password);
    await mattermostAs(mm.url, agent, 'POST', '/posts', { channel_id: mm.inboxChannelId, root_id: rootId, message: 'Agent here' });
    await live.next((f) => f.type === 'posted' && f.message.text === 'Agent here');

    const { text, samples } = await scrape(running.url);
    const sessions = (labels: Record<string, string>) => value(samples, 'porthole_sessions_total', { mode: 'gateway', ...labels });
    assert.equal(sessions({ outcome: 'new' }), 2);
    assert.equal(sessions({ outcome: 'returning' }), 1);
    assert.equal(sessions({ outcome: 'refused', reason: 'invalid_body' }), 1);
    assert.equal(value(samples, 'porthole_conversations_started_total', { mode: 'gateway' }), 1);
    assert.equal(value(samples, 'porthole_messages_relayed_total', { direction: 'to_mattermost' }), 1);
    assert.equal(value(samples, 'porthole_messages_relayed_total', { direction: 'to_visitor' }), 1);
    assert.equal(value(samples, 'porthole_live_sockets'), 1);
    assert.equal(value(samples, 'porthole_http_errors_total', { code: 'unauthorized', status: '401' }), 1);
    assert.equal(value(samples, 'porthole_http_errors_total', { code: 'invalid_body', status: '400' }), 1);
    // The bot's root post and the visitor's reply, both created (Mattermost answers 201: api4/post.go createPost).
    assert.ok(
      value(samples, 'porthole_mattermost_request_duration_seconds_count', { method: 'POST', route: '/api/v4/posts', status: '201' }) >= 2,
    );
    assert.ok(calls(samples, 'GET', '/api/v4/users/username/{username}') >= 1, 'the bot was looked up at start');
    assert.ok(
      value(samples, 'porthole_mattermost_request_duration_seconds_bucket', {
        method: 'POST',
        route: '/api/v4/posts',
        status: '201',
        le: '+Inf',
      }) >= 2,
    );
    for (const s of matching(samples, 'porthole_mattermost_request_duration_seconds_count'))
      assert.match(s.labels.route!, /^\/api\/v4(\/([a-z_]+|\{id\}|\{username\}|\{name\}))+$/, `route label ${s.labels.route}`);
    assert.equal(value(samples, 'porthole_ready'), 1);
    assert.equal(value(samples, 'porthole_mattermost_up'), 1);
    assert.equal(value(samples, 'porthole_store_up'), 1);
    assert.equal(value(samples, 'porthole_bot_socket_connected'), 1);
    assert.equal(matching(samples, 'porthole_redis_up').length, 0, 'no Redis configured');
    assert.ok(value(samples, 'porthole_process_resident_memory_bytes') > 0);
    for (const secret of [METRICS_TOKEN, s.token, mm.adminToken, agent, botUserId, rootId])
      assert.equal(text.includes(secret), false, 'no secret or id in a label');

    // The socket closes: the gauge follows at the next scrape.
    live.close();
    await waitUntil(
      async () => value((await scrape(running.url)).samples, 'porthole_live_sockets') === 0,
      5000,
      'the live socket gauge to drop',
    );
  });

  it('direct mode: sessions, a visitor channel, Mattermost latency by route, readiness and seat headroom', async () => {
    const config = loadConfig(
      companionEnv(mm, {
        PORTHOLE_MODE: 'direct',
        PORTHOLE_ALLOWED_ORIGINS: mm.allowedOrigins.join(','),
        PORTHOLE_COOKIE_SECRET: `metrics-cookie-${randomUUID()}`,
        PORTHOLE_PUBLIC_URL: mm.url,
        PORTHOLE_RATE_LIMIT_PER_MINUTE: '1000',
        PORTHOLE_METRICS_TOKEN: METRICS_TOKEN,
      }),
    );
    assert.equal(config.mode, 'direct');
    const companion = createCompanion(config, { logger: silentLogger });
    const running = await served(companion, DIRECT_PORT);

    const post = (init: { cookie?: string; body?: unknown } = {}) =>
      fetch(`${running.url}/v1/session`, {
        method: 'POST',
        headers: {
          Origin: origin,
          ...(init.cookie ? { Cookie: init.cookie } : {}),
          ...(init.body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      });
    const first = await post({ body: { name: 'Metrics Grace' } });
    const session = await first.json();
    assert.equal(first.status, 200, JSON.stringify(session));
    cleanup.push(() => adminApi('DELETE', `/users/${session.userId}?permanent=true`));
    cleanup.push(() => adminApi('DELETE', `/channels/${session.channelId}?permanent=true`));
    const channelName = (await adminApi('GET', `/channels/${session.channelId}`)).name as string;
    cleanup.push(async () => {
      // The inbox notice of the new visitor (visitor-provisioner.ts postNotice: "[open ~<channel>](…)").
      const inbox = await adminApi('GET', `/channels/${mm.inboxChannelId}/posts?since=${startedAt}`);
      for (const id of inbox.order as string[])
        if ((inbox.posts[id].message as string).includes(`~${channelName}]`)) await adminApi('DELETE', `/posts/${id}?permanent=true`);
    });
    const cookie = (first.headers.get('Set-Cookie') ?? '').split(';')[0]!;
    assert.equal((await post({ cookie })).status, 200);
    assert.equal((await post({ body: { identity: 42 } })).status, 400);

    const { text, samples } = await scrape(running.url);
    const limits = await adminApi('GET', '/limits/server');
    const sessions = (labels: Record<string, string>) => value(samples, 'porthole_sessions_total', { mode: 'direct', ...labels });
    assert.equal(sessions({ outcome: 'new' }), 1);
    assert.equal(sessions({ outcome: 'returning' }), 1);
    assert.equal(sessions({ outcome: 'refused', reason: 'invalid_body' }), 1);
    assert.equal(value(samples, 'porthole_conversations_started_total', { mode: 'direct' }), 1);
    assert.equal(matching(samples, 'porthole_messages_relayed_total').length, 0, 'direct-mode messages never pass the companion');
    // The visitor's user (201: api4/user.go createUser), its channel, its token; the scrape's readiness checks.
    assert.equal(
      value(samples, 'porthole_mattermost_request_duration_seconds_count', { method: 'POST', route: '/api/v4/users', status: '201' }),
      1,
    );
    assert.equal(calls(samples, 'POST', '/api/v4/channels'), 1);
    assert.equal(calls(samples, 'POST', '/api/v4/users/{id}/tokens'), 2);
    assert.equal(calls(samples, 'GET', '/api/v4/teams/{id}/channels/name/{name}'), 2);
    assert.ok(calls(samples, 'GET', '/api/v4/system/ping') >= 1);
    assert.ok(calls(samples, 'GET', '/api/v4/limits/server') >= 1);
    assert.equal(value(samples, 'porthole_ready'), 1);
    assert.equal(value(samples, 'porthole_mattermost_up'), 1);
    // Unlicensed: at most 250 active users (app/limits.go); other suites may add or remove users meanwhile.
    assert.equal(limits.maxUsersHardLimit, 250);
    const headroom = value(samples, 'porthole_seat_headroom');
    assert.ok(
      Number.isInteger(headroom) && Math.abs(headroom - (limits.maxUsersHardLimit - limits.activeUserCount)) <= 20,
      `headroom ${headroom}`,
    );
    for (const name of ['porthole_live_sockets', 'porthole_store_up', 'porthole_bot_socket_connected'])
      assert.equal(matching(samples, name).length, 0, `${name} is gateway mode's`);
    for (const secret of [METRICS_TOKEN, session.token, mm.adminToken, session.userId, session.channelId])
      assert.equal(text.includes(secret), false, 'no secret or id in a label');
  });
});
