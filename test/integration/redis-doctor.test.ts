// `doctor`'s Redis checks on the REAL Redis: they pass on the harness's (append-only, noeviction),
// and fail, saying what to set, when persistence is off or keys may be evicted.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { up } from '../../dev/redis/index.mjs';
import { runRedisDoctor } from '../../src/server/redis-doctor.ts';

let url: string;
let admin: Redis;

before(async () => {
  url = (await up({ log: () => {} })).url;
  admin = new Redis(url);
});
after(async () => {
  await admin.config('SET', 'appendonly', 'yes');
  await admin.config('SET', 'maxmemory-policy', 'noeviction');
  await admin.quit();
});

const byName = (checks: { name: string; ok: boolean; detail: string }[], name: string) => checks.find((c) => c.name === name)!;

test('passes on a Redis that persists and never evicts', async () => {
  const checks = await runRedisDoctor(url);
  assert.deepEqual(
    checks.map((c) => [c.name, c.ok]),
    [
      ['redis', true],
      ['redis persistence', true],
      ['redis eviction', true],
    ],
  );
  assert.match(byName(checks, 'redis persistence').detail, /append-only file on \(appendfsync always\)/);
});

test('says what to set when Redis would lose conversation mappings', async () => {
  await admin.config('SET', 'appendonly', 'no');
  await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
  try {
    const checks = await runRedisDoctor(url);
    assert.equal(byName(checks, 'redis persistence').ok, false);
    assert.match(byName(checks, 'redis persistence').detail, /appendonly yes/);
    assert.equal(byName(checks, 'redis eviction').ok, false);
    assert.match(byName(checks, 'redis eviction').detail, /allkeys-lru .*set noeviction/);
  } finally {
    await admin.config('SET', 'appendonly', 'yes');
    await admin.config('SET', 'maxmemory-policy', 'noeviction');
  }
});

test('in direct mode (only counters in Redis) any Redis that answers will do', async () => {
  await admin.config('SET', 'appendonly', 'no');
  try {
    const checks = await runRedisDoctor(url, { durable: false });
    assert.deepEqual(
      checks.map((c) => [c.name, c.ok]),
      [['redis', true]],
    );
  } finally {
    await admin.config('SET', 'appendonly', 'yes');
  }
});

test('an unreachable Redis is one failed check, without its password', async () => {
  const checks = await runRedisDoctor('redis://:s3cret-pass@127.0.0.1:1');
  assert.equal(checks.length, 1);
  assert.equal(checks[0]!.ok, false);
  assert.match(checks[0]!.detail, /redis:\/\/127\.0\.0\.1:1 does not answer/);
  assert.ok(!JSON.stringify(checks).includes('s3cret'));
});
