import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { signIdentity } from './identity.js';
import { MattermostError } from './mattermost-admin.js';
import { cookieOf, nodeEnv, postSession, TEST, testCompanion } from './test-support.js';
import { visitorHandle } from './visitor-provisioner.js';

const exp = () => Math.floor(1_800_000_000_000 / 1000) + 300;

describe('POST /v1/session — anonymous visitors', () => {
  it('creates the user, the private channel with the agents, the notice, and a credential', async () => {
    const { companion, mm } = testCompanion();
    const res = await postSession(companion);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('Cache-Control'), 'no-store');
    const body = await res.json();
    assert.deepEqual(Object.keys(body).sort(), ['channelId', 'expiresAt', 'serverUrl', 'token', 'userId']);
    assert.equal(body.serverUrl, 'https://chat.example.com', 'the public URL, not the internal one');
    assert.equal(body.expiresAt, 1_800_000_000_000 + 3600_000);

    const user = mm.users.get(body.userId)!;
    assert.match(user.username, /^visitor-[0-9a-f]{14}$/);
    assert.match(user.first_name!, /^Visitor [0-9a-f]{4}$/);
    assert.ok(mm.teams.get(TEST.teamId)!.members.has(user.id));
    const channel = mm.channels.get(body.channelId)!;
    assert.equal(channel.type, 'P');
    assert.equal(channel.name, user.username);
    for (const id of [user.id, ...TEST.agentIds]) assert.ok(channel.members.has(id), `member ${id}`);
    assert.equal(mm.posts.length, 1);
    assert.equal(mm.posts[0]!.channelId, TEST.inboxId);
    assert.ok(mm.posts[0]!.message.includes(`https://chat.example.com/support/channels/${user.username}`));
    assert.equal((await mm.getUserForToken(body.token))?.id, user.id, 'the token works');
  });

  it('sets an HttpOnly SameSite=Lax cookie without Secure in development', async () => {
    const { companion } = testCompanion();
    const set = (await postSession(companion)).headers.get('Set-Cookie') ?? '';
    assert.match(set, /^porthole_vid=[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]+; /);
    assert.match(set, /HttpOnly/);
    assert.match(set, /SameSite=Lax/);
    assert.doesNotMatch(set, /Secure/);
  });

  it('sets SameSite=None; Secure in production', async () => {
    const { companion } = testCompanion({ production: true });
    const set = (await postSession(companion)).headers.get('Set-Cookie') ?? '';
    assert.match(set, /HttpOnly/);
    assert.match(set, /SameSite=None/);
    assert.match(set, /; Secure/);
  });

  it('keeps a returning visitor on the same user and channel', async () => {
    const { companion, mm } = testCompanion();
    const first = await postSession(companion);
    const a = await first.json();
    const b = await (await postSession(companion, { cookie: cookieOf(first) })).json();
    assert.equal(b.userId, a.userId);
    assert.equal(b.channelId, a.channelId);
    assert.notEqual(b.token, a.token);
    assert.equal(mm.posts.length, 1, 'no second notice');
  });

  it('ignores a tampered cookie and starts a new visitor', async () => {
    const { companion } = testCompanion();
    const first = await postSession(companion);
    const a = await first.json();
    const [name, value] = cookieOf(first).split('=') as [string, string];
    const tampered = `${name}=${value.slice(0, 5)}${value[5] === 'A' ? 'B' : 'A'}${value.slice(6)}`;
    const res = await postSession(companion, { cookie: tampered });
    const b = await res.json();
    assert.notEqual(b.userId, a.userId);
    assert.notEqual(cookieOf(res), tampered);
  });

  it('reactivates a deactivated visitor', async () => {
    const { companion, mm } = testCompanion();
    const first = await postSession(companion);
    const a = await first.json();
    await mm.setUserActive(a.userId, false);
    const b = await (await postSession(companion, { cookie: cookieOf(first) })).json();
    assert.equal(b.userId, a.userId);
    assert.equal(mm.users.get(a.userId)!.delete_at, 0);
  });

  it('creates one user and one channel under concurrent first requests', async () => {
    const { companion, mm } = testCompanion({ rateLimitPerMinute: 100 });
    const first = await postSession(companion);
    const cookie = cookieOf(first);
    const { userId } = await first.json();
    await mm.setUserActive(userId, false);
    const results = await Promise.all(Array.from({ length: 5 }, () => postSession(companion, { cookie }).then((r) => r.json())));
    assert.ok(results.every((r) => r.userId === userId));
    assert.equal([...mm.users.values()].filter((u) => u.username.startsWith('visitor-')).length, 1);
  });

  it('recovers when another instance created the user first', async () => {
    const { companion, mm } = testCompanion();
    const original = mm.getUserByUsername.bind(mm);
    let calls = 0;
    // First lookup misses (as if another instance was creating it at that moment).
    mm.getUserByUsername = async (u) => (calls++ === 0 ? null : original(u));
    await mm.createUser({ username: await visitorHandle('id:race'), email: 'r@x.invalid', password: 'p' });
    const res = await postSession(companion, { body: { identity: await signIdentity({ sub: 'race', exp: exp() }, TEST.identitySecret) } });
    assert.equal(res.status, 200);
  });

  it('concurrent sessions of one visitor keep a credential instead of revoking each other', async () => {
    const { companion, mm } = testCompanion({ rateLimitPerMinute: 100, maxCredentialsPerVisitor: 1 });
    const first = await postSession(companion);
    const { userId } = await first.json();
    const sessions = await Promise.all([1, 2, 3].map(() => postSession(companion, { cookie: cookieOf(first) }).then((r) => r.json())));
    const live = [...mm.tokens.values()].filter((t) => t.user_id === userId);
    assert.equal(live.length, 1, 'at most maxCredentialsPerVisitor stay live');
    assert.ok(
      sessions.some((s: { token: string }) => s.token === live[0]!.token),
      'the credential kept is one just handed out',
    );
  });

  it('keeps at most maxCredentialsPerVisitor live tokens and revokes expired ones', async () => {
    const { companion, mm, clock } = testCompanion({ rateLimitPerMinute: 100, maxCredentialsPerVisitor: 2 });
    const first = await postSession(companion);
    const { userId } = await first.json();
    const mine = () => [...mm.tokens.values()].filter((t) => t.user_id === userId);
    for (let i = 0; i < 4; i++) {
      clock.now += 1;
      await postSession(companion, { cookie: cookieOf(first) });
    }
    assert.equal(mine().length, 2);
    clock.now += 3_600_001;
    await companion.sweepExpiredCredentials();
    assert.equal(mine().length, 0, 'the sweep revokes expired tokens');
  });
});

describe('POST /v1/session — identified visitors', () => {
  it('gives a valid identity its own user, named after the identity', async () => {
    const { companion, mm } = testCompanion();
    const identity = await signIdentity(
      { sub: 'customer-7', name: 'Ada [Lovelace](https://evil)', email: 'ada@example.com', exp: exp() },
      TEST.identitySecret,
    );
    const res = await postSession(companion, { body: { identity } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('Set-Cookie'), null, 'no visitor cookie for identified visitors');
    const body = await res.json();
    const user = mm.users.get(body.userId)!;
    assert.equal(user.username, await visitorHandle('id:customer-7'));
    assert.equal(user.first_name, 'Ada [Lovelace](https://evil)');
    assert.ok(!mm.posts[0]!.message.includes('](https://evil)'), 'the name cannot inject a link in the notice');
    const again = await (await postSession(companion, { body: { identity } })).json();
    assert.equal(again.userId, body.userId);
  });

  it('refuses forged, expired and unsigned identities with 401', async () => {
    const { companion, mm } = testCompanion({ rateLimitPerMinute: 100 });
    const forged = await signIdentity({ sub: 'x', exp: exp() }, 'not-the-secret-not-the-secret-not-the');
    const expired = await signIdentity({ sub: 'x', exp: exp() - 600 }, TEST.identitySecret);
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const none = `${b64({ alg: 'none' })}.${b64({ sub: 'x', exp: exp() })}.`;
    for (const identity of [forged, expired, none]) {
      const res = await postSession(companion, { body: { identity } });
      assert.equal(res.status, 401);
      assert.equal((await res.json()).error.code, 'invalid_identity');
    }
    assert.equal(mm.calls.get('createUser'), undefined);
  });

  it('refuses identities when no identity secret is configured', async () => {
    const { companion } = testCompanion({ identitySecret: undefined });
    const identity = await signIdentity({ sub: 'x', exp: exp() }, TEST.identitySecret);
    const res = await postSession(companion, { body: { identity } });
    assert.equal(res.status, 401);
    assert.equal((await res.json()).error.code, 'identity_not_accepted');
  });
});

describe('POST /v1/session — bad requests', () => {
  it('400 for JSON that is not the expected object, saying what was expected and received', async () => {
    const { companion } = testCompanion({ rateLimitPerMinute: 100 });
    const cases: [unknown, RegExp][] = [
      [[1, 2], /Expected a JSON object .* received an array/],
      [{ identity: 42 }, /"identity" expected string, received number/],
      [{ name: '' }, /"name" must not be empty/],
      [{ identityToken: 'x' }, /unknown field\(s\) "identityToken"/],
    ];
    for (const [body, message] of cases) {
      const res = await postSession(companion, { body });
      assert.equal(res.status, 400, JSON.stringify(body));
      const json = await res.json();
      assert.equal(json.error.code, 'invalid_body');
      assert.match(json.error.message, message);
      assert.equal(res.headers.get('Access-Control-Allow-Origin'), TEST.origin, 'the page can read the error');
    }
    const bad = await postSession(companion, { rawBody: '{"identity":' });
    assert.equal(bad.status, 400);
    assert.equal((await bad.json()).error.code, 'invalid_json');
  });

  it('413 for a body over 4 KB', async () => {
    const { companion, mm } = testCompanion();
    const res = await postSession(companion, { body: { name: 'x'.repeat(5000) } });
    assert.equal(res.status, 413);
    assert.deepEqual(await res.json(), {
      error: {
        code: 'body_too_large',
        message: 'The request body must be at most 4096 bytes.',
        requestId: res.headers.get('X-Request-Id'),
      },
    });
    assert.equal(res.headers.get('Access-Control-Allow-Origin'), TEST.origin, 'the page can read the error');
    assert.equal(mm.calls.get('createUser'), undefined);
  });

  it('415 for a non-JSON content type', async () => {
    const { companion } = testCompanion();
    const res = await postSession(companion, { rawBody: 'name=x', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    assert.equal(res.status, 415);
  });
});

describe('errors and logs', () => {
  it('never reveals internals or Mattermost messages in production', async () => {
    const { companion, mm } = testCompanion({ production: true });
    mm.failWith = new MattermostError(
      500,
      'store.sql_user.save.app_error',
      'pq: duplicate key value violates unique constraint "users_pkey" at db.internal:5432',
    );
    const res = await postSession(companion);
    assert.equal(res.status, 502);
    const text = await res.text();
    const body = JSON.parse(text);
    assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'requestId']);
    assert.equal(body.error.requestId, res.headers.get('X-Request-Id'));
    for (const leak of ['pq:', 'users_pkey', 'db.internal', 'store.sql', 'mm.internal', 'Error'])
      assert.ok(!text.includes(leak), `leaked ${leak}: ${text}`);

    mm.failWith = new TypeError("Cannot read properties of undefined (reading 'id') at /srv/app.js:12");
    const res2 = await postSession(companion, { ip: '203.0.113.99' });
    assert.equal(res2.status, 500);
    const text2 = await res2.text();
    assert.ok(!text2.includes('Cannot read') && !text2.includes('/srv/'), text2);
  });

  it('includes the detail in development', async () => {
    const { companion, mm } = testCompanion();
    mm.failWith = new MattermostError(500, 'store.sql_user.save.app_error', 'db exploded');
    const body = await (await postSession(companion)).json();
    assert.match(body.error.detail, /db exploded/);
  });

  it('maps an unreachable Mattermost to 503 and the user limit to capacity_reached', async () => {
    const { companion, mm } = testCompanion({ production: true, rateLimitPerMinute: 100 });
    mm.failWith = new MattermostError(0, undefined, 'connect ECONNREFUSED 10.0.0.5:8065');
    const r1 = await postSession(companion);
    assert.equal(r1.status, 503);
    assert.ok(!(await r1.text()).includes('10.0.0.5'));
    mm.failWith = new MattermostError(400, 'api.user.create_user.user_limits.exceeded', 'limit');
    const r2 = await postSession(companion);
    assert.equal(r2.status, 503);
    assert.equal((await r2.json()).error.code, 'capacity_reached');
  });

  it('logs one JSON line per request without tokens, cookies or secrets', async () => {
    const { companion, log, mm } = testCompanion();
    const first = await postSession(companion, { body: { identity: await signIdentity({ sub: 'u1', exp: exp() }, TEST.identitySecret) } });
    const { token } = await first.json();
    const anon = await postSession(companion);
    const cookie = cookieOf(anon);
    await companion.fetch(
      new Request('http://companion.test/v1/session', { method: 'DELETE', headers: { Authorization: `Bearer ${token}`, Cookie: cookie } }),
      nodeEnv('203.0.113.7'),
    );
    mm.failWith = new Error('boom');
    await postSession(companion, { cookie });

    const text = log.text();
    const requests = log.entries.filter((e) => e.msg === 'request');
    assert.equal(requests.length, 4);
    for (const e of requests) {
      assert.deepEqual(Object.keys(e).sort(), ['level', 'method', 'ms', 'msg', 'path', 'requestId', 'status']);
    }
    for (const secret of [token, cookie.split('=')[1]!, TEST.cookieSecret, TEST.identitySecret, TEST.mmToken, mm.adminToken]) {
      assert.ok(!text.includes(secret), `the log contains a secret: ${secret}`);
    }
  });
});

describe('DELETE /v1/session', () => {
  it('revokes the visitor token and clears the cookie', async () => {
    const { companion, mm } = testCompanion();
    const first = await postSession(companion);
    const { token, userId } = await first.json();
    const res = await companion.fetch(
      new Request('http://companion.test/v1/session', {
        method: 'DELETE',
        headers: { Origin: TEST.origin, Authorization: `Bearer ${token}` },
      }),
      nodeEnv('203.0.113.7'),
    );
    assert.equal(res.status, 204);
    assert.match(res.headers.get('Set-Cookie') ?? '', /^porthole_vid=; .*Max-Age=0/);
    assert.equal(res.headers.get('Access-Control-Allow-Origin'), TEST.origin);
    assert.equal(await mm.getUserForToken(token), null);
    assert.equal([...mm.tokens.values()].filter((t) => t.user_id === userId).length, 0);
  });

  it('401 without a bearer token; never revokes a staff token', async () => {
    const { companion, mm } = testCompanion();
    const none = await companion.fetch(new Request('http://companion.test/v1/session', { method: 'DELETE' }));
    assert.equal(none.status, 401);
    const staff = await companion.fetch(
      new Request('http://companion.test/v1/session', { method: 'DELETE', headers: { Authorization: `Bearer ${mm.adminToken}` } }),
    );
    assert.equal(staff.status, 204);
    assert.equal(mm.calls.get('revokeUserAccessToken'), undefined);
  });
});

describe('DELETE /v1/session/cookie (SPA life cycle: shutdown)', () => {
  for (const production of [false, true]) {
    it(`expires the visitor cookie without a token, with the attributes it was set with (${production ? 'production' : 'development'}); the next session is a new visitor`, async () => {
      const { companion, mm } = testCompanion({ production });
      const first = await postSession(companion);
      const set = first.headers.get('Set-Cookie')!;
      const { userId } = await first.json();
      const res = await companion.fetch(
        new Request('http://companion.test/v1/session/cookie', {
          method: 'DELETE',
          headers: { Origin: TEST.origin, Cookie: cookieOf(first) },
        }),
        nodeEnv('203.0.113.7'),
      );
      assert.equal(res.status, 204);
      assert.equal(res.headers.get('Access-Control-Allow-Origin'), TEST.origin);
      const cleared = res.headers.get('Set-Cookie')!;
      assert.match(cleared, /^porthole_vid=; .*Max-Age=0/);
      const attrs = (v: string) =>
        v
          .split('; ')
          .slice(1)
          .filter((a) => !a.startsWith('Max-Age='));
      assert.deepEqual(attrs(cleared), attrs(set));
      assert.equal(mm.calls.get('revokeUserAccessToken'), undefined, 'nothing is revoked');
      const next = await (await postSession(companion)).json();
      assert.notEqual(next.userId, userId);
    });
  }
});
