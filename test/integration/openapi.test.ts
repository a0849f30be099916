// Real responses against the served `GET /openapi.json`, in both modes, against the REAL Mattermost:
// every answer below — sessions, messages, reads, agents, typing, the transcript, logout, erasure,
// bad bodies, bad tokens, refused origins, metrics — must have a status the operation lists, the
// documented content type and headers, and a body its schema accepts (ajv, JSON Schema 2020-12).
// Run: node --experimental-websocket --import tsx --test test/integration/openapi.test.ts
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { companionEnv } from '../../dev/companion-env.mjs';
import { errorBodySchema } from '../../src/server/errors.ts';
import { createCompanion, loadConfig, silentLogger, type Companion } from '../../src/server/index.ts';
import { OpenApiChecker, type OpenApiDocumentLike } from '../../src/server/openapi-checker.ts';
import { adminApi, mattermost, type MattermostInfo } from '../support/mattermost.ts';

const METRICS_TOKEN = `it-metrics-${randomUUID()}`;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'porthole-openapi-it-'));
const botUsername = `porthole-oa-${randomUUID().slice(0, 8)}`;
const startedAt = Date.now();
let mm: MattermostInfo;
let origin: string;
const companions: Companion[] = [];
const directVisitors: { userId: string; channelId: string }[] = [];

function make(mode: 'gateway' | 'direct'): Companion {
  const config = loadConfig(
    companionEnv(mm, {
      PORTHOLE_MODE: mode,
      PORTHOLE_ALLOWED_ORIGINS: mm.allowedOrigins.join(','),
      PORTHOLE_COOKIE_SECRET: `it-cookie-${randomUUID()}`,
      PORTHOLE_TOKEN_SECRET: `it-token-${randomUUID()}`,
      PORTHOLE_IDENTITY_SECRET: `it-identity-${randomUUID()}`,
      PORTHOLE_METRICS_TOKEN: METRICS_TOKEN,
      PORTHOLE_DATA_DIR: dataDir,
      PORTHOLE_BOT_USERNAME: botUsername,
      PORTHOLE_RATE_LIMIT_PER_MINUTE: '1000',
    }),
  );
  assert.equal(config.mode, mode);
  const companion = createCompanion(config, { logger: silentLogger });
  companions.push(companion);
  return companion;
}

/** A client of one companion that checks every answer against the document it serves. */
async function client(companion: Companion) {
  const res = await companion.fetch(new Request('http://companion.test/openapi.json', { headers: { Origin: origin } }));
  assert.equal(res.status, 200);
  const document = (await res.clone().json()) as OpenApiDocumentLike;
  const checker = new OpenApiChecker(document);
  await checker.check('GET', '/openapi.json', res); // the document conforms to itself
  const call = (
    method: string,
    route: string,
    init: { token?: string; body?: unknown; raw?: string; type?: string; cookie?: string; origin?: string | null } = {},
  ) => {
    const headers: Record<string, string> = {};
    if (init.origin !== null) headers.Origin = init.origin ?? origin;
    if (init.token) headers.Authorization = `Bearer ${init.token}`;
    if (init.cookie) headers.Cookie = init.cookie;
    const body = init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body));
    if (body !== undefined) headers['Content-Type'] = init.type ?? 'application/json';
    return companion.fetch(new Request(`http://companion.test${route}`, { method, headers, body }), {
      incoming: { socket: { remoteAddress: '198.51.100.23' } },
    });
  };
  /** Calls, checks the answer against the operation of `method path` (query stripped), returns status, body and headers. */
  const checked = async (method: string, route: string, init: Parameters<typeof call>[2] = {}) => {
    const res = await call(method, route, init);
    const headers = res.headers;
    const { status, body } = await checker.check(method, route.split('?')[0]!, res);
    return { status, body: body as any, headers };
  };
  return { document, call, checked };
}

before(async () => {
  mm = await mattermost();
  origin = mm.allowedOrigins[0]!;
});

after(async () => {
  for (const c of companions) await c.stop().catch(() => {});
  const bot = await adminApi<{ id: string }>('GET', `/users/username/${botUsername}`).catch(() => undefined);
  if (bot) await adminApi('DELETE', `/users/${bot.id}?permanent=true`).catch(() => {});
  for (const v of directVisitors) {
    await adminApi('DELETE', `/channels/${v.channelId}?permanent=true`).catch(() => {});
    await adminApi('DELETE', `/users/${v.userId}?permanent=true`).catch(() => {});
  }
  const inbox = await adminApi<{ order: string[]; posts: Record<string, { message: string }> }>(
    'GET',
    `/channels/${mm.inboxChannelId}/posts?since=${startedAt}`,
  ).catch(() => ({ order: [] as string[], posts: {} as Record<string, { message: string }> }));
  for (const id of inbox.order ?? []) {
    if (/New conversation from/.test(inbox.posts[id]?.message ?? '')) await adminApi('DELETE', `/posts/${id}`).catch(() => {});
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('real responses conform to GET /openapi.json (real Mattermost)', () => {
  it('gateway mode: sessions, messages, reads, agents, typing, transcript, logout, erasure and their failures', async () => {
    const companion = make('gateway');
    await companion.start();
    const { document, call, checked } = await client(companion);
    assert.ok(document.paths?.['/v1/messages'] && document.paths['/metrics'], 'gateway routes and /metrics are documented');

    // Sessions: new, returning (the cookie), refused bodies and identities.
    const first = await checked('POST', '/v1/session', { body: { name: 'OpenAPI visitor', page: `${origin}/pricing` } });
    assert.equal(first.status, 200);
    const cookie = first.headers.get('Set-Cookie')!.split(';')[0]!;
    const returning = await checked('POST', '/v1/session', { cookie });
    assert.equal(returning.status, 200);
    assert.equal(returning.body.channelId, first.body.channelId, 'the cookie brings the same conversation back');
    const token: string = returning.body.token;
    assert.equal((await checked('POST', '/v1/session', { raw: '{"name":' })).body.error.code, 'invalid_json');
    assert.equal((await checked('POST', '/v1/session', { body: { name: 'x', extra: true } })).body.error.code, 'invalid_body');
    assert.equal((await checked('POST', '/v1/session', { raw: '{}', type: 'text/plain' })).status, 415);
    assert.equal((await checked('POST', '/v1/session', { raw: JSON.stringify({ name: 'x'.repeat(5000) }) })).status, 413);
    assert.equal((await checked('POST', '/v1/session', { body: { identity: 'not.a.jwt' } })).body.error.code, 'invalid_identity');
    assert.equal((await checked('POST', '/v1/session', { origin: 'https://evil.example' })).status, 403);

    // Messages: sent, repeated, refused.
    const clientId = randomUUID();
    const sent = await checked('POST', '/v1/messages', { token, body: { clientId, text: 'Hello from the OpenAPI suite' } });
    assert.equal(sent.status, 201);
    assert.equal((await checked('POST', '/v1/messages', { token, body: { clientId, text: 'Hello from the OpenAPI suite' } })).status, 200);
    const second = await checked('POST', '/v1/messages', { token, body: { clientId: randomUUID(), text: 'A second one' } });
    assert.equal(second.status, 201);
    assert.equal((await checked('POST', '/v1/messages', { token, body: { clientId, text: '   ' } })).body.error.code, 'invalid_body');
    // Mattermost cannot store U+0000 (its POST /posts answers 500): refused up front, not a 502.
    const nul = await checked('POST', '/v1/messages', { token, body: { clientId: randomUUID(), text: 'a\u0000b' } });
    assert.equal(nul.status, 400);
    assert.match(nul.body.error.message, /U\+0000/);
    assert.equal(
      (await checked('POST', '/v1/messages', { token, body: { clientId: randomUUID(), text: 'x'.repeat(16_384) } })).status,
      413,
    );
    assert.equal((await checked('POST', '/v1/messages', { token, raw: '[]' })).status, 400);
    assert.equal((await checked('POST', '/v1/messages', { token, raw: '{}', type: 'text/plain' })).status, 415);

    // Reads: newest page, older page, changes since, bad queries.
    const page = await checked('GET', '/v1/messages?per_page=10', { token });
    assert.equal(page.status, 200);
    assert.deepEqual(
      page.body.messages.map((m: { text: string }) => m.text),
      ['Hello from the OpenAPI suite', 'A second one'],
    );
    assert.equal((await checked('GET', `/v1/messages?before=${second.body.message.id}`, { token })).body.messages.length, 1);
    assert.equal((await checked('GET', `/v1/messages?since=${startedAt}`, { token })).status, 200);
    assert.equal((await checked('GET', '/v1/messages?per_page=0', { token })).body.error.code, 'invalid_query');
    assert.equal((await checked('GET', `/v1/messages?before=${'a'.repeat(26)}`, { token })).body.error.code, 'invalid_cursor');
    assert.equal((await checked('GET', '/v1/agents', { token })).status, 200);
    assert.equal((await checked('POST', '/v1/typing', { token })).status, 204);
    const transcript = await checked('GET', '/v1/transcript', { token });
    assert.equal(transcript.status, 200);
    assert.equal(transcript.body.messages.length, 2);

    // Bad tokens, unknown routes and methods, the health routes and /metrics.
    assert.equal((await checked('GET', '/v1/agents')).body.error.code, 'missing_token');
    assert.equal((await checked('GET', '/v1/messages', { token: `${token.slice(0, -2)}xx` })).body.error.code, 'token_invalid');
    assert.equal((await checked('GET', '/v1/transcript', { token: 'garbage' })).status, 401);
    const unknown = await call('GET', '/v1/nope');
    assert.equal(unknown.status, 404);
    assert.equal(errorBodySchema.parse(await unknown.json()).error.code, 'not_found');
    const put = await call('PUT', '/v1/messages', { token });
    assert.equal(put.status, 405);
    assert.equal(put.headers.get('Allow'), 'GET, HEAD, POST');
    assert.equal((await checked('GET', '/healthz')).status, 200);
    assert.equal((await checked('GET', '/readyz')).body.status, 'ready');
    assert.equal((await checked('GET', '/metrics', { token: METRICS_TOKEN, origin: null })).status, 200);
    assert.equal((await checked('GET', '/metrics', { token, origin: null })).status, 401);

    // Logout revokes; erasure (with a new token) removes the conversation for good.
    assert.equal((await checked('DELETE', '/v1/session', { token })).status, 204);
    assert.equal((await checked('GET', '/v1/agents', { token })).body.error.code, 'token_revoked');
    assert.equal((await checked('DELETE', '/v1/session')).status, 401);
    const again = await checked('POST', '/v1/session', { cookie });
    assert.equal((await checked('DELETE', '/v1/conversation', { token: again.body.token })).status, 204);
    await assert.rejects(adminApi('GET', `/posts/${sent.body.message.id}`), /404/, 'the posts are gone from Mattermost');
  });

  it('direct mode: sessions, the transcript, logout, erasure and their failures', async () => {
    const companion = make('direct');
    await companion.start();
    const { document, call, checked } = await client(companion);
    assert.equal(document.paths?.['/v1/messages'], undefined, 'direct mode has no message routes');

    const first = await checked('POST', '/v1/session', { body: { name: 'OpenAPI direct visitor' } });
    assert.equal(first.status, 200);
    directVisitors.push({ userId: first.body.userId, channelId: first.body.channelId });
    const cookie = first.headers.get('Set-Cookie')!.split(';')[0]!;
    const returning = await checked('POST', '/v1/session', { cookie });
    assert.equal(returning.body.userId, first.body.userId);
    assert.equal((await checked('POST', '/v1/session', { raw: 'nope' })).body.error.code, 'invalid_json');
    assert.equal((await checked('POST', '/v1/session', { body: { name: '' } })).body.error.code, 'invalid_body');
    assert.equal((await checked('POST', '/v1/session', { raw: '{}', type: 'text/plain' })).status, 415);
    assert.equal((await checked('POST', '/v1/session', { raw: JSON.stringify({ name: 'x'.repeat(5000) }) })).status, 413);
    assert.equal((await checked('POST', '/v1/session', { body: { identity: 'a.b.c' } })).body.error.code, 'invalid_identity');
    assert.equal((await checked('POST', '/v1/session', { origin: 'null' })).status, 403);

    // The visitor writes in their channel with their own token, as the widget does in direct mode.
    const token: string = returning.body.token;
    const post = await fetch(`${mm.url}/api/v4/posts`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ channel_id: first.body.channelId, message: 'Hello in direct mode' }),
    });
    assert.equal(post.status, 201, await post.clone().text());
    const transcript = await checked('GET', '/v1/transcript', { token });
    assert.equal(transcript.status, 200);
    assert.ok(transcript.body.messages.some((m: { text: string }) => m.text === 'Hello in direct mode'));
    assert.equal((await checked('GET', '/v1/transcript')).status, 401);
    assert.equal((await checked('GET', '/v1/transcript', { token: 'x'.repeat(26) })).status, 401);
    assert.equal((await call('POST', '/v1/transcript', { token })).status, 405);
    assert.equal((await checked('GET', '/healthz')).status, 200);
    assert.equal((await checked('GET', '/readyz')).status, 200);
    assert.equal((await checked('GET', '/metrics', { token: METRICS_TOKEN, origin: null })).status, 200);

    assert.equal((await checked('DELETE', '/v1/session')).status, 401);
    assert.equal((await checked('DELETE', '/v1/session', { token })).status, 204);
    const again = await checked('POST', '/v1/session', { cookie });
    assert.equal((await checked('DELETE', '/v1/conversation', { token: again.body.token })).status, 204);
  });
});
