// The Redis store against the REAL Redis of the harness (started if needed): the shared contract,
// then what only Redis can show — two connections racing, expiry, the key layout, bad values.
// Run: node --import tsx --test test/integration/redis-store.test.ts
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { up } from '../../dev/redis/index.mjs';
import { RedisGatewayStore, RedisGatewayStoreError, type RedisGatewayStoreOptions } from '../../src/server/gateway/redis-store.ts';
import { conversation, describeGatewayStoreContract } from '../../src/server/gateway/store-contract.ts';

let url: string;
const connections: Redis[] = [];
/** A new connection, quit after the suite. */
const connect = () => {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  connections.push(redis);
  return redis;
};
let redis: Redis;

// Every store of this run lives under its own prefix below this one.
const runPrefix = `porthole-test:${randomUUID()}:`;
let stores = 0;
const freshPrefix = () => `${runPrefix}${++stores}:`;

async function keysUnder(prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    found.push(...keys);
    cursor = next;
  } while (cursor !== '0');
  return found.sort();
}

async function removeKeys(prefix: string): Promise<void> {
  const keys = await keysUnder(prefix);
  if (keys.length > 0) await redis.del(...keys);
}

/** A store whose close also deletes every key under its prefix. */
class ScratchRedisStore extends RedisGatewayStore {
  private readonly scratch: string;
  constructor(connection: Redis, options: RedisGatewayStoreOptions & { prefix: string }) {
    super(connection, options);
    this.scratch = options.prefix;
  }
  override async close(): Promise<void> {
    await super.close();
    await removeKeys(this.scratch);
  }
}

before(async () => {
  ({ url } = await up());
  redis = connect();
});

after(async () => {
  const left = redis && (await keysUnder(runPrefix));
  await Promise.all(connections.filter((c) => c.status !== 'end').map((c) => c.quit()));
  assert.deepEqual(left, [], 'every store removed its keys');
});

describeGatewayStoreContract('RedisGatewayStore', async () => new ScratchRedisStore(redis, { prefix: freshPrefix() }));

describe('RedisGatewayStore on a real Redis', () => {
  /** Runs `fn` with two stores on one prefix over two connections (two companion instances). */
  const withTwo = (fn: (a: RedisGatewayStore, b: RedisGatewayStore) => Promise<void>) => async () => {
    const prefix = freshPrefix();
    const a = new ScratchRedisStore(connect(), { prefix });
    const b = new ScratchRedisStore(connect(), { prefix });
    try {
      await fn(a, b);
    } finally {
      await a.close();
      await b.close();
    }
  };

  it(
    'lets exactly one of two instances create each conversation, with its root index',
    withTwo(async (a, b) => {
      const ids = Array.from({ length: 50 }, (_, i) => `conv-${i}`);
      const results = await Promise.all(
        ids.map((id) =>
          Promise.all([a.insertConversation(conversation(id, `${id}-root-a`)), b.insertConversation(conversation(id, `${id}-root-b`))]),
        ),
      );
      for (const [i, [fromA, fromB]] of results.entries()) {
        assert.deepEqual(fromA, fromB, 'both writers get the winner back');
        const other = fromA.rootPostId.endsWith('-a') ? `${ids[i]}-root-b` : `${ids[i]}-root-a`;
        assert.equal((await a.findConversationByRoot(fromA.rootPostId))?.conversationId, ids[i]);
        assert.equal(await b.findConversationByRoot(other), undefined, "the loser's root is not indexed");
      }
    }),
  );

  it(
    'lets exactly one of two instances move a root; the old root is unindexed',
    withTwo(async (a, b) => {
      for (let i = 0; i < 20; i++) {
        const id = `move-${i}`;
        await a.insertConversation(conversation(id, `${id}-old`));
        const [fromA, fromB] = await Promise.all([
          a.replaceConversationRoot(conversation(id, `${id}-new-a`), `${id}-old`),
          b.replaceConversationRoot(conversation(id, `${id}-new-b`), `${id}-old`),
        ]);
        assert.equal(fromA.rootPostId, fromB.rootPostId, 'the second writer gets the first one’s root');
        assert.equal(await a.findConversationByRoot(`${id}-old`), undefined);
        const loser = fromA.rootPostId.endsWith('-a') ? `${id}-new-b` : `${id}-new-a`;
        assert.equal(await b.findConversationByRoot(loser), undefined);
        assert.equal((await b.findConversationByRoot(fromA.rootPostId))?.conversationId, id);
      }
    }),
  );

  it(
    'gives a contended lock to exactly one of two instances',
    withTwo(async (a, b) => {
      const now = Date.now();
      const names = Array.from({ length: 50 }, (_, i) => `conversation:${i}`);
      const results = await Promise.all(
        names.map((name) => Promise.all([a.acquireLock(name, 'instance-a', 30_000, now), b.acquireLock(name, 'instance-b', 30_000, now)])),
      );
      for (const [taken, takenToo] of results) assert.equal(Number(taken) + Number(takenToo), 1);
      // The loser cannot release the winner's lock; the winner can.
      for (const [i, [aWon]] of results.entries()) {
        const [winner, loser, winnerOwner, loserOwner] = aWon ? [a, b, 'instance-a', 'instance-b'] : [b, a, 'instance-b', 'instance-a'];
        await loser.releaseLock(names[i], loserOwner);
        assert.equal(await loser.acquireLock(names[i], loserOwner, 30_000, now), false);
        await winner.releaseLock(names[i], winnerOwner);
        assert.equal(await loser.acquireLock(names[i], loserOwner, 30_000, now), true);
      }
    }),
  );

  it(
    'keeps the first pending time and the highest revocation under concurrent writers',
    withTwo(async (a, b) => {
      await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).markClientPostPending('c', 'k', 100 + i)));
      const first = (await a.getClientPost('c', 'k'))!.at;
      await Promise.all([a.setClientPost('c', 'k', 'post-1', 999), b.markClientPostPending('c', 'k', 5000)]);
      assert.deepEqual(await b.getClientPost('c', 'k'), { postId: 'post-1', at: first });
      await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).revokeTokens('c', 1000 + ((i * 7) % 20))));
      assert.equal(await a.getRevokedBefore('c'), 1019);
    }),
  );

  it('puts every key under the prefix, in the documented layout', async () => {
    const prefix = freshPrefix();
    const store = new ScratchRedisStore(redis, { prefix });
    try {
      await store.insertConversation(conversation('a:1', 'root-1'));
      await store.markClientPostPending('a:1', 'k', 10);
      await store.revokeTokens('a:1', 20);
      await store.recordDeletion('root-1', { postId: 'p', userId: 'u', createAt: 1, deletedAt: 2 });
      await store.setSecret('bot-token', 'x');
      await store.acquireLock('conversation:a:1', 'i1', 30_000, Date.now());
      assert.deepEqual(
        (await keysUnder(prefix)).map((k) => k.slice(prefix.length)),
        [
          'gw:activity',
          'gw:client-ids:a:1',
          'gw:client:a%3A1:k',
          'gw:conv:a:1',
          'gw:deletion-order:root-1',
          'gw:deletions:root-1',
          'gw:lock:conversation:a:1',
          'gw:revoked:a:1',
          'gw:root:root-1',
          'gw:secret:bot-token',
        ],
      );
      assert.equal(await redis.hget(`${prefix}gw:conv:a:1`, 'rootPostId'), 'root-1');
      assert.equal(await redis.get(`${prefix}gw:root:root-1`), 'a:1');
      // Composite keys stay apart: ("a:b", "c") and ("a", "b:c").
      await store.setClientPost('x:y', 'z', 'p1', 1);
      await store.setClientPost('x', 'y:z', 'p2', 1);
      assert.equal((await store.getClientPost('x:y', 'z'))?.postId, 'p1');
      assert.equal((await store.getClientPost('x', 'y:z'))?.postId, 'p2');
    } finally {
      await store.close();
    }
  });

  it('sets Redis expiry only on locks by default: the rest is kept for ever, as in SQLite', async () => {
    const prefix = freshPrefix();
    const store = new ScratchRedisStore(redis, { prefix });
    try {
      await store.insertConversation(conversation('a', 'root-a'));
      await store.setClientPost('a', 'k', 'p', 10);
      await store.revokeTokens('a', 20);
      await store.recordDeletion('root-a', { postId: 'p', userId: 'u', createAt: 1, deletedAt: 2 });
      await store.setSecret('bot-token', 'x');
      await store.acquireLock('conversation:a', 'i1', 30_000, Date.now());
      for (const key of await keysUnder(prefix)) {
        const pttl = await redis.pttl(key);
        if (key.endsWith('gw:lock:conversation:a')) assert.ok(pttl > 0 && pttl <= 30_000, `${key}: ${pttl}`);
        else assert.equal(pttl, -1, `${key} never expires`);
      }
    } finally {
      await store.close();
    }
  });

  it('expires client ids and deletions after the configured ttls, refreshed by each write', async () => {
    const prefix = freshPrefix();
    const hour = 3_600_000;
    const store = new ScratchRedisStore(redis, { prefix, clientPostTtlMs: 24 * hour, deletionTtlMs: 7 * 24 * hour });
    const pttl = (suffix: string) => redis.pttl(`${prefix}${suffix}`);
    try {
      await store.insertConversation(conversation('a', 'root-a'));
      await store.revokeTokens('a', 20);
      await store.setSecret('bot-token', 'x');
      await store.markClientPostPending('a', 'k', 10);
      const pending = await pttl('gw:client:a:k');
      assert.ok(pending > 24 * hour - 60_000 && pending <= 24 * hour, `pending: ${pending}`);
      await redis.pexpire(`${prefix}gw:client:a:k`, 1000);
      await store.setClientPost('a', 'k', 'p', 30);
      assert.ok((await pttl('gw:client:a:k')) > 1000, 'setClientPost refreshes the expiry');

      const week = 7 * 24 * hour;
      await store.recordDeletion('root-a', { postId: 'old', userId: 'u', createAt: 1, deletedAt: 1000 });
      for (const suffix of ['gw:deletions:root-a', 'gw:deletion-order:root-a']) {
        const left = await pttl(suffix);
        assert.ok(left > week - 60_000 && left <= week, `${suffix}: ${left}`);
      }
      // A deletion more than the ttl after an older one drops the older one.
      await store.recordDeletion('root-a', { postId: 'kept', userId: 'u', createAt: 1, deletedAt: 1000 + week - 1 });
      assert.deepEqual(
        (await store.deletionsSince('root-a', 0)).map((d) => d.postId),
        ['old', 'kept'],
      );
      await store.recordDeletion('root-a', { postId: 'new', userId: 'u', createAt: 1, deletedAt: 1001 + week });
      assert.deepEqual(
        (await store.deletionsSince('root-a', 0)).map((d) => d.postId),
        ['kept', 'new'],
      );
      assert.deepEqual(await redis.zrange(`${prefix}gw:deletion-order:root-a`, '0', '-1'), ['kept', 'new']);
      assert.deepEqual((await redis.hkeys(`${prefix}gw:deletions:root-a`)).sort(), ['kept', 'new']);

      for (const suffix of ['gw:conv:a', 'gw:root:root-a', 'gw:revoked:a', 'gw:secret:bot-token']) {
        assert.equal(await pttl(suffix), -1, `${suffix} never expires`);
      }
    } finally {
      await store.close();
    }
  });

  it("lets a lock expire in Redis by itself and honours the caller's clock", async () => {
    const prefix = freshPrefix();
    const store = new ScratchRedisStore(redis, { prefix });
    try {
      assert.equal(await store.acquireLock('l', 'i1', 5000, 1_000_000), true);
      assert.ok((await redis.pttl(`${prefix}gw:lock:l`)) > 4000);
      assert.equal(await store.acquireLock('l', 'i2', 5000, 1_004_999), false);
      assert.equal(await store.acquireLock('l', 'i2', 5000, 1_005_000), true, 'expired at its expiry time');
      // Redis removing the key (the owner crashed, the ttl passed) frees it as well.
      await redis.pexpire(`${prefix}gw:lock:l`, 1);
      while ((await redis.exists(`${prefix}gw:lock:l`)) === 1) await new Promise((r) => setImmediate(r));
      assert.equal(await store.acquireLock('l', 'i3', 5000, 0), true);
    } finally {
      await store.close();
    }
  });

  describe('a value it did not write', () => {
    const withStore = (fn: (store: RedisGatewayStore, key: (suffix: string) => string) => Promise<void>) => async () => {
      const prefix = freshPrefix();
      const store = new ScratchRedisStore(redis, { prefix });
      try {
        await fn(store, (suffix) => `${prefix}${suffix}`);
      } finally {
        await store.close();
      }
    };
    const fails =
      (key: string, ...words: (string | RegExp)[]) =>
      (err: unknown) => {
        assert.ok(err instanceof RedisGatewayStoreError, `a RedisGatewayStoreError, received ${String(err)}`);
        assert.equal(err.key, key);
        assert.ok(err.message.includes(key), err.message);
        for (const w of words) assert.match(err.message, typeof w === 'string' ? new RegExp(w) : w);
        return true;
      };

    it(
      'a conversation with a bad field: names the key and the field, not the visitor’s data',
      withStore(async (store, key) => {
        await store.insertConversation(conversation('a', 'root-a'));
        await redis.hset(key('gw:conv:a'), 'createdAt', 'soon');
        await redis.hdel(key('gw:conv:a'), 'channelId');
        await assert.rejects(store.getConversation('a'), fails(key('gw:conv:a'), 'createdAt', 'channelId', 'integer time'));
        await assert.rejects(store.findConversationByRoot('root-a'), fails(key('gw:conv:a'), 'createdAt'));
        await assert.rejects(store.insertConversation(conversation('a', 'root-b')), fails(key('gw:conv:a')));
        await assert.rejects(store.getConversation('a'), (err: Error) => !err.message.includes('Visitor a'));
      }),
    );

    it(
      'a key of the wrong type: names the key and the type expected',
      withStore(async (store, key) => {
        await redis.set(key('gw:conv:a'), '{"conversationId":"a"}');
        await assert.rejects(store.getConversation('a'), fails(key('gw:conv:a'), 'wrong type', 'a hash'));
        await redis.hset(key('gw:secret:bot-token'), 'value', 'x');
        await assert.rejects(store.getSecret('bot-token'), fails(key('gw:secret:bot-token'), 'a string'));
        await redis.sadd(key('gw:lock:l'), 'i1');
        await assert.rejects(store.acquireLock('l', 'i1', 1000, 0), fails(key('gw:lock:l'), 'wrong type'));
      }),
    );

    it(
      'a revocation, a client id, a deletion and a lock that are not what it wrote',
      withStore(async (store, key) => {
        await redis.set(key('gw:revoked:a'), 'yesterday');
        await assert.rejects(store.getRevokedBefore('a'), fails(key('gw:revoked:a'), 'integer time', '"yesterday"'));
        await assert.rejects(store.revokeTokens('a', 10), fails(key('gw:revoked:a'), '"yesterday"'));

        await redis.hset(key('gw:client:a:k'), 'postId', 'p');
        await assert.rejects(store.getClientPost('a', 'k'), fails(key('gw:client:a:k'), /at: /));

        await store.recordDeletion('root', { postId: 'p1', userId: 'u', createAt: 1, deletedAt: 2 });
        await redis.hset(key('gw:deletions:root'), 'p1', 'not json');
        await assert.rejects(store.deletionsSince('root', 0), fails(key('gw:deletions:root'), '"p1"', 'not json'));
        await redis.hset(key('gw:deletions:root'), 'p1', '{"userId":"u","createAt":1}');
        await assert.rejects(store.deletionsSince('root', 0), fails(key('gw:deletions:root'), 'deletedAt'));
        await redis.hdel(key('gw:deletions:root'), 'p1');
        await assert.rejects(store.deletionsSince('root', 0), fails(key('gw:deletions:root'), 'undefined'));

        await redis.hset(key('gw:lock:l'), 'owner', 'i1');
        await assert.rejects(store.acquireLock('l', 'i2', 1000, 0), fails(key('gw:lock:l'), 'expiresAt'));
      }),
    );
  });

  it('refuses times and ttls that are not integers, saying what it received', async () => {
    const store = new ScratchRedisStore(redis, { prefix: freshPrefix() });
    try {
      await assert.rejects(store.revokeTokens('a', Number.NaN), /revokeTokens: at must be a time in ms .*received NaN/);
      await assert.rejects(store.acquireLock('l', 'i1', 0, 0), /ttlMs must be positive; received 0/);
      await assert.rejects(store.markClientPostPending('a', 'k', 1.5), /received 1\.5/);
      assert.throws(
        () => new RedisGatewayStore(redis, { clientPostTtlMs: -1 }),
        /clientPostTtlMs must be a positive integer .*received -1/,
      );
    } finally {
      await store.close();
    }
  });

  it('quits the connection on close only when it owns it', async () => {
    const shared = connect();
    await new RedisGatewayStore(shared).close();
    assert.equal(await shared.ping(), 'PONG', 'a shared connection stays open');
    const owned = new RedisGatewayStore(shared, { closeConnection: true });
    const ended = new Promise((resolve) => shared.once('end', resolve));
    await owned.close();
    await owned.close();
    await ended;
    await assert.rejects(shared.ping(), /Connection is closed/);
  });
});
