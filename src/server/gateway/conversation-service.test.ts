import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, it } from 'node:test';
import { captureLogger } from '../test-support.js';
import { MemoryGatewayStore } from './memory-store.js';
import { PAGE_PROP } from './messages.js';
import { startTestGateway } from './test-support.js';

type TestGateway = Awaited<ReturnType<typeof startTestGateway>>;
const running: TestGateway[] = [];
async function start(options: Parameters<typeof startTestGateway>[0] = {}): Promise<TestGateway> {
  const t = await startTestGateway(options);
  running.push(t);
  return t;
}
afterEach(async () => {
  for (const t of running.splice(0)) await t.gateway.stop();
});

const send = async (t: TestGateway, token: string, text: string) => {
  const r = await t.call('POST', '/v1/messages', { token, body: { clientId: randomUUID(), text } });
  assert.equal(r.status, 201);
};
const texts = (r: { json: { messages: { text: string }[] } }) => r.json.messages.map((m) => m.text);
const idOf = (r: { json: { messages: { id: string; text: string }[] } }, text: string) => r.json.messages.find((m) => m.text === text)!.id;

/** `count` page reports in the visitor's thread, as page-routes.ts posts them (the bot, `props.porthole_page`). */
async function pageReports(t: TestGateway, conversationId: string, count: number): Promise<void> {
  const record = (await t.store.getConversation(conversationId))!;
  const botId = t.gateway.status().botUserId;
  const asBot = t.mm.clientFor([...t.mm.tokens].find(([, id]) => id === botId)![0]);
  for (let i = 0; i < count; i++)
    await asBot.createPost({
      channel_id: record.channelId,
      root_id: record.rootPostId,
      message: `:compass: Visitor is on https://shop.example.com/p/${i}`,
      props: { [PAGE_PROP]: `https://shop.example.com/p/${i}`, porthole_visitor: record.visitorUserId },
    });
}

describe('ConversationService pages (gateway)', () => {
  it('does not count page reports toward per_page: the newest page has the messages, and older ones stay reachable', async () => {
    const t = await start();
    const s = await t.session();
    for (const text of ['one', 'two', 'three']) await send(t, s.token, text);
    await pageReports(t, s.channelId, 35);
    await send(t, s.token, 'last');

    // The widget's page: 35 reports among the newest 30 replies used to leave only "last".
    const all = await t.call('GET', '/v1/messages?per_page=30', { token: s.token });
    assert.equal(all.status, 200);
    assert.deepEqual(texts(all), ['one', 'two', 'three', 'last']);
    assert.equal(all.json.hasMore, false);

    // A small page across the reports: full, and older messages left in the page read count as more.
    const newest = await t.call('GET', '/v1/messages?per_page=2', { token: s.token });
    assert.deepEqual(texts(newest), ['three', 'last']);
    assert.equal(newest.json.hasMore, true);
    const older = await t.call('GET', `/v1/messages?per_page=2&before=${idOf(newest, 'three')}`, { token: s.token });
    assert.deepEqual(texts(older), ['one', 'two']);
    assert.equal(older.json.hasMore, false);

    const transcript = await t.call('GET', '/v1/transcript', { token: s.token });
    assert.deepEqual(
      transcript.json.messages.map((m: { text: string }) => m.text),
      ['one', 'two', 'three', 'last'],
    );
  });

  it('reads past page reports before a cursor too, and stops at the thread start', async () => {
    const t = await start();
    const s = await t.session();
    await send(t, s.token, 'first');
    await pageReports(t, s.channelId, 40);
    await send(t, s.token, 'second');
    await send(t, s.token, 'third');

    const newest = await t.call('GET', '/v1/messages?per_page=2', { token: s.token });
    assert.deepEqual(texts(newest), ['second', 'third']);
    assert.equal(newest.json.hasMore, true);
    const calls = t.mm.calls.filter((c) => c === 'getThread').length;
    const older = await t.call('GET', `/v1/messages?per_page=2&before=${idOf(newest, 'second')}`, { token: s.token });
    assert.deepEqual(texts(older), ['first']);
    assert.equal(older.json.hasMore, false);
    assert.equal(t.mm.calls.filter((c) => c === 'getThread').length - calls, 2, 'a page of 2, then one read of the rest');
  });

  it('caps the reads: a long run of page reports ends the page with hasMore', async () => {
    const t = await start();
    const s = await t.session();
    await send(t, s.token, 'early');
    await pageReports(t, s.channelId, 1_000);
    await send(t, s.token, 'late');

    const calls = t.mm.calls.filter((c) => c === 'getThread').length;
    const page = await t.call('GET', '/v1/messages?per_page=30', { token: s.token });
    assert.equal(page.status, 200);
    assert.deepEqual(texts(page), ['late']);
    assert.equal(page.json.hasMore, true, 'older replies remain past the reads');
    assert.equal(t.mm.calls.filter((c) => c === 'getThread').length - calls, 5);
  });
});

describe('ConversationService: the store fails after the thread is created', () => {
  /** A memory store whose next `insertConversation` fails as an unreachable Redis does. */
  function failingOnce() {
    const store = new MemoryGatewayStore();
    const insert = store.insertConversation.bind(store);
    let fail = true;
    store.insertConversation = async (record) => {
      if (!fail) return insert(record);
      fail = false;
      throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
    };
    return store;
  }
  const rootsOf = (t: TestGateway, conversationId: string) =>
    [...t.mm.posts.values()].filter((p) => !p.root_id && p.props.porthole_conversation === conversationId).map((p) => p.id);
  const orphanLogs = (log: ReturnType<typeof captureLogger>) =>
    log.entries.filter((e) => e.level === 'error' && String(e.msg).startsWith('gateway conversation: thread created but maybe not stored'));

  it('answers 503 store_unavailable, names the orphan root once, and a prompt resend adopts it', async () => {
    const log = captureLogger();
    const t = await start({ store: failingOnce(), logger: log });
    const s = await t.session();
    const body = { clientId: randomUUID(), text: 'hello' };

    const first = await t.call('POST', '/v1/messages', { token: s.token, body });
    assert.equal(first.status, 503);
    assert.equal(first.json.error.code, 'store_unavailable');
    const [root] = rootsOf(t, s.channelId);
    assert.ok(root, 'the root post was created before the store failed');
    const logged = orphanLogs(log);
    assert.equal(logged.length, 1);
    assert.equal(logged[0]!.rootPostId, root);
    assert.equal(logged[0]!.conversationId, s.channelId);
    assert.match(String(logged[0]!.msg), /will not reach the visitor/);
    assert.match(String(logged[0]!.msg), /a later one starts a new thread/);
    assert.equal(logged[0]!.error, 'connect ECONNREFUSED 127.0.0.1:6379');
    assert.ok(!t.mm.calls.includes('deletePostPermanently'), 'the root is kept for the resend to adopt');

    // The widget's outbox resends within Mattermost's de-duplication window: the same root, stored.
    const again = await t.call('POST', '/v1/messages', { token: s.token, body });
    assert.equal(again.status, 201);
    assert.deepEqual(rootsOf(t, s.channelId), [root]);
    assert.equal((await t.store.getConversation(s.channelId))!.rootPostId, root);
    assert.equal(orphanLogs(log).length, 1);
  });

  it('a resend after the window starts a new thread; the logged root stays the orphan', async () => {
    const log = captureLogger();
    const t = await start({ store: failingOnce(), logger: log });
    const s = await t.session();
    const body = { clientId: randomUUID(), text: 'hello' };
    assert.equal((await t.call('POST', '/v1/messages', { token: s.token, body })).status, 503);
    const orphan = orphanLogs(log)[0]!.rootPostId;

    t.mm.restart(); // its pending_post_id cache is empty, as 30 s later
    assert.equal((await t.call('POST', '/v1/messages', { token: s.token, body })).status, 201);
    const stored = (await t.store.getConversation(s.channelId))!.rootPostId;
    assert.notEqual(stored, orphan);
    assert.deepEqual(rootsOf(t, s.channelId).sort(), [orphan, stored].sort());
  });
});
