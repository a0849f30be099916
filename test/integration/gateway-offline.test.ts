// Store and forward against the REAL Mattermost, really stopped and started through the harness:
// messages sent while it is down answer 202, survive a companion restart over the same SQLite
// store, and arrive in the thread in order, exactly once, when it is back (checked with the admin API).
// It stops the SHARED Mattermost: run it only under the exclusive lock,
//   flock -x /tmp/mm.lock node --import tsx --test test/integration/gateway-offline.test.ts
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { kill, up } from '../../dev/mattermost/index.mjs';
import { up as redisUp } from '../../dev/redis/index.mjs';
import { silentLogger } from '../../src/server/logger.ts';
import { connectRedis, openRedis } from '../../src/server/redis.ts';
import { adminApi, mattermost, type MattermostInfo } from '../support/mattermost.ts';
import { queuedResponseSchema } from '../../src/protocol/gateway.ts';
import { GatewayFixture, waitUntil, type ServedGateway } from '../../src/server/gateway/test-support.ts';

let mm: MattermostInfo;
let fixture: GatewayFixture;
const fast = { forwarder: { minBackoffMs: 200, maxBackoffMs: 2000, sweepMs: 500 }, connectWaitMs: 0 };

before(async () => {
  mm = await mattermost();
  fixture = new GatewayFixture(mm);
});

const redisPrefix = `porthole-offline-test-${randomUUID()}:`;
const redisClients: Redis[] = [];

after(async () => {
  const keys = redisClients.length ? await redisClients[0]!.keys(`${redisPrefix}*`) : [];
  if (keys.length) await redisClients[0]!.del(...keys);
  for (const c of redisClients) c.disconnect();
  // Whatever happened, the shared Mattermost runs again for the other suites.
  await up({ log: () => {} }).catch((e: unknown) => console.error(`could not start Mattermost again: ${String(e)}`));
  await fixture?.dispose();
});

/** The bot's replies of a thread, oldest first (admin API). */
async function threadReplies(rootId: string): Promise<{ message: string; props: Record<string, unknown> }[]> {
  const thread = await adminApi('GET', `/posts/${rootId}/thread?collapsedThreads=true&perPage=200&direction=down`);
  return (thread.order as string[])
    .map((id) => thread.posts[id])
    .filter((p: { id: string; root_id: string }) => p.root_id === rootId)
    .sort((a: { create_at: number }, b: { create_at: number }) => a.create_at - b.create_at);
}

/** The root post of a conversation by its id (the bot's announcement carries it in its props). */
async function rootOf(conversationId: string): Promise<{ id: string; message: string } | undefined> {
  const posts = await adminApi('GET', `/channels/${mm.inboxChannelId}/posts?per_page=200`);
  return Object.values(posts.posts as Record<string, { id: string; message: string; props?: Record<string, unknown> }>).find(
    (p) => p.props?.porthole_conversation === conversationId,
  );
}

describe('store and forward with Mattermost really stopped (gateway, SQLite)', () => {
  it('3 messages sent while Mattermost is down (one opens a new conversation) arrive once, in order, after a companion restart and its return', async () => {
    // A first companion ensures the bot (and keeps its account in the store).
    let companion: ServedGateway = await fixture.serve({}, fast);
    const known = fixture.visitor(companion);
    const ks = await known.session({ name: 'Known visitor' });
    const before = await known.send(ks.token, `before the outage ${randomUUID()}`);
    const knownRoot = (await adminApi('GET', `/posts/${before.id}`)).root_id as string;

    assert.equal(await kill(), true, 'the harness stopped Mattermost');
    let restarted = false;
    try {
      const v = fixture.visitor(companion);
      const fresh = await v.session({ name: 'New visitor' });
      const texts = [`offline one ${randomUUID()}`, `offline two ${randomUUID()}`, `offline three ${randomUUID()}`];
      const first = randomUUID();
      // 1: the first message of a new conversation, with the contact form's fields.
      const a = await v.call('POST', '/v1/messages', {
        token: fresh.token,
        body: { clientId: first, text: texts[0], contact: { name: 'Ada', email: 'ada@example.com' } },
      });
      assert.equal(a.status, 202, JSON.stringify(a.json));
      assert.ok(queuedResponseSchema.safeParse(a.json).success);
      // 2: a message in an existing conversation.
      const b = await v.call('POST', '/v1/messages', { token: ks.token, body: { clientId: randomUUID(), text: texts[1] } });
      assert.equal(b.status, 202, JSON.stringify(b.json));
      // Reads while it is down: 503 mattermost_unavailable (the widget keeps what it shows).
      const read = await v.call('GET', '/v1/messages', { token: ks.token });
      assert.equal(read.status, 503);
      assert.equal(read.json.error.code, 'mattermost_unavailable');

      // The companion restarts over the same SQLite store while Mattermost is still down.
      await companion.close();
      companion = await fixture.serve({}, fast);
      const v2 = fixture.visitor(companion);
      const c = await v2.call('POST', '/v1/messages', { token: fresh.token, body: { clientId: randomUUID(), text: texts[2] } });
      assert.equal(c.status, 202, JSON.stringify(c.json));
      // A re-send of a queued client id after the restart: 202 again, one copy.
      const again = await v2.call('POST', '/v1/messages', {
        token: fresh.token,
        body: { clientId: first, text: texts[0], contact: { name: 'Ada', email: 'ada@example.com' } },
      });
      assert.equal(again.status, 202);
      assert.equal(again.json.queued.createAt, a.json.queued.createAt);

      await up({ log: () => {} });
      restarted = true;

      // The new conversation: its thread is created on delivery, with the contact in the root post.
      let root: { id: string; message: string } | undefined;
      await waitUntil(async () => (root = await rootOf(fresh.channelId)) !== undefined, 60_000, 'the new thread');
      await waitUntil(async () => (await threadReplies(root!.id)).length >= 2, 60_000, 'the new conversation to be delivered');
      const freshReplies = await threadReplies(root!.id);
      assert.deepEqual(
        freshReplies.map((p) => p.message),
        [texts[0], texts[2]],
        'in order, exactly once',
      );
      assert.match(root!.message, /Visitor's contact \(typed by the visitor, not verified\): Ada · ada@example\\\.com/);

      await waitUntil(async () => (await threadReplies(knownRoot)).some((p) => p.message === texts[1]), 60_000, 'the known conversation');
      const knownReplies = (await threadReplies(knownRoot)).map((p) => p.message);
      assert.equal(knownReplies.filter((m) => m === texts[1]).length, 1, 'exactly once');
      assert.equal(knownReplies.at(-1), texts[1]);

      // After a while nothing more arrives (no doubles from retries), and reads work again.
      await new Promise((r) => setTimeout(r, 2500));
      assert.equal((await threadReplies(root!.id)).length, 2);
      const page = await v2.call('GET', '/v1/messages', { token: fresh.token });
      assert.equal(page.status, 200);
      assert.deepEqual(
        page.json.messages.map((m: { text: string }) => m.text),
        [texts[0], texts[2]],
      );
    } finally {
      if (!restarted) await up({ log: () => {} });
      await companion.close().catch(() => {});
    }
  });

  it('with Redis and two companions: messages queued through either instance arrive once, in order, though one instance stops meanwhile', async () => {
    const { url } = await redisUp({ log: () => {} });
    const connected = async () => {
      const redis = openRedis(url, silentLogger);
      await connectRedis(redis, url);
      redisClients.push(redis);
      return redis;
    };
    // Each instance has its own connection, as two processes would.
    const a = await fixture.serve({}, { ...fast, redis: await connected(), redisPrefix });
    let b: ServedGateway | undefined = await fixture.serve({}, { ...fast, redis: await connected(), redisPrefix });
    const onA = fixture.visitor(a);
    const session = await onA.session({ name: 'Scaled-out visitor' });
    const opening = await onA.send(session.token, `opening ${randomUUID()}`);
    const root = (await adminApi('GET', `/posts/${opening.id}`)).root_id as string;

    assert.equal(await kill(), true, 'the harness stopped Mattermost');
    let restarted = false;
    try {
      const texts = Array.from({ length: 4 }, (_, i) => `scaled offline ${i + 1} ${randomUUID()}`);
      const ids = texts.map(() => randomUUID());
      for (const [i, text] of texts.entries()) {
        const via = fixture.visitor(i % 2 ? b! : a);
        const r = await via.call('POST', '/v1/messages', { token: session.token, body: { clientId: ids[i], text } });
        assert.equal(r.status, 202, JSON.stringify(r.json));
      }
      // A re-send through the other instance: one copy.
      const again = await fixture
        .visitor(b)
        .call('POST', '/v1/messages', { token: session.token, body: { clientId: ids[0], text: texts[0] } });
      assert.equal(again.status, 202);
      // One instance stops while Mattermost is down; the other delivers everything.
      await b.close();
      b = undefined;

      await up({ log: () => {} });
      restarted = true;
      await waitUntil(async () => (await threadReplies(root)).length >= 5, 60_000, 'the queued messages to be delivered');
      await new Promise((r) => setTimeout(r, 2500));
      const replies = (await threadReplies(root)).map((p) => p.message);
      assert.deepEqual(replies, [opening.text, ...texts], 'in order, exactly once');
    } finally {
      if (!restarted) await up({ log: () => {} });
      await b?.close().catch(() => {});
      await a.close().catch(() => {});
    }
  });
});
