import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HttpError } from './errors.js';
import { enforceRateLimit, MemoryRateLimitStore } from './rate-limit.js';
import { postSession, testCompanion } from './test-support.js';

describe('MemoryRateLimitStore', () => {
  it('counts per key within a window and resets after it', async () => {
    const s = new MemoryRateLimitStore();
    assert.deepEqual(await s.hit('a', 1000, 0), { count: 1, resetAt: 1000 });
    assert.equal((await s.hit('a', 1000, 500)).count, 2);
    assert.equal((await s.hit('b', 1000, 500)).count, 1);
    assert.deepEqual(await s.hit('a', 1000, 1000), { count: 1, resetAt: 2000 });
  });

  it('stays bounded', async () => {
    const s = new MemoryRateLimitStore({ maxKeys: 10 });
    for (let i = 0; i < 100; i++) await s.hit(`k${i}`, 60_000, i);
    assert.ok((s as unknown as { windows: Map<string, unknown> }).windows.size <= 10);
  });
});

describe('session rate limit', () => {
  it('answers the 6th request in a minute from one IP with 429 and Retry-After', async () => {
    const { companion, clock } = testCompanion();
    for (let i = 0; i < 5; i++) assert.equal((await postSession(companion, { ip: '198.51.100.1' })).status, 200);
    clock.now += 20_000;
    const res = await postSession(companion, { ip: '198.51.100.1' });
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('Retry-After'), '40');
    assert.equal(res.headers.get('Access-Control-Allow-Origin'), 'https://shop.example.com', 'the page can read the 429');
    const body = await res.json();
    assert.equal(body.error.code, 'rate_limited');
    assert.match(body.error.message, /at most 5/);

    assert.equal((await postSession(companion, { ip: '198.51.100.2' })).status, 200, 'another IP is not limited');
    clock.now += 40_000;
    assert.equal((await postSession(companion, { ip: '198.51.100.1' })).status, 200, 'a new window starts');
  });

  it('uses the first X-Forwarded-For hop only when trustProxy is on', async () => {
    const spoof = (i: number) => ({ ip: '10.0.0.1', headers: { 'X-Forwarded-For': `192.0.2.${i}, 10.0.0.1` } });
    const direct = testCompanion({ rateLimitPerMinute: 1 }).companion;
    assert.equal((await postSession(direct, spoof(1))).status, 200);
    assert.equal((await postSession(direct, spoof(2))).status, 429, 'without trustProxy the socket address counts');
    const proxied = testCompanion({ rateLimitPerMinute: 1, trustProxy: true }).companion;
    assert.equal((await postSession(proxied, spoof(1))).status, 200);
    assert.equal((await postSession(proxied, spoof(2))).status, 200);
    assert.equal((await postSession(proxied, spoof(1))).status, 429);
  });

  it('counts an IPv6 client per /64, so one host cannot rotate its addresses past the limit', async () => {
    const { companion } = testCompanion({ rateLimitPerMinute: 2 });
    assert.equal((await postSession(companion, { ip: '2001:db8:7:7::1' })).status, 200);
    assert.equal((await postSession(companion, { ip: '2001:db8:7:7:ffff::2' })).status, 200);
    assert.equal((await postSession(companion, { ip: '2001:db8:7:7:aaaa:bbbb:cccc:3' })).status, 429, 'same /64');
    assert.equal((await postSession(companion, { ip: '2001:db8:7:8::1' })).status, 200, 'the next /64 has its own budget');
  });

  it('limits session requests per site, whatever the addresses', async () => {
    const { companion } = testCompanion({ rateLimitPerMinute: 100, siteSessionsPerMinute: 3 });
    for (let i = 1; i <= 3; i++) assert.equal((await postSession(companion, { ip: `198.51.100.${i}` })).status, 200);
    const res = await postSession(companion, { ip: '198.51.100.4' });
    assert.equal(res.status, 429);
    assert.match((await res.json()).error.message, /session requests for this site: at most 3/);
    // A returning visitor (its signed cookie) is not locked out by a flood of new ones…
    const first = await postSession(testCompanion().companion, { ip: '198.51.100.9' });
    const cookie = (first.headers.get('Set-Cookie') ?? '').split(';')[0]!;
    assert.equal((await postSession(companion, { ip: '198.51.100.5', cookie })).status, 200);
    // …but counts per visitor: one cookie replayed from many addresses is capped at the per-address limit.
    for (let i = 2; i <= 100; i++) {
      const replay = await postSession(companion, { ip: `198.51.100.${100 + i}`, cookie });
      if (replay.status === 429) {
        assert.match((await replay.json()).error.message, /session requests for this visitor: at most 100/);
        assert.equal(i, 101, 'refused only past the per-address limit');
      }
    }
    assert.equal((await postSession(companion, { ip: '198.51.100.250', cookie })).status, 429, 'the 101st from one visitor is refused');
    // …and a forged cookie does not pass for one.
    assert.equal((await postSession(companion, { ip: '198.51.100.6', cookie: 'porthole_vid=AAAAAAAAAAAAAAAAAAAAAA.forged' })).status, 429);
  });
});

describe('enforceRateLimit', () => {
  it('passes up to the limit, then throws 429 with Retry-After and counts the refusal by name', async () => {
    const store = new MemoryRateLimitStore();
    const refused: string[] = [];
    const check = {
      key: 'k',
      limit: 2,
      what: 'erasures',
      name: 'erasures' as const,
      metrics: { rateLimited: (n: string) => void refused.push(n) },
    };
    await enforceRateLimit(store, check, 0);
    await enforceRateLimit(store, check, 1000);
    await assert.rejects(enforceRateLimit(store, check, 20_500), (e: unknown) => {
      assert.ok(e instanceof HttpError);
      assert.equal(e.status, 429);
      assert.equal(e.code, 'rate_limited');
      assert.equal(e.message, 'Too many erasures: at most 2 per minute. Retry after 40 s.');
      assert.equal(e.headers['Retry-After'], '40');
      return true;
    });
    assert.deepEqual(refused, ['erasures']);
    // A new window starts afresh.
    await enforceRateLimit(store, check, 60_000);
  });

  it('takes a message of its own and runs onRefused before throwing', async () => {
    const store = new MemoryRateLimitStore();
    let told = 0;
    const check = {
      key: 'k',
      limit: 0,
      what: 'x',
      message: (limit: number, s: number) => `budget ${limit}, wait ${s}`,
      onRefused: () => void told++,
    };
    await assert.rejects(enforceRateLimit(store, check, 0), /^HttpError: budget 0, wait 60$|budget 0, wait 60/);
    assert.equal(told, 1);
  });
});
