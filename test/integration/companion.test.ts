// The companion against the REAL Mattermost started by the project's harness.
// Run: node --import tsx --test test/integration/companion.test.ts
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { adminApi, mattermost, type MattermostInfo } from '../support/mattermost.ts';
import {
  createCompanion,
  serve,
  signIdentity,
  silentLogger,
  type DirectConfig,
  type RunningServer,
  type SessionResponse,
} from '../../src/server/index';
import { testConfig } from '../../src/server/test-support.ts';

const IDENTITY_SECRET = `it-identity-${randomUUID()}`;
const COOKIE_SECRET = `it-cookie-${randomUUID()}`;

let mm: MattermostInfo;
let origin: string;
const servers: RunningServer[] = [];
const createdUsers = new Set<string>();
const createdChannels = new Set<string>();
const startedAt = Date.now();

/** The unit tests' configuration, pointed at the real server. */
function config(overrides: Partial<DirectConfig> = {}): DirectConfig {
  return testConfig({
    mattermostUrl: mm.url,
    // What browsers get; distinct from the internal URL to prove it is the one returned.
    publicUrl: mm.url.replace('127.0.0.1', 'localhost'),
    token: mm.adminToken,
    teamId: mm.teamId,
    agentIds: mm.agents.map((a) => a.id),
    inboxChannelId: mm.inboxChannelId,
    allowedOrigins: mm.allowedOrigins,
    cookieSecret: COOKIE_SECRET,
    identitySecret: IDENTITY_SECRET,
    rateLimitPerMinute: 1000,
    port: 0,
    ...overrides,
  });
}

async function start(overrides: Partial<DirectConfig> = {}, now?: () => number): Promise<string> {
  const companion = createCompanion(config(overrides), { logger: silentLogger, now });
  const running = await serve(companion, { port: 0, host: '127.0.0.1' });
  servers.push(running);
  return running.url;
}

async function post(base: string, init: { body?: unknown; cookie?: string; origin?: string | null } = {}): Promise<Response> {
  const headers: Record<string, string> = {};
  if (init.origin !== null) headers.Origin = init.origin ?? origin;
  if (init.cookie) headers.Cookie = init.cookie;
  if (init.body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(`${base}/v1/session`, {
    method: 'POST',
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  return res;
}

async function mint(
  base: string,
  init: Parameters<typeof post>[1] = {},
): Promise<{ res: Response; body: SessionResponse; cookie: string }> {
  const res = await post(base, init);
  const text = await res.text();
  assert.equal(res.status, 200, text);
  const body = JSON.parse(text) as SessionResponse;
  createdUsers.add(body.userId);
  createdChannels.add(body.channelId);
  return { res, body, cookie: (res.headers.get('Set-Cookie') ?? '').split(';')[0] ?? '' };
}

async function asVisitor(token: string, path: string): Promise<Response> {
  return fetch(`${mm.url}/api/v4${path}`, { headers: { Authorization: `Bearer ${token}` } });
}

const exp = (offsetS: number) => Math.floor(Date.now() / 1000) + offsetS;

before(async () => {
  mm = await mattermost();
  origin = mm.allowedOrigins[0]!;
});

after(async () => {
  await Promise.all(servers.map((s) => s.close()));
  // Leave nothing behind: repeated runs must never approach the 250 active-user limit.
  for (const id of createdChannels) {
    await adminApi('DELETE', `/channels/${id}?permanent=true`).catch(() => adminApi('DELETE', `/channels/${id}`).catch(() => {}));
  }
  for (const id of createdUsers) await adminApi('DELETE', `/users/${id}?permanent=true`);
  const inbox = await adminApi<{ order: string[]; posts: Record<string, { message: string }> }>(
    'GET',
    `/channels/${mm.inboxChannelId}/posts?since=${startedAt}`,
  );
  for (const id of inbox.order ?? Object.keys(inbox.posts)) {
    if (/New conversation from/.test(inbox.posts[id]?.message ?? '')) await adminApi('DELETE', `/posts/${id}`).catch(() => {});
  }
});

describe('companion on the real Mattermost', () => {
  it('gives a new visitor a working credential, a private channel with the agents, and an inbox notice', async () => {
    const base = await start();
    const { res, body, cookie } = await mint(base);
    assert.equal(res.headers.get('Access-Control-Allow-Origin'), origin);
    assert.match(cookie, /^porthole_vid=/);
    assert.equal(body.serverUrl, config().publicUrl);
    assert.ok(body.expiresAt > Date.now() + 3500_000 && body.expiresAt <= Date.now() + 3600_000);

    const me = await asVisitor(body.token, '/users/me');
    assert.equal(me.status, 200);
    const user = (await me.json()) as { id: string; username: string; roles: string };
    assert.equal(user.id, body.userId);
    assert.match(user.username, /^visitor-[0-9a-f]{14}$/);
    assert.doesNotMatch(user.roles, /admin/);

    const channel = await adminApi<{ type: string; name: string; team_id: string }>('GET', `/channels/${body.channelId}`);
    assert.equal(channel.type, 'P');
    assert.equal(channel.team_id, mm.teamId);
    const members = await adminApi<{ user_id: string }[]>('GET', `/channels/${body.channelId}/members`);
    const ids = members.map((m) => m.user_id);
    for (const id of [body.userId, ...mm.agents.map((a) => a.id)]) assert.ok(ids.includes(id), `${id} is a member`);
    assert.equal((await asVisitor(body.token, `/channels/${body.channelId}`)).status, 200, 'the visitor can open its channel');

    const inbox = await adminApi<{ posts: Record<string, { message: string }> }>(
      'GET',
      `/channels/${mm.inboxChannelId}/posts?since=${startedAt}`,
    );
    const notice = Object.values(inbox.posts).find((p) => p.message.includes(`/${mm.teamName}/channels/${channel.name}`));
    assert.ok(notice, 'the inbox got a notice linking to the conversation');
    assert.ok(notice.message.includes(config().publicUrl));
  });

  it('keeps the same user and channel for the same cookie', async () => {
    const base = await start();
    const first = await mint(base);
    const second = await mint(base, { cookie: first.cookie });
    assert.equal(second.body.userId, first.body.userId);
    assert.equal(second.body.channelId, first.body.channelId);
    assert.notEqual(second.body.token, first.body.token);
    assert.equal((await asVisitor(first.body.token, '/users/me')).status, 200, 'older credentials stay valid up to the cap');
  });

  it('gives an identified visitor its own user, and refuses forged and expired identities', async () => {
    const base = await start();
    const sub = `it-${randomUUID()}`;
    const identity = await signIdentity({ sub, name: 'Ada Lovelace', exp: exp(300) }, IDENTITY_SECRET);
    const a = await mint(base, { body: { identity } });
    const anon = await mint(base);
    assert.notEqual(a.body.userId, anon.body.userId);
    const user = await adminApi<{ first_name: string }>('GET', `/users/${a.body.userId}`);
    assert.equal(user.first_name, 'Ada Lovelace');
    const again = await mint(base, { body: { identity: await signIdentity({ sub, exp: exp(300) }, IDENTITY_SECRET) } });
    assert.equal(again.body.userId, a.body.userId, 'same sub, same user');

    const forged = await post(base, {
      body: { identity: await signIdentity({ sub, exp: exp(300) }, 'forged-secret-forged-secret-forged-secret') },
    });
    assert.equal(forged.status, 401);
    assert.equal(((await forged.json()) as { error: { code: string } }).error.code, 'invalid_identity');
    const expired = await post(base, { body: { identity: await signIdentity({ sub, exp: exp(-60) }, IDENTITY_SECRET) } });
    assert.equal(expired.status, 401);
  });

  it('refuses a foreign origin with 403 and no CORS headers', async () => {
    const base = await start();
    const res = await post(base, { origin: 'https://evil.example' });
    assert.equal(res.status, 403);
    assert.equal(res.headers.get('Access-Control-Allow-Origin'), null);
    assert.equal(res.headers.get('Access-Control-Allow-Credentials'), null);
  });

  it('answers the 6th session request in a minute from one IP with 429 and Retry-After', async () => {
    const base = await start({ rateLimitPerMinute: 5 });
    const first = await mint(base);
    for (let i = 0; i < 4; i++) await mint(base, { cookie: first.cookie });
    const sixth = await post(base, { cookie: first.cookie });
    assert.equal(sixth.status, 429);
    const retry = Number(sixth.headers.get('Retry-After'));
    assert.ok(retry >= 1 && retry <= 60, `Retry-After ${retry}`);
  });

  it('revokes the credential on logout', async () => {
    const base = await start();
    const { body } = await mint(base);
    assert.equal((await asVisitor(body.token, '/users/me')).status, 200);
    const res = await fetch(`${base}/v1/session`, { method: 'DELETE', headers: { Origin: origin, Authorization: `Bearer ${body.token}` } });
    assert.equal(res.status, 204);
    assert.match(res.headers.get('Set-Cookie') ?? '', /Max-Age=0/);
    assert.equal((await asVisitor(body.token, '/users/me')).status, 401);
  });

  it('makes expiry real: older credentials beyond the cap and expired ones are revoked', async () => {
    // A companion whose clock is two hours behind mints credentials that are already expired.
    const past = await start({ maxCredentialsPerVisitor: 2 }, () => Date.now() - 2 * 3600_000);
    const first = await mint(past);
    const second = await mint(past, { cookie: first.cookie });
    const third = await mint(past, { cookie: first.cookie });
    assert.equal((await asVisitor(first.body.token, '/users/me')).status, 401, 'beyond the cap of 2');
    assert.equal((await asVisitor(second.body.token, '/users/me')).status, 200);

    const now = createCompanion(config(), { logger: silentLogger });
    assert.ok((await now.sweepExpiredCredentials()) >= 2);
    assert.equal((await asVisitor(second.body.token, '/users/me')).status, 401, 'expired, swept');
    assert.equal((await asVisitor(third.body.token, '/users/me')).status, 401, 'expired, swept');
  });

  it('reactivates a deactivated returning visitor', async () => {
    const base = await start();
    const first = await mint(base);
    await adminApi('PUT', `/users/${first.body.userId}/active`, { active: false });
    const again = await mint(base, { cookie: first.cookie });
    assert.equal(again.body.userId, first.body.userId);
    assert.equal((await asVisitor(again.body.token, '/users/me')).status, 200);
  });

  it('deactivates visitors idle for PORTHOLE_IDLE_VISITOR_DAYS and brings them back when they return', async () => {
    const companion = createCompanion(config({ idleVisitorDays: 30 }), { logger: silentLogger });
    const running = await serve(companion, { port: 0, host: '127.0.0.1' });
    servers.push(running);
    const first = await mint(running.url);
    const active = async (id: string) => (await adminApi('GET', `/users/${id}`)).delete_at === 0;
    await companion.recycleIdleVisitors();
    assert.equal(await active(first.body.userId), true, 'a visitor seen just now stays');
    const later = Date.now() + 31 * 86_400_000;
    assert.ok((await companion.recycleIdleVisitors(later)) >= 1);
    assert.equal(await active(first.body.userId), false, 'idle for 31 days: deactivated');
    for (const a of mm.agents) assert.equal(await active(a.id), true, 'staff accounts are never touched');
    assert.equal((await asVisitor(first.body.token, '/users/me')).status, 401, 'its credential ended with it');
    const again = await mint(running.url, { cookie: first.cookie });
    assert.equal(again.body.userId, first.body.userId);
    assert.equal(await active(first.body.userId), true, 'reactivated on return');
    assert.equal((await asVisitor(again.body.token, '/users/me')).status, 200);
  });

  it('is idempotent under concurrent first requests', async () => {
    const base = await start();
    const sub = `it-race-${randomUUID()}`;
    const identity = await signIdentity({ sub, exp: exp(300) }, IDENTITY_SECRET);
    // Different companion instances share nothing in memory, like several replicas.
    const bases = [base, await start(), await start()];
    const results = await Promise.all(bases.map((b) => mint(b, { body: { identity } })));
    assert.equal(new Set(results.map((r) => r.body.userId)).size, 1);
    assert.equal(new Set(results.map((r) => r.body.channelId)).size, 1);
  });

  it('reports readiness with the user headroom', async () => {
    const base = await start();
    const res = await fetch(`${base}/readyz`);
    const body = (await res.json()) as { status: string; users: { active: number; limit: number; headroom: number } };
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(body.status, 'ready');
    assert.equal(body.users.limit, 250);
    assert.ok(body.users.headroom > 0);
  });
});
