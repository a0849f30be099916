// The audit lines the companion writes for sessions, logouts and credential revocations, in both
// modes: who, what, the request id, and never a secret, an email or the host's `sub`.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, it } from 'node:test';
import { auditLine, type AuditEvent, type AuditLog } from './audit-log.js';
import { signIdentity } from './identity.js';
import { silentLogger } from './logger.js';
import { createShell } from './shell.js';
import { postSession, TEST, testCompanion } from './test-support.js';
import { createGateway, type Gateway } from './gateway/gateway.js';
import { MemoryGatewayStore } from './gateway/memory-store.js';
import { MemoryMattermost, testGatewayConfig } from './gateway/test-support.js';

function collectingAudit(): AuditLog & { events: AuditEvent[]; text(): string } {
  const events: AuditEvent[] = [];
  return {
    events,
    record: (event) => void events.push(event),
    close: async () => {},
    text: () => events.map((event) => auditLine(event)).join(''),
  };
}

const SUB = 'grace@example.com';
const identityFor = (secret: string, sub = SUB) =>
  signIdentity({ sub, name: 'Grace Hopper', email: 'grace.hopper@example.com', exp: Math.floor(1_800_000_000_000 / 1000) + 300 }, secret);

describe('audit (direct mode)', () => {
  it('records each identified session with the user id as actor, the request id, and whether it returns', async () => {
    const audit = collectingAudit();
    const { companion } = testCompanion({}, { audit });
    const identity = await identityFor(TEST.identitySecret);
    const first = await postSession(companion, { body: { identity }, headers: { 'X-Request-Id': 'req-first-0001' } });
    assert.equal(first.status, 200);
    const session = await first.json();
    await postSession(companion, { body: { identity } });
    await postSession(companion); // anonymous: not audited
    assert.deepEqual(
      audit.events.map((e) => [e.action, e.outcome, e.detail?.returning]),
      [
        ['session.identified', 'ok', false],
        ['session.identified', 'ok', true],
      ],
    );
    const [event] = audit.events;
    assert.equal(event!.actor, `visitor:${session.userId}`);
    assert.equal(event!.subject, session.userId);
    assert.equal(event!.requestId, 'req-first-0001');
    assert.equal(event!.detail?.conversationId, session.channelId);
    for (const leaked of [SUB, 'grace.hopper', session.token, identity])
      assert.ok(!audit.text().includes(leaked), `${leaked.slice(0, 20)} is not written`);
  });

  it('records a refused identity as failed, with the reason and the request id', async () => {
    const audit = collectingAudit();
    const { companion } = testCompanion({}, { audit });
    const forged = await identityFor('another-secret-another-secret-another-s');
    const res = await postSession(companion, { body: { identity: forged } });
    assert.equal(res.status, 401);
    assert.deepEqual(audit.events, [
      {
        action: 'session.identified',
        actor: 'visitor:unverified',
        requestId: res.headers.get('X-Request-Id')!,
        outcome: 'failed',
        detail: { mode: 'direct', reason: 'bad_signature' },
      },
    ]);
    const { companion: closed } = testCompanion({ identitySecret: undefined }, { audit });
    await postSession(closed, { body: { identity: forged } });
    assert.equal(audit.events.at(-1)!.detail?.reason, 'identity_not_accepted');
  });

  it('records a logout with how many credentials were revoked, and a token that revokes nothing', async () => {
    const audit = collectingAudit();
    const { companion } = testCompanion({}, { audit });
    const session = await (await postSession(companion)).json();
    const logout = (token: string) =>
      companion.fetch(
        new Request('http://companion.test/v1/session', {
          method: 'DELETE',
          headers: { Origin: TEST.origin, Authorization: `Bearer ${token}`, 'X-Request-Id': 'req-logout-01' },
        }),
      );
    assert.equal((await logout(session.token)).status, 204);
    assert.equal((await logout('unknowntokenunknowntoken00')).status, 204);
    assert.deepEqual(audit.events, [
      {
        action: 'session.revoked',
        actor: `visitor:${session.userId}`,
        subject: session.userId,
        requestId: 'req-logout-01',
        outcome: 'ok',
        detail: { mode: 'direct', revoked: 1 },
      },
      {
        action: 'session.revoked',
        actor: 'visitor:unverified',
        requestId: 'req-logout-01',
        outcome: 'failed',
        detail: { mode: 'direct', reason: 'unknown_token', revoked: 0 },
      },
    ]);
  });

  it('records the sweep and the prune that revoked credentials, by token id (never the token)', async () => {
    const audit = collectingAudit();
    const { companion, mm, clock } = testCompanion({ maxCredentialsPerVisitor: 1 }, { audit });
    const first = await postSession(companion);
    const a = await first.json();
    const cookie = (first.headers.get('Set-Cookie') ?? '').split(';')[0]!;
    clock.now += 1000;
    await postSession(companion, { cookie }); // keeps one credential: the first is pruned
    const pruned = audit.events.find((e) => e.action === 'credential.revoked')!;
    assert.equal(pruned.subject, a.userId);
    assert.equal(pruned.outcome, 'ok');
    assert.equal(pruned.detail?.reason, 'pruned');
    assert.equal(pruned.detail?.count, 1);
    const prunedIds = pruned.detail?.tokenIds as string[];
    assert.equal(prunedIds.length, 1);
    assert.ok(!mm.tokens.has(prunedIds[0]!), 'the audited id is the revoked token');

    audit.events.length = 0;
    assert.equal(await companion.sweepExpiredCredentials(), 0);
    assert.equal(audit.events.length, 0, 'a sweep that revokes nothing writes nothing');
    clock.now += 3601_000;
    assert.equal(await companion.sweepExpiredCredentials(), 1);
    assert.deepEqual(
      audit.events.map((e) => [e.action, e.actor, e.outcome, e.detail?.reason, e.detail?.count]),
      [['credential.revoked', 'system:companion', 'ok', 'expired', 1]],
    );
    for (const token of [a.token]) assert.ok(!audit.text().includes(token));
  });

  it('exposes its audit log on the companion', () => {
    const audit = collectingAudit();
    assert.equal(testCompanion({}, { audit }).companion.audit, audit);
  });
});

describe('audit (gateway mode)', () => {
  let gateway: Gateway | undefined;
  afterEach(async () => {
    await gateway?.stop();
    gateway = undefined;
  });

  async function served() {
    const audit = collectingAudit();
    const mm = new MemoryMattermost();
    const config = testGatewayConfig();
    gateway = createGateway(config, {
      logger: silentLogger,
      store: new MemoryGatewayStore(),
      mattermost: (token) => mm.clientFor(token),
      connectWaitMs: 0,
      botSocket: { minBackoffMs: 60_000 },
      audit,
    });
    await gateway.start();
    // Behind the shell, like the companion: it gives every request its id.
    const app = createShell({ production: false, logger: silentLogger, allowedOrigins: [], corsMethods: [], routes: 'test' });
    app.route('/', gateway.routes);
    const call = async (method: string, path: string, init: { token?: string; body?: unknown; requestId?: string } = {}) => {
      const headers: Record<string, string> = { 'X-Request-Id': init.requestId ?? `req-${randomUUID()}` };
      if (init.token) headers.Authorization = `Bearer ${init.token}`;
      if (init.body !== undefined) headers['Content-Type'] = 'application/json';
      const res = await app.request(path, { method, headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
      return { status: res.status, json: res.status === 204 ? undefined : await res.json() };
    };
    return { audit, config, call };
  }

  it('records identified sessions with the conversation id (a hash of the sub), returning once the conversation exists', async () => {
    const { audit, config, call } = await served();
    const identity = await identityFor(config.identitySecret!);
    const first = await call('POST', '/v1/session', { body: { identity }, requestId: 'req-gw-session-1' });
    assert.equal(first.status, 200);
    await call('POST', '/v1/session', {}); // anonymous: not audited
    assert.equal(
      (await call('POST', '/v1/messages', { token: first.json.token, body: { clientId: randomUUID(), text: 'hello there' } })).status,
      201,
    );
    await call('POST', '/v1/session', { body: { identity } });
    assert.deepEqual(
      audit.events.map((e) => [e.action, e.actor, e.subject, e.outcome, e.detail?.returning]),
      [
        ['session.identified', `visitor:${first.json.channelId}`, first.json.channelId, 'ok', false],
        ['session.identified', `visitor:${first.json.channelId}`, first.json.channelId, 'ok', true],
      ],
    );
    assert.equal(audit.events[0]!.requestId, 'req-gw-session-1');
    for (const leaked of [SUB, 'grace.hopper', 'hello there', first.json.token])
      assert.ok(!audit.text().includes(leaked), `${leaked.slice(0, 20)} is not written`);
  });

  it('records refused identities and logouts (refused tokens too)', async () => {
    const { audit, config, call } = await served();
    const forged = await identityFor('another-secret-another-secret-another-s');
    assert.equal((await call('POST', '/v1/session', { body: { identity: forged } })).status, 401);
    const session = (await call('POST', '/v1/session', { body: { identity: await identityFor(config.identitySecret!) } })).json;
    audit.events.length = 1;
    assert.equal((await call('DELETE', '/v1/session', { token: session.token, requestId: 'req-gw-logout-1' })).status, 204);
    assert.equal((await call('DELETE', '/v1/session', { token: 'pt1.forged.token' })).status, 401);
    assert.deepEqual(
      audit.events.map((e) => [e.action, e.actor, e.outcome, e.detail?.reason ?? e.detail?.revoked]),
      [
        ['session.identified', 'visitor:unverified', 'failed', 'bad_signature'],
        ['session.revoked', `visitor:${session.channelId}`, 'ok', 'all_issued_until_revokedAt'],
        ['session.revoked', 'visitor:unverified', 'failed', 'token_malformed'],
      ],
    );
    assert.equal(audit.events[1]!.requestId, 'req-gw-logout-1');
    assert.equal(audit.events[1]!.subject, session.channelId);
  });
});
