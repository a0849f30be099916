// Store and forward with the in-memory Mattermost: queueing while it is down, delivery in order and
// once when it is back, a restart of the companion in between, and the contact form's fields.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, it } from 'node:test';
import { queuedResponseSchema, type WireMessage } from '../../protocol/gateway.js';
import { HttpError } from '../errors.js';
import type { LogEntry } from '../logger.js';
import { MattermostError } from '../mattermost-admin.js';
import { PrometheusCompanionMetrics } from '../metrics.js';
import type { SendInput, VisitorContext } from './conversation-service.js';
import { Forwarder, type ForwarderOptions } from './forwarder.js';
import { MemoryGatewayStore } from './memory-store.js';
import { MemoryMattermost, startTestGateway, waitUntil } from './test-support.js';

type TestGateway = Awaited<ReturnType<typeof startTestGateway>>;
const running: TestGateway[] = [];
async function start(options: Parameters<typeof startTestGateway>[0] = {}): Promise<TestGateway> {
  const t = await startTestGateway({
    ...options,
    deps: { forwarder: { minBackoffMs: 20, maxBackoffMs: 100, sweepMs: 50 }, ...options.deps },
  });
  running.push(t);
  return t;
}
afterEach(async () => {
  for (const t of running.splice(0)) await t.gateway.stop().catch(() => {});
});

const send = (t: TestGateway, token: string, text: string, clientId: string = randomUUID(), extra: Record<string, unknown> = {}) =>
  t.call('POST', '/v1/messages', { token, body: { clientId, text, ...extra } });
const visitorPosts = (mm: MemoryMattermost) =>
  [...mm.posts.values()].filter((p) => p.root_id && mm.users.get(p.user_id)?.is_bot && p.props.porthole_client_id);
const roots = (mm: MemoryMattermost) => [...mm.posts.values()].filter((p) => !p.root_id && mm.users.get(p.user_id)?.is_bot);
const drained = (t: TestGateway, conversationId: string) =>
  waitUntil(async () => (await t.store.queuedMessages(conversationId, 1)).length === 0, 5000, 'the queue to drain');

describe('store and forward (gateway)', () => {
  it('queues messages while Mattermost is down (202, a first message too) and posts them in order, once, when it is back', async () => {
    const t = await start();
    const s = await t.session({ name: 'Ada' });
    t.mm.down = true;
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    const answers = [];
    for (const [i, id] of ids.entries()) answers.push(await send(t, s.token, `offline ${i + 1}`, id));
    assert.deepEqual(
      answers.map((a) => a.status),
      [202, 202, 202],
    );
    for (const [i, a] of answers.entries()) {
      assert.ok(queuedResponseSchema.safeParse(a.json).success, JSON.stringify(a.json));
      assert.equal(a.json.queued.clientId, ids[i]);
    }
    // A re-send of a queued client id answers 202 again, with the first acceptance time: one copy.
    const again = await send(t, s.token, 'offline 1', ids[0]);
    assert.equal(again.status, 202);
    assert.equal(again.json.queued.createAt, answers[0]!.json.queued.createAt);
    assert.equal((await t.store.queuedMessages(s.channelId, 10)).length, 3);
    // Reads say Mattermost is unavailable (the widget keeps what it shows).
    await t.store.getConversation(s.channelId).then((c) => assert.equal(c, undefined, 'no thread yet'));
    // The retries keep failing while it is down, and nothing is lost.
    await new Promise((r) => setTimeout(r, 150));
    assert.equal((await t.store.queuedMessages(s.channelId, 10)).length, 3);

    t.mm.down = false;
    await drained(t, s.channelId);
    assert.equal(roots(t.mm).length, 1, 'the thread was created on delivery');
    const posted = visitorPosts(t.mm).sort((a, b) => a.create_at - b.create_at);
    assert.deepEqual(
      posted.map((p) => p.message),
      ['offline 1', 'offline 2', 'offline 3'],
    );
    assert.deepEqual(
      posted.map((p) => p.props.porthole_client_id),
      ids,
    );
    // After delivery, the same client id answers with the posted message (200), still one copy.
    const late = await send(t, s.token, 'offline 1', ids[0]);
    assert.equal(late.status, 200);
    assert.equal(late.json.message.id, posted[0]!.id);
    assert.equal(visitorPosts(t.mm).length, 3);
  });

  it('queues new sends behind queued ones even when Mattermost is back (the order is kept)', async () => {
    const t = await start();
    const s = await t.session();
    assert.equal((await send(t, s.token, 'before')).status, 201);
    // Another instance holds the conversation's delivery: nothing is delivered here meanwhile.
    await t.store.acquireLock(`forward:${s.channelId}`, 'another-instance', 60_000, Date.now());
    t.mm.down = true;
    assert.equal((await send(t, s.token, 'queued first')).status, 202);
    t.mm.down = false;
    // Mattermost answers again, but this send must not overtake the queued one.
    const behind = await send(t, s.token, 'sent second');
    assert.equal(behind.status, 202);
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(visitorPosts(t.mm).length, 1, 'one instance per conversation delivers: not this one yet');
    await t.store.releaseLock(`forward:${s.channelId}`, 'another-instance');
    await drained(t, s.channelId);
    assert.deepEqual(
      visitorPosts(t.mm)
        .sort((a, b) => a.create_at - b.create_at)
        .map((p) => p.message),
      ['before', 'queued first', 'sent second'],
    );
  });

  it('survives a companion restart while Mattermost is down: the new one starts from the store and delivers everything', async () => {
    const mm = new MemoryMattermost();
    const store = new MemoryGatewayStore();
    const first = await start({ mm, store });
    const s = await first.session({ name: 'Grace' });
    mm.down = true;
    const a = randomUUID();
    assert.equal((await send(first, s.token, 'one', a)).status, 202);
    assert.equal((await send(first, s.token, 'two')).status, 202);
    await first.gateway.stop();
    running.splice(running.indexOf(first), 1);

    // Mattermost still down: the second companion starts with the bot account kept in the store.
    const second = await start({ mm, store });
    assert.equal((await send(second, s.token, 'three')).status, 202);
    assert.equal((await send(second, s.token, 'one', a)).status, 202, 'a re-send after the restart is still one copy');
    assert.equal((await store.queuedMessages(s.channelId, 10)).length, 3);
    mm.down = false;
    await drained(second, s.channelId);
    assert.deepEqual(
      visitorPosts(mm)
        .sort((x, y) => x.create_at - y.create_at)
        .map((p) => p.message),
      ['one', 'two', 'three'],
    );
  });

  it('does not double a message whose post reached Mattermost but whose answer was lost', async () => {
    const t = await start();
    const s = await t.session();
    await send(t, s.token, 'first');
    t.mm.loseNextAck = true;
    const clientId = randomUUID();
    assert.equal((await send(t, s.token, 'lost answer', clientId)).status, 202);
    t.mm.restart(); // Mattermost's pending_post_id cache is gone too
    await drained(t, s.channelId);
    assert.equal(visitorPosts(t.mm).filter((p) => p.props.porthole_client_id === clientId).length, 1);
  });

  it('answers a resend of a message delivered but not yet taken off the queue as posted (200), not queued', async () => {
    const t = await start();
    const s = await t.session();
    t.mm.down = true;
    const clientId = randomUUID();
    assert.equal((await send(t, s.token, 'queued', clientId)).status, 202);
    const [entry] = await t.store.queuedMessages(s.channelId, 1);
    t.mm.down = false;
    await drained(t, s.channelId);
    const post = visitorPosts(t.mm).find((p) => p.props.porthole_client_id === clientId)!;
    // The window between the forwarder's post and its dequeue, held open: the entry is back.
    await t.store.enqueueMessage(s.channelId, { clientId, createAt: entry!.createAt, payload: entry!.payload });
    const again = await send(t, s.token, 'queued', clientId);
    assert.equal(again.status, 200, JSON.stringify(again.json));
    assert.equal(again.json.message.id, post.id);
    assert.equal(visitorPosts(t.mm).filter((p) => p.props.porthole_client_id === clientId).length, 1);
  });

  it('delivers a queued conversation on one instance at a time (the store lock)', async () => {
    const mm = new MemoryMattermost();
    const store = new MemoryGatewayStore();
    const one = await start({ mm, store, deps: { instanceId: 'one' } });
    const two = await start({ mm, store, deps: { instanceId: 'two' } });
    const s = await one.session();
    mm.down = true;
    for (let i = 0; i < 5; i++) assert.equal((await send(i % 2 ? one : two, s.token, `m${i}`)).status, 202);
    mm.down = false;
    await drained(one, s.channelId);
    await new Promise((r) => setTimeout(r, 150));
    assert.deepEqual(
      visitorPosts(mm)
        .sort((x, y) => x.create_at - y.create_at)
        .map((p) => p.message),
      ['m0', 'm1', 'm2', 'm3', 'm4'],
    );
  });

  it("posts the contact form's fields for agents: in the root post of a new thread, else as a note the visitor does not see", async () => {
    const t = await start();
    const s = await t.session();
    t.mm.down = true;
    const r = await send(t, s.token, 'hello @channel', randomUUID(), { contact: { name: 'Ada', email: 'ada@example.com' } });
    assert.equal(r.status, 202);
    t.mm.down = false;
    await drained(t, s.channelId);
    const root = roots(t.mm)[0]!;
    assert.match(root.message, /Visitor's contact \(typed by the visitor, not verified\): Ada · ada@example\\\.com/);
    assert.equal(root.message.includes('Ada'), true);

    await send(t, s.token, 'later', randomUUID(), { contact: { email: 'grace@example.com' } });
    const note = [...t.mm.posts.values()].find((p) => p.props.porthole_note === 'contact');
    assert.ok(note, 'a note in the thread');
    assert.match(note.message, /grace@example\\\.com/);
    const page = await t.call('GET', '/v1/messages', { token: s.token });
    assert.deepEqual(
      page.json.messages.map((m: { text: string }) => m.text),
      ['hello @channel', 'later'],
    );
    // A contact that is not an email is refused with what was expected.
    const bad = await send(t, s.token, 'x', randomUUID(), { contact: { email: 'not-an-email' } });
    assert.equal(bad.status, 400);
    assert.match(bad.json.error.message, /email/);
  });

  it('export includes queued messages, and erasure forgets them, also of a conversation whose thread was never created', async () => {
    const t = await start();
    const s = await t.session();
    t.mm.down = true;
    assert.equal((await send(t, s.token, 'to be erased')).status, 202);
    // Export shows it, marked as queued.
    const exported = await t.call('GET', '/v1/transcript', { token: s.token });
    assert.equal(exported.status, 200);
    assert.deepEqual(
      exported.json.messages.map((m: { text: string; queued?: boolean }) => [m.text, m.queued]),
      [['to be erased', true]],
    );
    const erased = await t.call('DELETE', '/v1/conversation', { token: s.token });
    assert.ok(erased.status < 300, `erased (${erased.status} ${JSON.stringify(erased.json)})`);
    assert.deepEqual(await t.store.queuedMessages(s.channelId, 10), []);
    t.mm.down = false;
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(visitorPosts(t.mm).length, 0);
  });

  it('counts queued and forwarded messages in the metrics', async () => {
    const metrics = new PrometheusCompanionMetrics({ mode: 'gateway', redis: false, defaultMetrics: false });
    const t = await start({ deps: { metrics } });
    const s = await t.session();
    t.mm.down = true;
    const clientId = randomUUID();
    await send(t, s.token, 'counted', clientId);
    await send(t, s.token, 'counted', clientId); // a repeat is not queued twice
    t.mm.down = false;
    await drained(t, s.channelId);
    const text = await metrics.scrape();
    assert.match(text, /^porthole_messages_queued_total\{event="queued"\} 1$/m);
    assert.match(text, /^porthole_messages_queued_total\{event="forwarded"\} 1$/m);
    assert.match(text, /^porthole_messages_queued_total\{event="dropped"\} 0$/m);
  });
});

// The forwarder on its own: a fake conversation service, the in-memory store, a recording logger.
const visitorOf = (conversationId: string): VisitorContext => ({ conversationId, userId: `u-${conversationId}`, identified: false });
const payloadOf = (conversationId: string, clientId: string, text: string) =>
  JSON.stringify({ visitor: visitorOf(conversationId), input: { clientId, text } });
const unreachable = () => new MattermostError(0, undefined, 'connect ECONNREFUSED');
type FakeSend = (visitor: VisitorContext, input: SendInput) => Promise<unknown>;
function unit(send: FakeSend, options: Partial<ForwarderOptions> = {}) {
  const store = (options.store as MemoryGatewayStore | undefined) ?? new MemoryGatewayStore();
  const logs: LogEntry[] = [];
  const events: string[] = [];
  const sent: string[] = [];
  const logger = { info: (e: LogEntry) => logs.push(e), warn: (e: LogEntry) => logs.push(e), error: (e: LogEntry) => logs.push(e) };
  const forwarder = new Forwarder({
    conversations: {
      send: async (visitor, input) => {
        sent.push(input.text);
        await send(visitor, input);
        return { message: { id: `p-${input.clientId}` } as WireMessage, created: true };
      },
    },
    store,
    logger,
    now: Date.now,
    instanceId: 'one',
    minBackoffMs: 5,
    maxBackoffMs: 10,
    sweepMs: 20,
    metrics: { messageQueued: (e) => events.push(e) },
    ...options,
  });
  const queue = (conversationId: string, clientId: string, text = clientId) =>
    store.enqueueMessage(conversationId, { clientId, createAt: Date.now(), payload: payloadOf(conversationId, clientId, text) });
  const empty = (conversationId: string) =>
    waitUntil(async () => (await store.queuedMessages(conversationId, 1)).length === 0, 3000, `the queue of ${conversationId} to drain`);
  return { forwarder, store, logs, events, sent, queue, empty };
}

describe('store and forward: the forwarder', () => {
  const stopping: Forwarder[] = [];
  afterEach(async () => {
    for (const f of stopping.splice(0)) await f.stop();
  });

  it('drops a queued message Mattermost refuses with a 4xx (token revoked, bot removed, channel gone), so the queue moves on', async () => {
    for (const status of [400, 401, 403, 404]) {
      const u = unit(async (_v, input) => {
        if (input.text === 'refused') throw new MattermostError(status, 'api.context.session_expired.app_error', 'refused');
      });
      stopping.push(u.forwarder);
      await u.queue('a', 'k1', 'refused');
      await u.queue('a', 'k2', 'next');
      u.forwarder.kick('a');
      await u.empty('a');
      assert.deepEqual(u.sent, ['refused', 'next'], `status ${status}`);
      assert.deepEqual(u.events, ['dropped', 'forwarded'], `status ${status}`);
      assert.ok(u.logs.some((l) => String(l.msg).includes('refused a queued message') && l.status === status));
    }
  });

  it('retries a 408 and a 429 from Mattermost (they pass)', async () => {
    let failures = 0;
    const u = unit(async () => {
      if (failures < 2) throw new MattermostError([408, 429][failures++]!, undefined, 'later');
    });
    stopping.push(u.forwarder);
    await u.queue('a', 'k1', 'later');
    u.forwarder.kick('a');
    await u.empty('a');
    assert.deepEqual(u.sent, ['later', 'later', 'later']);
    assert.deepEqual(u.events, ['forwarded']);
  });

  it('drops a message after maxAttempts failures, but never for Mattermost being unreachable', async () => {
    let down = 5;
    const u = unit(
      async (_v, input) => {
        if (input.text === 'broken') throw new MattermostError(500, undefined, 'internal error');
        if (down-- > 0) throw unreachable();
      },
      { maxAttempts: 3 },
    );
    stopping.push(u.forwarder);
    await u.queue('a', 'k1', 'broken');
    await u.queue('b', 'k1', 'waits out the outage');
    u.forwarder.kick('a');
    u.forwarder.kick('b');
    await u.empty('a');
    await u.empty('b');
    assert.equal(u.sent.filter((t) => t === 'broken').length, 3);
    assert.equal(u.sent.filter((t) => t === 'waits out the outage').length, 6, '5 unreachable, then posted');
    assert.deepEqual(u.events.sort(), ['dropped', 'forwarded']);
  });

  it('pages its sweeps: conversations stuck in a retry do not starve the others (more than a page queued)', async () => {
    const stuck = new Set(['c0', 'c1']);
    const u = unit(
      async (visitor) => {
        if (stuck.has(visitor.conversationId)) throw unreachable();
      },
      { sweepPage: 2, minBackoffMs: 60_000, maxBackoffMs: 60_000, sweepMs: 10 },
    );
    stopping.push(u.forwarder);
    for (let i = 0; i < 7; i++) await u.queue(`c${i}`, 'k1', `m${i}`);
    u.forwarder.start();
    for (let i = 2; i < 7; i++) await u.empty(`c${i}`);
    assert.equal((await u.store.queuedConversations(10)).join(), 'c0,c1', 'the stuck ones wait for their retry');
  });

  it('queues at most maxQueuedPerConversation messages per conversation, then answers 503 queue_full with Retry-After', async () => {
    const u = unit(
      async () => {
        throw unreachable();
      },
      { maxQueuedPerConversation: 3 },
    );
    for (let i = 0; i < 3; i++) assert.ok('queued' in (await u.forwarder.send(visitorOf('a'), { clientId: `k${i}`, text: 'x' })));
    await assert.rejects(
      u.forwarder.send(visitorOf('a'), { clientId: 'k3', text: 'x' }),
      (e) => e instanceof HttpError && e.status === 503 && e.code === 'queue_full' && e.headers['Retry-After'] === '30',
    );
    // A repeat of a queued client id still answers queued; another conversation has its own room.
    assert.ok('queued' in (await u.forwarder.send(visitorOf('a'), { clientId: 'k0', text: 'x' })));
    assert.ok('queued' in (await u.forwarder.send(visitorOf('b'), { clientId: 'k0', text: 'x' })));
    assert.equal((await u.store.queuedMessages('a', 10)).length, 3);
    await u.forwarder.stop();
  });

  it('stops delivering once another instance took the expired lock (no doubles)', async () => {
    const store = new MemoryGatewayStore();
    let clock = 1_000_000;
    const gate = () => {
      let open!: () => void;
      return { wait: new Promise<void>((r) => (open = r)), open: () => open() };
    };
    const oneM1 = gate();
    const twoM2 = gate();
    const one = unit(async (_v, input) => (input.text === 'm1' ? oneM1.wait : undefined), { store, now: () => clock, instanceId: 'one' });
    const two = unit(async (_v, input) => (input.text === 'm2' ? twoM2.wait : undefined), { store, now: () => clock, instanceId: 'two' });
    stopping.push(one.forwarder, two.forwarder);
    for (const id of ['m1', 'm2', 'm3']) await one.queue('a', id);
    one.forwarder.kick('a');
    await waitUntil(() => one.sent.length === 1, 2000, 'one to send m1');
    clock += 61_000; // one's lock expires while it waits for Mattermost
    two.forwarder.kick('a');
    await waitUntil(() => two.sent.length === 2, 2000, 'two to send m1, then m2');
    oneM1.open(); // one goes on: it must see that it lost the lock
    await one.forwarder.idle();
    twoM2.open();
    await two.forwarder.idle();
    await two.empty('a');
    assert.deepEqual(one.sent, ['m1']);
    assert.deepEqual(two.sent, ['m1', 'm2', 'm3']);
  });

  it('logs no message text nor email when a queued payload cannot be read', async () => {
    const u = unit(async () => {});
    stopping.push(u.forwarder);
    const secret = 'my secret text ada@example.com';
    await u.store.enqueueMessage('a', { clientId: 'k1', createAt: 1, payload: secret });
    await u.store.enqueueMessage('a', {
      clientId: 'k2',
      createAt: 2,
      payload: JSON.stringify({ visitor: { email: 'ada@example.com' }, input: { text: secret } }),
    });
    u.forwarder.kick('a');
    await u.empty('a');
    const lines = u.logs.filter((l) => String(l.msg).includes('not what the companion wrote'));
    assert.equal(lines.length, 2);
    for (const line of lines) {
      assert.deepEqual(Object.keys(line).sort(), ['conversationId', 'msg']);
      assert.doesNotMatch(JSON.stringify(line), /secret|ada@/);
    }
    assert.deepEqual(u.events, ['dropped', 'dropped']);
  });
});

describe('store and forward: budget and erasure (gateway)', () => {
  // The first, online attempt of a send spends the budget before it finds Mattermost down (the
  // conversation service admits a new thread before creating its root): a queued first message is counted.
  it('a first message queued while Mattermost is down spends the budget of new conversations (429 past it)', async () => {
    const t = await start({ config: { newConversationsPerMinute: 1 } });
    const a = await t.session();
    const b = await t.session();
    t.mm.down = true;
    assert.equal((await send(t, a.token, 'first conversation')).status, 202);
    assert.equal((await send(t, a.token, 'same conversation')).status, 202);
    const refused = await send(t, b.token, 'one too many');
    assert.equal(refused.status, 429, JSON.stringify(refused.json));
    assert.deepEqual(await t.store.queuedMessages(b.channelId, 10), []);
  });

  it('an erasure of a conversation with only queued messages reports found: true', async () => {
    const t = await start();
    const s = await t.session();
    t.mm.down = true;
    assert.equal((await send(t, s.token, 'queued only')).status, 202);
    const report = await t.gateway.privacy.erase(s.channelId, { actor: 'operator:cli' });
    assert.equal(report.found, true);
    assert.deepEqual(await t.store.queuedMessages(s.channelId, 10), []);
    // Nothing left: a repeat finds nothing.
    assert.equal((await t.gateway.privacy.erase(s.channelId, { actor: 'operator:cli' })).found, false);
  });
});
