import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuditEvent, AuditLog } from '../audit-log.js';
import { transcriptSchema } from '../../protocol/transcript.js';
import { visitorIds } from './porthole-token.js';
import { TRANSCRIPTS_PER_MINUTE } from './privacy-routes.js';
import { MattermostError } from '../mattermost-admin.js';
import type { GatewayDeps } from './gateway.js';
import { MemoryGatewayStore } from './memory-store.js';
import { MemoryMattermost, startTestGateway } from './test-support.js';

/** An audit log that keeps its events. */
function collectingAudit(): AuditLog & { events: AuditEvent[] } {
  const events: AuditEvent[] = [];
  return { events, record: (e) => void events.push(e), close: async () => {} };
}

/** A gateway with one conversation: two visitor messages, an agent's reply with a file, edited. */
async function withConversation(options: Parameters<typeof startTestGateway>[0] = {}) {
  const audit = collectingAudit();
  const t = await startTestGateway({ ...options, deps: { audit, ...options.deps } });
  const agentId = t.mm.addAgent('ada', { first_name: 'Ada', last_name: 'Lovelace' });
  const s = await t.session({ name: 'Grace' });
  const send = async (text: string) => {
    const r = await t.call('POST', '/v1/messages', { token: s.token, body: { clientId: crypto.randomUUID(), text } });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    return r.json.message as { id: string };
  };
  const first = await send('Hello, my order #123 is late');
  const root = t.mm.posts.get(first.id)!.root_id;
  const reply = t.mm.reply(agentId, root, 'Sorry! Here is the invoice');
  const fileId = t.mm.attachFile(reply.id, 'invoice.pdf', 2048, 'application/pdf');
  t.mm.edit(reply.id, 'Sorry! Here is the corrected invoice');
  const second = await send('Thanks @ada');
  return { ...t, audit, agentId, s, first, second, root, reply, fileId };
}

describe('GET /v1/transcript (gateway)', () => {
  it('returns every message oldest first, with names, edits and files, as an attachment', async () => {
    const t = await withConversation();
    const r = await t.call('GET', '/v1/transcript', { token: t.s.token });
    assert.equal(r.status, 200);
    assert.match(r.res.headers.get('Content-Disposition')!, /^attachment; filename="porthole-transcript-\d{4}-\d{2}-\d{2}\.json"$/);
    assert.equal(r.res.headers.get('Cache-Control'), 'no-store');
    const transcript = transcriptSchema.parse(r.json);
    assert.equal(transcript.conversation.id, t.s.channelId);
    assert.equal(transcript.conversation.visitorName, 'Grace');
    assert.ok(transcript.conversation.createdAt);
    assert.deepEqual(
      transcript.messages.map((m) => [m.id, m.author, m.authorName, m.text]),
      [
        [t.first.id, 'visitor', 'Grace', 'Hello, my order #123 is late'],
        [t.reply.id, 'agent', 'Ada Lovelace', 'Sorry! Here is the corrected invoice'],
        [t.second.id, 'visitor', 'Grace', 'Thanks @ada'],
      ],
    );
    assert.ok(transcript.messages[1]!.editedAt, 'the edit is dated');
    assert.equal(transcript.messages[0]!.editedAt, undefined);
    assert.deepEqual(transcript.messages[1]!.files, [{ name: 'invoice.pdf', size: 2048, mimeType: 'application/pdf' }]);
    const line = t.audit.events.find((e) => e.action === 'conversation.exported')!;
    assert.deepEqual(
      { actor: line.actor, subject: line.subject, outcome: line.outcome, detail: line.detail },
      { actor: `visitor:${t.s.channelId}`, subject: t.s.channelId, outcome: 'ok', detail: { mode: 'gateway', messages: 3, files: 1 } },
    );
  });

  it('gives a visitor who has not written an empty transcript, without calling Mattermost', async () => {
    const t = await startTestGateway();
    const s = await t.session({ name: 'Quiet' });
    const calls = t.mm.calls.length;
    const r = await t.call('GET', '/v1/transcript', { token: s.token });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json.messages, []);
    assert.equal(r.json.conversation.createdAt, null);
    assert.equal(r.json.conversation.visitorName, 'Quiet');
    assert.equal(t.mm.calls.length, calls);
  });

  it('needs a valid token and has a limit of its own (a transcript reads the whole thread)', async () => {
    const t = await startTestGateway({ config: { readsPerMinute: 2 } });
    assert.equal((await t.call('GET', '/v1/transcript')).status, 401);
    assert.equal((await t.call('GET', '/v1/transcript', { token: 'pt1.nope' })).json.error.code, 'token_malformed');
    const s = await t.session();
    for (let i = 0; i < TRANSCRIPTS_PER_MINUTE; i++) assert.equal((await t.call('GET', '/v1/transcript', { token: s.token })).status, 200);
    const over = await t.call('GET', '/v1/transcript', { token: s.token });
    assert.equal(over.status, 429);
    assert.ok(over.res.headers.get('Retry-After'));
    assert.match(over.json.error.message, /transcript downloads of this conversation: at most 5 per minute/);
    // Transcripts and reads are counted apart.
    assert.equal((await t.call('GET', '/v1/messages', { token: s.token })).status, 200);
  });
});

describe('DELETE /v1/conversation (gateway)', () => {
  it('deletes every post and file of the thread for good, forgets the mapping, revokes the token, clears the cookie', async () => {
    const t = await withConversation();
    // A reply an agent deleted (soft) keeps its file in Mattermost: the relay recorded it.
    const gone = t.mm.reply(t.agentId, t.root, 'oops, wrong customer');
    const goneFile = t.mm.attachFile(gone.id, 'other.txt');
    t.mm.remove(gone.id);
    await t.store.recordDeletion(t.root, { postId: gone.id, userId: t.agentId, createAt: gone.create_at, deletedAt: gone.create_at + 1 });

    const r = await t.call('DELETE', '/v1/conversation', { token: t.s.token });
    assert.equal(r.status, 204, JSON.stringify(r.json));
    assert.match(r.res.headers.get('Set-Cookie')!, /Max-Age=0/);
    for (const id of [t.first.id, t.second.id, t.reply.id, gone.id, t.root]) assert.equal(t.mm.posts.has(id), false, `post ${id}`);
    assert.equal(t.mm.files.has(t.fileId), false, "the agent's file");
    assert.equal(t.mm.files.has(goneFile), false, "the deleted reply's file");
    assert.equal(await t.store.getConversation(t.s.channelId), undefined);
    assert.equal(await t.store.findConversationByRoot(t.root), undefined);
    assert.deepEqual(await t.store.idleConversations(Number.MAX_SAFE_INTEGER, 10), []);
    assert.equal((await t.call('GET', '/v1/messages', { token: t.s.token })).json.error.code, 'token_revoked');

    const line = t.audit.events.find((e) => e.action === 'conversation.erased')!;
    assert.equal(line.actor, `visitor:${t.s.channelId}`);
    assert.equal(line.subject, t.s.channelId);
    assert.equal(line.outcome, 'ok');
    assert.deepEqual(line.detail, { mode: 'gateway', found: true, posts: 5, files: 1 });
    assert.ok(!JSON.stringify(t.audit.events).includes('order #123'), 'no message text in the audit log');
  });

  it('is idempotent: a repeat with the revoked token, or a fresh session, answers 204 and erases nothing more', async () => {
    const t = await withConversation();
    assert.equal((await t.call('DELETE', '/v1/conversation', { token: t.s.token })).status, 204);
    assert.equal((await t.call('DELETE', '/v1/conversation', { token: t.s.token })).status, 204, 'the answer was lost: ask again');
    const again = await t.session({ name: 'Grace' }, t.s.cookie);
    assert.equal(again.channelId, t.s.channelId, 'the same visitor');
    assert.equal((await t.call('DELETE', '/v1/conversation', { token: again.token })).status, 204);
    const erased = t.audit.events.filter((e) => e.action === 'conversation.erased');
    assert.deepEqual(
      erased.map((e) => e.detail?.found),
      [true, false],
    );
    // The visitor can start again: a new thread.
    const r = await t.call('POST', '/v1/messages', {
      token: (await t.session({}, t.s.cookie)).token,
      body: { clientId: crypto.randomUUID(), text: 'hi again' },
    });
    assert.equal(r.status, 201);
    assert.notEqual(t.mm.posts.get(r.json.message.id)!.root_id, t.root);
  });

  it('refuses with 503 erasure_unavailable, deleting nothing, without an admin token', async () => {
    // A first gateway (with the admin token) made the bot; this one runs on the bot's token alone.
    const first = await startTestGateway();
    const botId = first.gateway.status().botUserId!;
    const botToken = [...first.mm.tokens].find(([, id]) => id === botId)![0];
    const t = await withConversation({ mm: first.mm, config: { adminToken: undefined, botToken } });
    const r = await t.call('DELETE', '/v1/conversation', { token: t.s.token });
    assert.equal(r.status, 503);
    assert.equal(r.json.error.code, 'erasure_unavailable');
    assert.match(r.json.error.message, /PORTHOLE_MM_TOKEN/);
    assert.ok(t.mm.posts.has(t.root));
    assert.ok(await t.store.getConversation(t.s.channelId));
    assert.equal(t.audit.events.find((e) => e.action === 'conversation.erased')?.outcome, 'failed');
  });

  it('refuses with 503 erasure_unavailable when Mattermost has permanent deletion off, and keeps the mapping', async () => {
    const t = await withConversation();
    t.mm.permanentPostDeletion = false;
    const r = await t.call('DELETE', '/v1/conversation', { token: t.s.token });
    assert.equal(r.status, 503);
    assert.equal(r.json.error.code, 'erasure_unavailable');
    assert.match(r.json.error.message, /EnableAPIPostDeletion/);
    assert.ok(t.mm.posts.has(t.reply.id));
    assert.ok(await t.store.getConversation(t.s.channelId));
    assert.deepEqual(t.audit.events.find((e) => e.action === 'conversation.erased')!.detail, {
      mode: 'gateway',
      reason: 'erasure_unavailable',
    });
  });

  it('retries a failing deletion, reports one that keeps failing, and finishes when asked again', async () => {
    const t = await withConversation();
    // Replies are deleted newest first: the second message, the agent's reply, the first message.
    t.mm.failPermanentDeletion.set(t.second.id, 1); // once: retried within the call
    t.mm.failPermanentDeletion.set(t.first.id, 5); // keeps failing
    const r = await t.call('DELETE', '/v1/conversation', { token: t.s.token });
    assert.equal(r.status, 503);
    assert.equal(r.json.error.code, 'erasure_incomplete');
    assert.match(r.json.error.message, /2 of 4 posts deleted/);
    assert.equal(t.mm.posts.has(t.second.id), false, 'retried and deleted');
    assert.equal(t.mm.posts.has(t.reply.id), false);
    assert.ok(t.mm.posts.has(t.first.id));
    assert.ok(t.mm.posts.has(t.root), 'the root stays until every reply is gone');
    assert.ok(await t.store.getConversation(t.s.channelId), 'the mapping is removed only after the posts');

    const report = await t.gateway.privacy.erase(t.s.channelId, { actor: 'operator:cli' });
    assert.equal(report.found, true);
    assert.equal(t.mm.posts.has(t.first.id), false);
    assert.equal(t.mm.posts.has(t.root), false);
    assert.equal(await t.store.getConversation(t.s.channelId), undefined);
  });

  it('limits erasures per conversation', async () => {
    const t = await startTestGateway();
    const s = await t.session();
    for (let i = 0; i < 3; i++)
      assert.equal((await t.call('DELETE', '/v1/conversation', { token: (await t.session({}, s.cookie)).token })).status, 204);
    const r = await t.call('DELETE', '/v1/conversation', { token: (await t.session({}, s.cookie)).token });
    assert.equal(r.status, 429);
  });
});

describe('gateway privacy for operators and retention', () => {
  it('exports and erases by conversation id or sub:<sub>', async () => {
    const audit = collectingAudit();
    const t = await startTestGateway({ deps: { audit } });
    const { signIdentity } = await import('../identity.js');
    const identity = await signIdentity(
      { sub: 'user-42', name: 'Known', exp: Math.floor(Date.now() / 1000) + 300 },
      t.config.identitySecret!,
    );
    const r = await t.call('POST', '/v1/session', { body: { identity } });
    const token = r.json.token as string;
    await t.call('POST', '/v1/messages', { token, body: { clientId: crypto.randomUUID(), text: 'identified hello' } });
    const bySub = await t.gateway.privacy.exportConversation('sub:user-42', { actor: 'operator:cli' });
    assert.equal(bySub.conversation.id, (await visitorIds('id:user-42')).conversationId);
    assert.deepEqual(
      bySub.messages.map((m) => m.text),
      ['identified hello'],
    );
    await assert.rejects(t.gateway.privacy.exportConversation('sub:nobody', { actor: 'operator:cli' }), /No conversation is known/);
    await assert.rejects(t.gateway.privacy.exportConversation('not-an-id', { actor: 'operator:cli' }), /Expected a conversation id/);
    const report = await t.gateway.privacy.eraseConversation(bySub.conversation.id, { actor: 'operator:cli' });
    assert.equal(report.posts, 2);
    assert.equal((await t.call('GET', '/v1/messages', { token })).json.error.code, 'token_revoked');
    assert.equal(audit.events.filter((e) => e.actor === 'operator:cli').length, 2);
  });

  it('a retention pass erases idle conversations, not active ones, one instance at a time', async () => {
    const audit = collectingAudit();
    const t = await startTestGateway({ deps: { audit } });
    const idle = await t.session({ name: 'Idle' });
    const active = await t.session({ name: 'Active' });
    for (const s of [idle, active])
      assert.equal(
        (await t.call('POST', '/v1/messages', { token: s.token, body: { clientId: crypto.randomUUID(), text: 'hi' } })).status,
        201,
      );
    const day = 86_400_000;
    const start = t.mm.tick();
    // An agent answered the active one much later (the relay touches it).
    await t.store.touchConversation(active.channelId, start + 9 * day);
    assert.equal(await t.store.acquireLock('retention', 'other-instance', 60_000, Date.now()), true);
    assert.equal(await t.gateway.eraseIdleConversations(5 * day, start + 10 * day), 0, 'another instance holds the pass');
    await t.store.releaseLock('retention', 'other-instance');
    assert.equal(await t.gateway.eraseIdleConversations(5 * day, start + 10 * day), 1);
    assert.equal(await t.store.getConversation(idle.channelId), undefined);
    assert.ok(await t.store.getConversation(active.channelId));
    assert.equal(audit.events.find((e) => e.action === 'conversation.erased')!.actor, 'system:retention');
    assert.equal(await t.gateway.eraseIdleConversations(5 * day, start + 10 * day), 0, 'nothing left idle');
  });
});

/**
 * Gateway collaborators that run `hook` once, right after the admin client deleted `target()` for
 * good (the moment a racing request or a flaky Mattermost would strike).
 */
function afterRootDeleted(mm: MemoryMattermost, target: () => string | undefined, hook: () => Promise<void>): Partial<GatewayDeps> {
  let fired = false;
  return {
    mattermost: (token) => {
      const client = mm.clientFor(token);
      if (token !== mm.adminToken) return client;
      return {
        ...client,
        async deletePostPermanently(postId) {
          const deleted = await client.deletePostPermanently(postId);
          if (!fired && postId === target()) {
            fired = true;
            await hook();
          }
          return deleted;
        },
      };
    },
  };
}

describe('gateway erasure races and failures', () => {
  it('refuses a send while the conversation is being erased, so no new thread outlives the erasure', async () => {
    let root: string | undefined;
    let during: { status: number; code?: string; retryAfter: string | null } | undefined;
    // eslint-disable-next-line prefer-const
    let t: Awaited<ReturnType<typeof withConversation>>;
    const mm = new MemoryMattermost();
    t = await withConversation({
      mm,
      deps: afterRootDeleted(
        mm,
        () => root,
        async () => {
          // The revoked widget mints a new session with its cookie and sends: the root is gone. (A
          // millisecond later than the erasure's start: a token minted in the very millisecond the
          // revocation names counts as revoked, and the in-memory erasure can get here within it.)
          await new Promise((resolve) => setTimeout(resolve, 2));
          const again = await t.session({ name: 'Grace' }, t.s.cookie);
          const r = await t.call('POST', '/v1/messages', {
            token: again.token,
            body: { clientId: crypto.randomUUID(), text: 'still there?' },
          });
          during = { status: r.status, code: r.json?.error?.code, retryAfter: r.res.headers.get('Retry-After') };
        },
      ),
    });
    root = t.root;
    assert.equal((await t.call('DELETE', '/v1/conversation', { token: t.s.token })).status, 204);
    assert.deepEqual(during, { status: 503, code: 'erasure_in_progress', retryAfter: '5' });
    const left = [...t.mm.posts.values()].filter((p) => p.props.porthole_conversation === t.s.channelId || p.props.porthole_visitor);
    assert.deepEqual(left, [], 'no thread of the visitor is left in Mattermost');
    assert.equal(await t.store.getConversation(t.s.channelId), undefined);
    assert.equal(await t.store.getErasure(t.s.channelId), undefined, 'the marker goes with the conversation');
    // Afterwards the visitor can start again.
    const r = await t.call('POST', '/v1/messages', {
      token: (await t.session({}, t.s.cookie)).token,
      body: { clientId: crypto.randomUUID(), text: 'hi again' },
    });
    assert.equal(r.status, 201, JSON.stringify(r.json));
  });

  it('erases a thread stored meanwhile (another instance) instead of forgetting it', async () => {
    let root: string | undefined;
    let newRoot: string | undefined;
    const mm = new MemoryMattermost();
    // eslint-disable-next-line prefer-const
    let t: Awaited<ReturnType<typeof withConversation>>;
    t = await withConversation({
      mm,
      deps: afterRootDeleted(
        mm,
        () => root,
        async () => {
          // A stale instance that does not know of the marker moves the conversation to a new thread.
          const record = (await t.store.getConversation(t.s.channelId))!;
          const botToken = [...mm.tokens].find(([, id]) => id === t.gateway.status().botUserId)![0];
          const post = await mm.clientFor(botToken).createPost({ channel_id: record.channelId, message: 'new thread', props: {} });
          newRoot = post.id;
          await mm.clientFor(botToken).createPost({ channel_id: record.channelId, root_id: post.id, message: 'a reply', props: {} });
          await t.store.replaceConversationRoot({ ...record, rootPostId: post.id }, record.rootPostId);
        },
      ),
    });
    root = t.root;
    assert.equal((await t.call('DELETE', '/v1/conversation', { token: t.s.token })).status, 204);
    assert.ok(newRoot);
    assert.equal(t.mm.posts.has(newRoot), false, 'the new thread is erased too');
    assert.equal([...t.mm.posts.values()].filter((p) => p.root_id === newRoot).length, 0);
    assert.equal(await t.store.getConversation(t.s.channelId), undefined);
    assert.deepEqual(t.audit.events.find((e) => e.action === 'conversation.erased')!.detail, {
      mode: 'gateway',
      found: true,
      posts: 6,
      files: 1,
    });
  });

  it('finishes a half-done erasure when asked again with the same (now revoked) token', async () => {
    const t = await withConversation();
    t.mm.failPermanentDeletion.set(t.first.id, 5);
    const r = await t.call('DELETE', '/v1/conversation', { token: t.s.token });
    assert.equal(r.json.error.code, 'erasure_incomplete');
    assert.equal(r.res.headers.get('Retry-After'), '5');
    assert.equal((await t.call('GET', '/v1/messages', { token: t.s.token })).json.error.code, 'token_revoked', 'only DELETE takes it');
    // Meanwhile a new session of the visitor cannot post behind the erasure.
    const fresh = await t.session({}, t.s.cookie);
    const send = await t.call('POST', '/v1/messages', { token: fresh.token, body: { clientId: crypto.randomUUID(), text: 'x' } });
    assert.equal(send.status, 503);
    assert.equal(send.json.error.code, 'erasure_in_progress');

    const again = await t.call('DELETE', '/v1/conversation', { token: t.s.token });
    assert.equal(again.status, 204, JSON.stringify(again.json));
    assert.equal(t.mm.posts.has(t.first.id), false);
    assert.equal(t.mm.posts.has(t.root), false);
    assert.equal(await t.store.getConversation(t.s.channelId), undefined);
    assert.equal(await t.store.getErasure(t.s.channelId), undefined);
    assert.deepEqual(
      t.audit.events.filter((e) => e.action === 'conversation.erased').map((e) => e.outcome),
      ['failed', 'ok'],
    );
  });

  it('does not resume with a token issued after the erasure began', async () => {
    const t = await withConversation();
    t.mm.failPermanentDeletion.set(t.first.id, 5);
    assert.equal((await t.call('DELETE', '/v1/conversation', { token: t.s.token })).json.error.code, 'erasure_incomplete');
    const marker = (await t.store.getErasure(t.s.channelId))!;
    // A later erasure attempt revoked later tokens too (the resume moves the revocation forward).
    await t.store.revokeTokens(t.s.channelId, marker.revokedAt + 60_000);
    const { signPortholeToken } = await import('./porthole-token.js');
    const { verifyPortholeToken } = await import('./porthole-token.js');
    const claims = await verifyPortholeToken(t.s.token, t.config.tokenSecret, Date.now());
    const later = await signPortholeToken({ ...claims, iat: marker.revokedAt + 1 }, t.config.tokenSecret);
    const r = await t.call('DELETE', '/v1/conversation', { token: later });
    assert.equal(r.status, 401);
    assert.equal(r.json.error.code, 'token_revoked');
  });

  it('retries a blip in the final check that the thread is gone (not a 500)', async () => {
    let fail = 0;
    const mm = new MemoryMattermost();
    const t = await withConversation({
      mm,
      deps: {
        mattermost: (token) => {
          const client = mm.clientFor(token);
          return {
            ...client,
            async getThread(rootPostId, query) {
              if (!mm.posts.has(rootPostId) && fail++ === 0) throw new MattermostError(502, undefined, 'getThread → 502');
              return client.getThread(rootPostId, query);
            },
          };
        },
      },
    });
    const r = await t.call('DELETE', '/v1/conversation', { token: t.s.token });
    assert.equal(r.status, 204, JSON.stringify(r.json));
    assert.equal(fail, 2, 'failed once, asked again');
    assert.equal(await t.store.getConversation(t.s.channelId), undefined);
  });

  it('reports erasure_incomplete when the final check keeps failing', async () => {
    const mm = new MemoryMattermost();
    const t = await withConversation({
      mm,
      deps: {
        mattermost: (token) => {
          const client = mm.clientFor(token);
          return {
            ...client,
            async getThread(rootPostId, query) {
              if (!mm.posts.has(rootPostId)) throw new MattermostError(0, undefined, 'getThread: unreachable');
              return client.getThread(rootPostId, query);
            },
          };
        },
      },
    });
    const r = await t.call('DELETE', '/v1/conversation', { token: t.s.token });
    assert.equal(r.status, 503);
    assert.equal(r.json.error.code, 'erasure_incomplete');
    assert.match(r.json.error.message, /could not be checked/);
  });
});

/** A memory store whose listing of idle conversations, or renewal of the retention lock, can be interfered with. */
class InterferingStore extends MemoryGatewayStore {
  afterIdleList: ((ids: string[]) => Promise<void>) | undefined;
  retentionRenewals = 0;
  failRenewalAfter = Infinity;

  override async idleConversations(before: number, limit: number): Promise<string[]> {
    const ids = await super.idleConversations(before, limit);
    const hook = this.afterIdleList;
    this.afterIdleList = undefined;
    await hook?.(ids);
    return ids;
  }

  override async acquireLock(name: string, owner: string, ttlMs: number, now: number): Promise<boolean> {
    if (name === 'retention' && this.retentionRenewals++ > this.failRenewalAfter) return false;
    return super.acquireLock(name, owner, ttlMs, now);
  }
}

describe('gateway retention races', () => {
  const day = 86_400_000;
  const twoIdle = async (store: InterferingStore) => {
    const t = await startTestGateway({ store });
    const a = await t.session({ name: 'A' });
    const b = await t.session({ name: 'B' });
    for (const s of [a, b])
      assert.equal(
        (await t.call('POST', '/v1/messages', { token: s.token, body: { clientId: crypto.randomUUID(), text: 'hi' } })).status,
        201,
      );
    return { t, a, b, start: t.mm.tick() };
  };

  it('keeps a conversation that became active after the pass listed it', async () => {
    const store = new InterferingStore();
    const { t, a, b, start } = await twoIdle(store);
    // Listed idle, then a message arrives before the pass gets to it.
    store.afterIdleList = async () => store.touchConversation(a.channelId, start + 8 * day);
    assert.equal(await t.gateway.eraseIdleConversations(5 * day, start + 10 * day), 1);
    assert.ok(await t.store.getConversation(a.channelId), 'the active one stays');
    assert.equal(await t.store.getErasure(a.channelId), undefined, 'and can be written to');
    assert.equal(await t.store.getConversation(b.channelId), undefined);
    const r = await t.call('POST', '/v1/messages', { token: a.token, body: { clientId: crypto.randomUUID(), text: 'more' } });
    assert.equal(r.status, 201);
  });

  it('renews the pass lock after each erasure and stops when it cannot', async () => {
    const store = new InterferingStore();
    const { t, a, b, start } = await twoIdle(store);
    // The first acquisition (0) and the renewal after the first erasure (1) work; the next one fails.
    store.failRenewalAfter = 0;
    assert.equal(await t.gateway.eraseIdleConversations(5 * day, start + 10 * day), 1);
    const kept = [await t.store.getConversation(a.channelId), await t.store.getConversation(b.channelId)].filter(Boolean);
    assert.equal(kept.length, 1, 'the pass stopped after losing the lock');
  });
});
