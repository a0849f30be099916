// Two gateway instances on one REAL Redis and the REAL Mattermost act as one: a conversation
// started through one continues through the other in the same thread, and a logout on one closes
// the visitor's live socket on the other at once (Redis pub/sub), not at the next revocation sweep.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { Redis } from 'ioredis';
import { kill, up } from '../../dev/redis/index.mjs';
import { silentLogger } from '../../src/server/logger.ts';
import { connectRedis, openRedis } from '../../src/server/redis.ts';
import { GatewayFixture, LiveTestClient, type ServedGateway } from '../../src/server/gateway/test-support.ts';
import { adminApi, mattermost } from '../support/mattermost.ts';

const prefix = `porthole-gw-test-${randomUUID()}:`;
const clients: Redis[] = [];
let fixture: GatewayFixture;
let a: ServedGateway;
let b: ServedGateway;

before(async () => {
  const { url } = await up({ log: () => {} });
  const connected = async () => {
    const redis = openRedis(url, silentLogger);
    await connectRedis(redis, url);
    clients.push(redis);
    return redis;
  };
  fixture = new GatewayFixture(await mattermost());
  // Each instance has its own connection, as two processes would.
  a = await fixture.serve({}, { redis: await connected(), redisPrefix: prefix });
  b = await fixture.serve({}, { redis: await connected(), redisPrefix: prefix });
});

after(async () => {
  await fixture?.dispose();
  const keys = await clients[0]!.keys(`${prefix}*`);
  if (keys.length) await clients[0]!.del(...keys);
  for (const c of clients) c.disconnect();
});

test('a conversation started on one instance goes on in the same thread on the other', async () => {
  const onA = fixture.visitor(a);
  const onB = fixture.visitor(b);
  const session = await onA.session({ name: 'Ada across instances' });
  const first = await onA.send(session.token, 'first, through A');
  const second = await onB.send(session.token, 'second, through B');
  const [p1, p2] = await Promise.all([adminApi('GET', `/posts/${first.id}`), adminApi('GET', `/posts/${second.id}`)]);
  assert.ok(p1.root_id, 'a reply in a thread');
  assert.equal(p2.root_id, p1.root_id, 'one thread: B found the conversation A created, in Redis');
  const again = await onB.send(session.token, 'first, through A', undefined);
  assert.notEqual(again.id, first.id, 'a new client id is a new message');
});

test('a logout on one instance closes the visitor’s socket on the other at once', async () => {
  const session = await fixture.visitor(a).session({ name: 'Grace logs out' });
  await fixture.visitor(a).send(session.token, 'hello before logging out');
  const live = await LiveTestClient.ready(b.url, session.token, fixture.mm.allowedOrigins[0]);
  const t = Date.now();
  const res = await fixture.visitor(a).call('DELETE', '/v1/session', { token: session.token });
  assert.equal(res.status, 204);
  const closed = await Promise.race([live.closed, new Promise<undefined>((r) => setTimeout(r, 5000))]);
  assert.ok(closed, 'the socket on the other instance closed within 5 s (the revocation sweep runs once a minute)');
  assert.deepEqual(closed, { code: 1000, reason: 'logged_out' });
  assert.ok(Date.now() - t < 5000);
});

test('after Redis crashes and comes back, a logout still reaches the other instance (it subscribes again)', async () => {
  await kill();
  await up({ log: () => {} });
  const ready = async () => {
    for (let i = 0; i < 100 && !clients.every((c) => c.status === 'ready'); i++) await new Promise((r) => setTimeout(r, 100));
    return clients.every((c) => c.status === 'ready');
  };
  assert.ok(await ready(), 'both instances reconnected to Redis');
  const session = await fixture.visitor(a).session({ name: 'Grace after the crash' });
  // The store answers again (the first message writes the conversation to Redis).
  const clientId = randomUUID(); // the same message each try, as the widget's outbox resends it
  let last: { status: number; json: unknown } = { status: 0, json: undefined };
  for (let i = 0; i < 50 && last.status !== 201 && last.status !== 200; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 200));
    last = await fixture
      .visitor(a)
      .call('POST', '/v1/messages', { token: session.token, body: { clientId, text: 'hello after the crash' } });
  }
  assert.ok(last.status === 201 || last.status === 200, `a send succeeds once Redis is back (last answer: ${JSON.stringify(last.json)})`);
  const live = await LiveTestClient.ready(b.url, session.token, fixture.mm.allowedOrigins[0]);
  await new Promise((r) => setTimeout(r, 500)); // the subscriber's re-subscription is asynchronous
  assert.equal((await fixture.visitor(a).call('DELETE', '/v1/session', { token: session.token })).status, 204);
  const closed = await Promise.race([live.closed, new Promise<undefined>((r) => setTimeout(r, 5000))]);
  assert.deepEqual(closed, { code: 1000, reason: 'logged_out' }, 'closed at once on the other instance');
});
