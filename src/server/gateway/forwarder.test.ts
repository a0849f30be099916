// Store and forward with the in-memory Mattermost: queueing while it is down, delivery in order and
// once when it is back, a restart of the companion in between, and the contact form's fields.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, it } from 'node:test';
import { queuedResponseSchema } from '../../protocol/gateway.js';
import { PrometheusCompanionMetrics } from '../metrics.js';
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
