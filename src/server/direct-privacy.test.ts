import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuditEvent, AuditLog } from './audit-log.js';
import { transcriptSchema } from '../protocol/transcript.js';
import { nodeEnv, postSession, TEST, testCompanion } from './test-support.js';
import { signIdentity } from './identity.js';
import { DIRECT_PRIVACY_REQUESTS_PER_ADDRESS, DIRECT_TRANSCRIPTS_PER_MINUTE } from './direct-privacy.js';
import { MattermostError } from './mattermost-admin.js';

function collectingAudit(): AuditLog & { events: AuditEvent[] } {
  const events: AuditEvent[] = [];
  return { events, record: (e) => void events.push(e), close: async () => {} };
}

/** A direct companion with one visitor: two messages, an agent's reply with a file. */
async function withVisitor() {
  const audit = collectingAudit();
  const t = testCompanion({}, { audit });
  const res = await postSession(t.companion, { body: { name: 'Grace Hopper' } });
  assert.equal(res.status, 200);
  const session = (await res.json()) as { token: string; userId: string; channelId: string };
  const agent = TEST.agentIds[0];
  t.mm.users.get(agent)!.first_name = 'Ada';
  const first = t.mm.post(session.channelId, session.userId, 'Hello, my order #123 is late');
  const reply = t.mm.post(session.channelId, agent, 'Here is the invoice', [
    { name: 'invoice.pdf', size: 2048, mime_type: 'application/pdf' },
  ]);
  const second = t.mm.post(session.channelId, session.userId, 'Thanks');
  const call = (method: string, path: string, token?: string) =>
    t.companion.fetch(
      new Request(`http://companion.test${path}`, {
        method,
        headers: { Origin: TEST.origin, ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      }),
      nodeEnv('203.0.113.9'),
    );
  return { ...t, audit, session, agent, first, reply, second, call };
}

describe('direct mode: GET /v1/transcript', () => {
  it("returns the visitor's channel oldest first, with names and files", async () => {
    const t = await withVisitor();
    const res = await t.call('GET', '/v1/transcript', t.session.token);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('Content-Disposition')!, /^attachment; filename="porthole-transcript-\d{4}-\d{2}-\d{2}\.json"$/);
    assert.equal(res.headers.get('Access-Control-Allow-Origin'), TEST.origin, 'CORS allows the GET');
    const transcript = transcriptSchema.parse(await res.json());
    assert.equal(transcript.conversation.id, t.session.channelId);
    assert.equal(transcript.conversation.visitorName, 'Grace Hopper');
    assert.deepEqual(
      transcript.messages.map((m) => [m.id, m.author, m.authorName, m.text, m.files.length]),
      [
        [t.first, 'visitor', 'Grace Hopper', 'Hello, my order #123 is late', 0],
        [t.reply, 'agent', 'Ada', 'Here is the invoice', 1],
        [t.second, 'visitor', 'Grace Hopper', 'Thanks', 0],
      ],
    );
    assert.deepEqual(transcript.messages[1]!.files, [{ name: 'invoice.pdf', size: 2048, mimeType: 'application/pdf' }]);
    const line = t.audit.events.find((e) => e.action === 'conversation.exported')!;
    assert.equal(line.actor, `visitor:${t.session.userId}`);
    assert.deepEqual(line.detail, { mode: 'direct', messages: 3, files: 1 });
  });

  it("accepts only a visitor's own Mattermost token", async () => {
    const t = await withVisitor();
    assert.equal((await t.call('GET', '/v1/transcript')).status, 401);
    assert.equal((await t.call('GET', '/v1/transcript', 'not-a-token')).status, 401);
    const staff = await t.call('GET', '/v1/transcript', t.mm.adminToken);
    assert.equal(staff.status, 401, "an admin's token is not a visitor's");
    assert.equal(((await staff.json()) as { error: { code: string } }).error.code, 'invalid_token');
  });
});

describe('direct mode: DELETE /v1/conversation', () => {
  it('deletes the files, the inbox notice, the channel and the user for good', async () => {
    const t = await withVisitor();
    const notices = t.mm.posts.filter((p) => p.channelId === TEST.inboxId).length;
    assert.equal(notices, 1);
    const res = await t.call('DELETE', '/v1/conversation', t.session.token);
    assert.equal(res.status, 204, await res.clone().text());
    assert.match(res.headers.get('Set-Cookie')!, /Max-Age=0/);
    assert.equal(t.mm.users.has(t.session.userId), false, 'the user');
    assert.equal(t.mm.channels.has(t.session.channelId), false, 'the channel');
    assert.equal(t.mm.files.size, 0, "the agent's file");
    assert.equal(t.mm.posts.filter((p) => p.channelId === TEST.inboxId).length, 0, 'the inbox notice');
    assert.equal(t.mm.posts.filter((p) => p.channelId === t.session.channelId).length, 0);
    assert.equal([...t.mm.tokens.values()].filter((k) => k.user_id === t.session.userId).length, 0, 'no credential left');
    assert.ok(t.mm.users.has(t.agent), 'the agent stays');
    assert.equal((await t.call('GET', '/v1/transcript', t.session.token)).status, 401, 'the old token is refused');
    const line = t.audit.events.find((e) => e.action === 'conversation.erased')!;
    assert.equal(line.subject, t.session.channelId);
    assert.deepEqual(line.detail, { mode: 'direct', found: true, posts: 4, files: 1, user: true, channel: true });
  });

  it('refuses with 503 erasure_unavailable, saying which setting, when Mattermost has channel deletion off', async () => {
    const t = await withVisitor();
    t.mm.permanentDeletion.channel = false;
    const res = await t.call('DELETE', '/v1/conversation', t.session.token);
    assert.equal(res.status, 503);
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'erasure_unavailable');
    assert.match(body.error.message, /EnableAPIChannelDeletion/);
    assert.ok(t.mm.users.has(t.session.userId), 'the user stays, so a retry finds what is left');
    // Turned on, an operator finishes it: idempotent over what was already deleted.
    t.mm.permanentDeletion.channel = true;
    const report = await t.companion.privacy.eraseConversation(t.session.channelId, { actor: 'operator:cli' });
    assert.equal(report.found, true);
    assert.equal(t.mm.channels.has(t.session.channelId), false);
    assert.equal(t.mm.users.has(t.session.userId), false);
    const again = await t.companion.privacy.eraseConversation(t.session.channelId, { actor: 'operator:cli' });
    assert.equal(again.found, false, 'twice is not an error');
  });

  it('exports and erases an identified visitor by sub:<sub>, and never a staff channel', async () => {
    const t = testCompanion();
    const identity = await signIdentity({ sub: 'user-42', name: 'Known', exp: 1_800_000_000 + 300 }, TEST.identitySecret);
    const session = (await (await postSession(t.companion, { body: { identity } })).json()) as { channelId: string; userId: string };
    t.mm.post(session.channelId, session.userId, 'identified hello');
    const transcript = await t.companion.privacy.exportConversation('sub:user-42', { actor: 'operator:cli' });
    assert.deepEqual(
      transcript.messages.map((m) => m.text),
      ['identified hello'],
    );
    await assert.rejects(
      t.companion.privacy.exportConversation(TEST.inboxId.replace(/1$/, '2'), { actor: 'operator:cli' }),
      /No conversation/,
    );
    await assert.rejects(
      t.companion.privacy.eraseConversation(TEST.inboxId, { actor: 'operator:cli' }),
      /not a visitor's conversation channel/,
    );
    assert.equal((await t.companion.privacy.eraseConversation('sub:user-42', { actor: 'operator:cli' })).user, true);
    assert.equal(t.mm.users.has(session.userId), false);
  });
});

describe('direct mode: retention', () => {
  it('erases visitors idle past PORTHOLE_RETENTION_DAYS, not those whose channel saw a post since', async () => {
    const t = testCompanion({ retentionDays: 30 });
    const idle = (await (await postSession(t.companion, { ip: '203.0.113.1' })).json()) as { userId: string; channelId: string };
    const active = (await (await postSession(t.companion, { ip: '203.0.113.2' })).json()) as { userId: string; channelId: string };
    const day = 86_400_000;
    // An agent answered the second one 35 days from now.
    t.mm.channels.get(active.channelId)!.last_post_at = Date.now() + 35 * day;
    assert.equal(await t.companion.eraseIdleConversations(Date.now() + 10 * day), 0, 'nobody is idle yet');
    assert.equal(await t.companion.eraseIdleConversations(Date.now() + 40 * day), 1);
    assert.equal(t.mm.users.has(idle.userId), false);
    assert.equal(t.mm.users.has(active.userId), true);
    assert.ok(t.mm.users.has(TEST.agentIds[0]), 'staff are never erased');
    // Off by default.
    const off = testCompanion();
    await postSession(off.companion);
    assert.equal(await off.companion.eraseIdleConversations(Date.now() + 400 * day), 0);
  });
});

describe('direct mode: erasure failures, limits and races', () => {
  it('finishes a half-done erasure when asked again with the same token (credentials go last, with the user)', async () => {
    const t = await withVisitor();
    const deleteChannel = t.mm.deleteChannelPermanently.bind(t.mm);
    let failures = 5;
    t.mm.deleteChannelPermanently = async (id) => {
      if (failures-- > 0) throw new MattermostError(500, 'app.channel.permanent_delete.app_error', 'deleteChannelPermanently → 500');
      return deleteChannel(id);
    };
    const first = await t.call('DELETE', '/v1/conversation', t.session.token);
    assert.equal(first.status, 503);
    assert.equal(first.headers.get('Retry-After'), '5');
    const body = (await first.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'erasure_incomplete');
    assert.match(body.error.message, /ask again to finish it/);
    assert.ok(t.mm.users.has(t.session.userId));
    failures = 0;
    const again = await t.call('DELETE', '/v1/conversation', t.session.token);
    assert.equal(again.status, 204, await again.clone().text());
    assert.equal(t.mm.channels.has(t.session.channelId), false);
    assert.equal(t.mm.users.has(t.session.userId), false);
    assert.equal([...t.mm.tokens.values()].filter((k) => k.user_id === t.session.userId).length, 0, 'no credential left');
  });

  it('revokes the credentials when Mattermost refuses to delete the user', async () => {
    const t = await withVisitor();
    t.mm.permanentDeletion.user = false;
    const res = await t.call('DELETE', '/v1/conversation', t.session.token);
    assert.equal(res.status, 503);
    assert.match(((await res.json()) as { error: { message: string } }).error.message, /EnableAPIUserDeletion/);
    assert.equal([...t.mm.tokens.values()].filter((k) => k.user_id === t.session.userId).length, 0, 'no credential left');
  });

  it("audits an erasure whose channel was already gone with the user's id, never an empty subject", async () => {
    const audit = collectingAudit();
    const t = testCompanion({}, { audit });
    const identity = await signIdentity({ sub: 'user-7', name: 'Seven', exp: 1_800_000_000 + 300 }, TEST.identitySecret);
    const session = (await (await postSession(t.companion, { body: { identity } })).json()) as { channelId: string; userId: string };
    t.mm.channels.delete(session.channelId); // deleted by an earlier, half-done erasure
    const report = await t.companion.privacy.eraseConversation('sub:user-7', { actor: 'operator:cli' });
    assert.equal(report.user, true);
    const line = audit.events.find((e) => e.action === 'conversation.erased')!;
    assert.equal(line.outcome, 'ok');
    assert.equal(line.subject, session.userId);
  });

  it('limits privacy requests per address before asking Mattermost about the token', async () => {
    const t = await withVisitor();
    const before = t.mm.calls.get('getUserForToken') ?? 0;
    for (let i = 0; i < DIRECT_PRIVACY_REQUESTS_PER_ADDRESS; i++)
      assert.equal((await t.call(i % 2 ? 'GET' : 'DELETE', i % 2 ? '/v1/transcript' : '/v1/conversation', `made-up-${i}`)).status, 401);
    const refused = await t.call('GET', '/v1/transcript', 'made-up-again');
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.headers.get('Retry-After')) >= 1);
    assert.match(
      ((await refused.json()) as { error: { message: string } }).error.message,
      /privacy requests from this address: at most 30/,
    );
    assert.equal(
      (t.mm.calls.get('getUserForToken') ?? 0) - before,
      DIRECT_PRIVACY_REQUESTS_PER_ADDRESS,
      'the refused one cost Mattermost nothing',
    );
  });

  it('limits transcript downloads per visitor', async () => {
    const t = await withVisitor();
    for (let i = 0; i < DIRECT_TRANSCRIPTS_PER_MINUTE; i++)
      assert.equal((await t.call('GET', '/v1/transcript', t.session.token)).status, 200);
    assert.equal((await t.call('GET', '/v1/transcript', t.session.token)).status, 429);
  });

  it('retention keeps a visitor who became active after the pass read the activities', async () => {
    const t = testCompanion({ retentionDays: 30 });
    const back = (await (await postSession(t.companion, { ip: '203.0.113.1' })).json()) as { userId: string };
    const gone = (await (await postSession(t.companion, { ip: '203.0.113.2' })).json()) as { userId: string };
    const day = 86_400_000;
    const listInactive = t.mm.listInactiveTeamUsers.bind(t.mm);
    // The pass has read every activity; then the first visitor comes back.
    t.mm.listInactiveTeamUsers = async (...args) => {
      const list = await listInactive(...args);
      t.mm.users.get(back.userId)!.last_activity_at = Date.now() + 39 * day;
      return list;
    };
    assert.equal(await t.companion.eraseIdleConversations(Date.now() + 40 * day), 1);
    assert.equal(t.mm.users.has(back.userId), true, 'kept');
    assert.equal(t.mm.users.has(gone.userId), false);
  });
});
