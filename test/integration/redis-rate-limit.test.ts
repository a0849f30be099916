// The rate-limit counters and readiness on the REAL Redis: two instances (two connections) count
// against one limit, and a Redis that cannot be reached degrades to per-instance counting — never
// a limit of zero, never no limit — and says so in /readyz without a 503.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { up } from '../../dev/redis/index.mjs';
import { createInstance } from '../../src/server/instance.ts';
import { silentLogger } from '../../src/server/logger.ts';
import { RedisRateLimitStore } from '../../src/server/rate-limit.ts';
import { connectRedis, openRedis } from '../../src/server/redis.ts';

let url: string;
const clients: Redis[] = [];
const prefix = `porthole-rl-test-${randomUUID()}:`;
const SETTINGS = {
  redisPrefix: prefix,
  production: true,
  rateLimitPerMinute: 5,
  siteSessionsPerMinute: 600,
  cookieSecret: 'x'.repeat(32),
  trustProxy: false,
};

async function connected(): Promise<Redis> {
  const redis = openRedis(url, silentLogger);
  await connectRedis(redis, url);
  clients.push(redis);
  return redis;
}

before(async () => {
  url = (await up({ log: () => {} })).url;
});
after(async () => {
  const redis = await connected();
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  for (const c of clients) c.disconnect();
});

describe('RedisRateLimitStore on the real Redis', () => {
  it('counts the hits of two instances against one window', async () => {
    const a = new RedisRateLimitStore(await connected(), { prefix });
    const b = new RedisRateLimitStore(await connected(), { prefix });
    const now = Date.now();
    assert.equal((await a.hit('session:POST:198.51.100.9', 60_000, now)).count, 1);
    assert.equal((await b.hit('session:POST:198.51.100.9', 60_000, now)).count, 2);
    const third = await a.hit('session:POST:198.51.100.9', 60_000, now);
    assert.equal(third.count, 3);
    assert.ok(third.resetAt > now && third.resetAt <= now + 60_000, 'the window ends within a minute');
    assert.equal((await b.hit('session:POST:198.51.100.10', 60_000, now)).count, 1, 'another key counts alone');
    const keys = await (await connected()).keys(`${prefix}rl:60*`);
    assert.equal(keys.length, 2, 'one counter per key, under the prefix');
    for (const key of keys) assert.ok((await clients[0]!.pttl(key)) > 0, 'every counter expires with its window');
  });

  it('keeps counting in memory while Redis cannot be reached: never zero, never unlimited', async () => {
    const unreachable = openRedis('redis://127.0.0.1:1', silentLogger); // nothing listens there
    clients.push(unreachable);
    const store = new RedisRateLimitStore(unreachable, { prefix });
    const now = Date.now();
    const counts = [];
    for (let i = 0; i < 4; i++) counts.push((await store.hit('session:POST:203.0.113.1', 60_000, now)).count);
    assert.deepEqual(counts, [1, 2, 3, 4]);
  });
});

describe('readiness with Redis', () => {
  it('reports Redis as a shared check: ready when it answers, degraded (not 503) when it does not', async () => {
    const up = createInstance({ ...SETTINGS, redisUrl: url }, { logger: silentLogger });
    await up.start();
    const ok = await up.readiness(async () => ({ status: 'ready', checks: [] }));
    assert.equal(ok.status, 'ready');
    assert.deepEqual(
      ok.checks.map((c) => [c.name, c.ok, c.scope]),
      [
        ['draining', true, 'instance'],
        ['redis', true, 'shared'],
      ],
    );
    await up.stop();

    const down = createInstance({ ...SETTINGS, redisUrl: 'redis://:hunter2@127.0.0.1:1' }, { logger: silentLogger });
    await assert.rejects(
      (async () => {
        const redis = down.redis!;
        await connectRedis(redis, 'redis://:hunter2@127.0.0.1:1', 500);
      })(),
      (e: Error) => e.name === 'RedisUnavailableError' && e.message.includes('redis://127.0.0.1:1') && !e.message.includes('hunter2'),
    );
    const report = await down.readiness(async () => ({ status: 'ready', checks: [] }));
    assert.equal(report.status, 'degraded');
    const redis = report.checks.find((c) => c.name === 'redis')!;
    assert.equal(redis.ok, false);
    assert.ok(!JSON.stringify(report).includes('127.0.0.1'), 'no internals in production');
    await down.stop();
  });
});
