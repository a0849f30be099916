import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '../logger.js';
import type { ServerFrame } from '../../protocol/gateway.js';
import { PrometheusCompanionMetrics, type CompanionMetrics } from '../metrics.js';
import { parseMetricsText } from '../test-support.js';
import { MemoryGatewayStore } from './memory-store.js';
import { Relay } from './relay.js';
import { MemoryMattermost } from './test-support.js';

/** A relay on the in-memory Mattermost; `sockets()` is how many visitor sockets a publish reaches. */
async function setup(options: { metrics?: CompanionMetrics; sockets?: () => number } = {}) {
  const mm = new MemoryMattermost();
  const admin = mm.clientFor(mm.adminToken);
  const botUserId = await admin.createBot({ username: 'porthole-bot', display_name: 'Porthole', description: '' });
  await admin.addChannelMember(mm.channelId, botUserId);
  const { token } = await admin.createUserAccessToken(botUserId, 't');
  const api = mm.clientFor(token);
  const store = new MemoryGatewayStore();
  const root = await api.createPost({ channel_id: mm.channelId, message: 'New conversation', props: {} });
  await store.insertConversation({
    conversationId: 'conv',
    visitorUserId: 'visitor',
    rootPostId: root.id,
    channelId: mm.channelId,
    createdAt: root.create_at,
    name: 'Ada',
  });
  const other = await api.createPost({ channel_id: mm.channelId, message: 'Not ours', props: {} });
  const frames: [string, ServerFrame][] = [];
  const resyncs: string[] = [];
  const hub = {
    publish: (id: string, frame: ServerFrame) => (frames.push([id, frame]), options.sockets ? options.sockets() : 1),
    reconnectAll: (reason: string) => void resyncs.push(reason),
  };
  const bot = { userId: botUserId, username: 'porthole-bot', token, channelId: mm.channelId, teamId: mm.teamId };
  const relay = new Relay({ api, store, hub, bot: () => bot, logger: silentLogger, retryMs: 20, metrics: options.metrics });
  const agent = mm.addAgent('agent-ada');
  return { mm, api, store, root, other, frames, resyncs, relay, agent, botUserId };
}

const kinds = (frames: [string, ServerFrame][]) =>
  frames.map(([id, f]) => `${id}:${f.type}:${'message' in f ? f.message.text : 'userId' in f ? f.userId : ''}`);

describe('Relay', () => {
  it('routes thread events to the conversation once, records deletions and ignores the bot’s typing', async () => {
    const t = await setup();
    const unsubscribe = t.mm.subscribe(t.relay.handle);
    const reply = t.mm.reply(t.agent, t.root.id, 'Hello');
    t.mm.reply(t.agent, t.other.id, 'elsewhere');
    t.mm.edit(reply.id, 'Hello!');
    t.mm.agentTyping(t.agent, t.root.id);
    t.mm.agentTyping(t.botUserId, t.root.id);
    t.mm.remove(reply.id);
    await t.relay.idle();
    assert.deepEqual(kinds(t.frames), ['conv:posted:Hello', 'conv:edited:Hello!', `conv:typing:${t.agent}`, 'conv:deleted:']);
    assert.deepEqual(
      (await t.store.deletionsSince(t.root.id, 0)).map((d) => [d.postId, d.userId]),
      [[reply.id, t.agent]],
    );
    // The same event twice (two sockets, a replay) is delivered once.
    const again = t.mm.reply(t.agent, t.root.id, 'Twice');
    const post = JSON.stringify(t.mm.posts.get(again.id));
    t.relay.handle({ event: 'posted', data: { post }, broadcast: { channel_id: t.mm.channelId } });
    await t.relay.idle();
    assert.equal(kinds(t.frames).filter((k) => k.endsWith('Twice')).length, 1);
    // Malformed payloads are dropped without breaking the relay.
    t.relay.handle({ event: 'posted', data: { post: '{"id":1}' }, broadcast: {} });
    t.relay.handle({ event: 'posted', data: { post: 'not json' }, broadcast: {} });
    t.mm.reply(t.agent, t.root.id, 'Still working');
    await t.relay.idle();
    assert.equal(kinds(t.frames).at(-1), 'conv:posted:Still working');
    unsubscribe();
  });

  it('delivers, once and as new, an answer that arrived while the store was unreachable', async () => {
    const t = await setup();
    t.relay.connected({ reconnect: false });
    await t.relay.idle();
    const unsubscribe = t.mm.subscribe(t.relay.handle);
    const find = t.store.findConversationByRoot.bind(t.store);
    let down = true;
    t.store.findConversationByRoot = async (root) => {
      if (down) throw new Error('Stream isn’t writeable and enableOfflineQueue options is false');
      return find(root);
    };
    t.mm.reply(t.agent, t.root.id, 'During the outage');
    await t.relay.idle();
    assert.deepEqual(kinds(t.frames), [], 'nothing could be delivered');
    await new Promise((r) => setTimeout(r, 60));
    await t.relay.idle();
    assert.deepEqual(kinds(t.frames), [], 'the retry failed too, and is tried again');
    down = false;
    for (let i = 0; i < 50 && t.frames.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
      await t.relay.idle();
    }
    t.mm.reply(t.agent, t.root.id, 'After the outage');
    await t.relay.idle();
    await new Promise((r) => setTimeout(r, 60));
    await t.relay.idle();
    assert.deepEqual(kinds(t.frames), ['conv:posted:During the outage', 'conv:posted:After the outage']);
    unsubscribe();
  });

  it('backfills after a reconnect what the socket missed, once, on Mattermost’s clock', async () => {
    const t = await setup();
    t.relay.connected({ reconnect: false });
    await t.relay.idle();
    assert.equal(t.relay.cursor, t.other.create_at, 'the cursor starts at the newest post');
    let unsubscribe = t.mm.subscribe(t.relay.handle);
    const seen = t.mm.reply(t.agent, t.root.id, 'before the drop');
    await t.relay.idle();
    unsubscribe();
    // The socket is down: these are missed.
    const missed = t.mm.reply(t.agent, t.root.id, 'while down');
    t.mm.edit(seen.id, 'before the drop (edited)');
    t.mm.down = true;
    t.relay.connected({ reconnect: true });
    await t.relay.idle();
    assert.equal(t.frames.length, 1, 'the backfill waits while Mattermost is unreachable');
    t.mm.down = false;
    await new Promise((r) => setTimeout(r, 60));
    await t.relay.idle();
    unsubscribe = t.mm.subscribe(t.relay.handle);
    t.relay.connected({ reconnect: true });
    await t.relay.idle();
    assert.deepEqual(kinds(t.frames), ['conv:posted:before the drop', 'conv:posted:while down', 'conv:edited:before the drop (edited)']);
    assert.equal(t.frames[1]![1].type === 'posted' && t.frames[1]![1].message.id, missed.id);
    unsubscribe();
    t.relay.stop();
  });

  it('backfills from a minute before the cursor, delivering nothing twice', async () => {
    const t = await setup();
    t.relay.connected({ reconnect: false });
    await t.relay.idle();
    const unsubscribe = t.mm.subscribe(t.relay.handle);
    t.mm.reply(t.agent, t.root.id, 'seen');
    await t.relay.idle();
    unsubscribe();
    // Saved by another server at an instant before the cursor, missed by this socket.
    const late = t.mm.reply(t.agent, t.root.id, 'late');
    const post = t.mm.posts.get(late.id)!;
    post.create_at = post.update_at = t.relay.cursor! - 5_000;
    t.relay.connected({ reconnect: true });
    await t.relay.idle();
    assert.deepEqual(kinds(t.frames), ['conv:posted:seen', 'conv:edited:late']);
    assert.deepEqual(t.resyncs, []);
    t.relay.stop();
  });

  it("tells the live sockets to resync when a backfill hits Mattermost's 1,000-post cap", async () => {
    const t = await setup();
    t.relay.connected({ reconnect: false });
    await t.relay.idle();
    for (let i = 0; i < 1000; i++) t.mm.reply(t.agent, t.root.id, `missed ${i}`);
    t.relay.connected({ reconnect: true });
    await t.relay.idle();
    assert.deepEqual(t.resyncs, ['resync']);
    t.relay.stop();
  });
});

describe('Relay metrics', () => {
  it('counts agent posts delivered to a visitor socket as to_visitor, never the visitor’s own or undelivered ones', async () => {
    let sockets = 1;
    const metrics = new PrometheusCompanionMetrics({ mode: 'gateway', redis: false, defaultMetrics: false });
    const { mm, api, root, relay, agent } = await setup({ metrics, sockets: () => sockets });
    mm.subscribe(relay.handle);
    const reply = mm.reply(agent, root.id, 'Hello');
    mm.edit(reply.id, 'Hello!');
    await api.createPost({
      channel_id: mm.channelId,
      root_id: root.id,
      message: 'from the visitor',
      props: { porthole_visitor: 'visitor' },
    });
    await relay.idle();
    sockets = 0;
    mm.reply(agent, root.id, 'nobody is listening');
    await relay.idle();
    const delivered = parseMetricsText(await metrics.scrape()).filter(
      (s) => s.name === 'porthole_messages_relayed_total' && s.labels.direction === 'to_visitor',
    );
    assert.deepEqual(
      delivered.map((s) => s.value),
      [1],
    );
  });
});
