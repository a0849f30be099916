// 9. Scaled out: returning visitors' sessions per second across 2 companion instances on one
// Redis, beside 1 instance on the same Redis and 1 instance on its own (SQLite, counters in
// memory), in the same run — and what it costs that every instance holds its own bot socket
// (each one receives and reads every event of the support channel).
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { up as redisUp } from '../dev/redis/index.mjs';
import { agentClient } from '../test/e2e/support/stack.ts';
import { mattermost, type MattermostInfo } from '../test/support/mattermost.ts';
import { benchCompanionEnv, benchDataDir, benchSupportChannel } from './support/companion-env.ts';
import { returningSessionsLoad } from './support/session-load.ts';
import { ensurePortFree, PAGE_ORIGIN, sleep, waitForMattermost } from './support/stack.ts';
import { num } from './support/stats.ts';
import type { BenchContext, BenchResult } from './support/types.ts';

const PORTS = [8890, 8891];
const CLK_TCK = 100;

/** utime + stime of a process, in ms (from /proc). */
function cpuMs(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
}

function cannon(opts: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => autocannon(opts, (err, result) => (err ? reject(err) : resolve(result))));
}

interface Instance {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** A `porthole-server` process (the CLI from src/), ready once its /readyz says so. */
async function startInstance(env: Record<string, string | undefined>, port: number, defer: BenchContext['defer']): Promise<Instance> {
  await ensurePortFree(port, 'a scaled-out companion');
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/cli.ts'], {
    env: { ...process.env, ...env, PORTHOLE_PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d) => (err = (err + d).slice(-2000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  defer(stop);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the companion on ${port} exited (${child.exitCode}): ${err}`);
    const res = await fetch(`${url}/readyz`).catch(() => undefined);
    if (res?.status === 200 && (await res.json()).status === 'ready') break;
    if (Date.now() > deadline) throw new Error(`the companion on ${port} was not ready within 60 s: ${err}`);
    await sleep(200);
  }
  return { url, child, stop };
}

/** Returning visitors' cookies: one anonymous session each. */
async function cookiesFrom(url: string, count: number): Promise<string[]> {
  const cookies: string[] = [];
  for (let i = 0; i < count; i++) {
    const res = await fetch(`${url}/v1/session`, {
      method: 'POST',
      headers: { Origin: PAGE_ORIGIN, 'Content-Type': 'application/json' },
      body: '{}',
    });
    if (res.status !== 200) throw new Error(`POST /v1/session answered ${res.status}: ${await res.text()}`);
    const cookie = res.headers
      .getSetCookie()
      .find((c) => c.startsWith('porthole_vid='))
      ?.split(';')[0];
    if (!cookie) throw new Error('POST /v1/session set no porthole_vid cookie');
    cookies.push(cookie);
  }
  return cookies;
}

/** Sessions per second of returning visitors against every URL at once (one autocannon each). */
async function mint(urls: string[], cookies: string[], o: { connections: number; duration: number }) {
  const results = await Promise.all(urls.map((url) => cannon(returningSessionsLoad(url, cookies, o))));
  const bad = results.reduce((sum, r) => sum + r.non2xx + r.errors, 0);
  return {
    // Answered requests per second, every instance's added up (non-2xx answers are counted apart).
    perSecond: results.reduce((sum, r) => sum + r.requests.average, 0),
    bad,
    p50: Math.max(...results.map((r) => r.latency.p50)),
    p99: Math.max(...results.map((r) => r.latency.p99)),
  };
}

/** Bytes Redis uses per conversation (record + root index) and per visitor message (client-id record). */
async function redisBytes(url: string, count: number) {
  const { Redis } = await import('ioredis');
  const { RedisGatewayStore } = await import('../src/server/gateway/redis-store.ts');
  const client = new Redis(url);
  const prefix = `porthole-bench-bytes-${Date.now()}:`;
  const store = new RedisGatewayStore(client, { prefix });
  const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await client.info('memory'))![1]);
  try {
    const start = await usedMemory();
    const id = (i: number) => `${String(i).padStart(6, '0')}${'x'.repeat(20)}`;
    for (let i = 0; i < count; i++) {
      await store.insertConversation({
        conversationId: `c${id(i)}`,
        visitorUserId: `u${id(i)}`,
        rootPostId: `r${id(i)}`,
        channelId: 'c'.repeat(26),
        createdAt: Date.now(),
        name: `Visitor ${i}`,
      });
      await store.setClientPost(`c${id(i)}`, crypto.randomUUID(), `p${id(i)}`, Date.now());
    }
    const usedPerPair = ((await usedMemory()) - start) / count;
    const usage = async (pattern: string) => {
      const keys = (await client.keys(`${prefix}${pattern}`)).slice(0, 100);
      const sizes = await Promise.all(keys.map((k) => client.memory('USAGE', k)));
      return sizes.reduce((sum: number, v) => sum + Number(v ?? 0), 0) / Math.max(1, keys.length);
    };
    const conversation = (await usage('gw:conv:*')) + (await usage('gw:root:*'));
    const message = await usage('gw:client:*');
    return { conversation, message, usedPerPair, count };
  } finally {
    const keys = await client.keys(`${prefix}*`);
    for (let i = 0; i < keys.length; i += 500) await client.del(...keys.slice(i, i + 500));
    await client.quit();
  }
}

export default async function scale({ smoke, log, defer }: BenchContext): Promise<BenchResult> {
  const title = '9. Scaled out: two instances on one Redis';
  const c = smoke
    ? { visitors: 20, connections: 10, duration: 2, posts: 20, rate: 20 }
    : { visitors: 200, connections: 40, duration: 15, posts: 600, rate: 40 };
  const mm: MattermostInfo = await mattermost();
  await waitForMattermost(mm);
  const redis = await redisUp({ log: () => {} });
  const supportChannelId = await benchSupportChannel(mm);
  const prefix = `porthole-bench-${Date.now()}:`;
  const data = benchDataDir();
  defer(data.remove);
  const base = benchCompanionEnv(mm, 'gateway', { origin: PAGE_ORIGIN, dataDir: data.dir, supportChannelId });
  const shared = { ...base, PORTHOLE_REDIS_URL: redis.url, PORTHOLE_REDIS_PREFIX: prefix, PORTHOLE_SITE_SESSIONS_PER_MINUTE: '10000000' };
  defer(async () => {
    const { Redis } = await import('ioredis');
    const client = new Redis(redis.url);
    const keys = await client.keys(`${prefix}*`);
    if (keys.length) await client.del(...keys);
    await client.quit();
  });

  // Reference 1: one instance on its own (SQLite store, counters in memory).
  log('one instance, no Redis');
  const alone = await startInstance({ ...base, PORTHOLE_SITE_SESSIONS_PER_MINUTE: '10000000' }, PORTS[0]!, defer);
  const aloneCookies = await cookiesFrom(alone.url, c.visitors);
  await mint([alone.url], aloneCookies, { connections: c.connections, duration: 2 }); // warm-up
  const single = await mint([alone.url], aloneCookies, { connections: c.connections, duration: c.duration });
  await alone.stop();

  // Reference 2 and the figure: one, then two instances on one Redis.
  log('two instances on one Redis');
  const a = await startInstance(shared, PORTS[0]!, defer);
  const b = await startInstance(shared, PORTS[1]!, defer);
  const cookies = await cookiesFrom(a.url, c.visitors);
  await mint([a.url, b.url], cookies, { connections: c.connections, duration: 2 }); // warm-up
  const oneOnRedis = await mint([a.url], cookies, { connections: c.connections, duration: c.duration });
  const two = await mint([a.url, b.url], cookies, { connections: c.connections, duration: c.duration });
  log(`sessions/s: alone ${num(single.perSecond, 0)}, one on Redis ${num(oneOnRedis.perSecond, 0)}, two on Redis ${num(two.perSecond, 0)}`);

  // The cost of one bot socket per instance: agent replies in one conversation (through A) while
  // neither instance holds a visitor socket; each instance still receives and reads every event.
  log(`bot sockets: ${c.posts} agent replies at ${c.rate}/s`);
  const session = await (
    await fetch(`${a.url}/v1/session`, { method: 'POST', headers: { Origin: PAGE_ORIGIN, 'Content-Type': 'application/json' }, body: '{}' })
  ).json();
  const first = await (
    await fetch(`${a.url}/v1/messages`, {
      method: 'POST',
      headers: { Origin: PAGE_ORIGIN, 'Content-Type': 'application/json', Authorization: `Bearer ${session.token}` },
      body: JSON.stringify({ clientId: crypto.randomUUID(), text: 'A scaled-out conversation' }),
    })
  ).json();
  const agent = await agentClient(mm);
  const rootId = ((await agent.getPost(first.message.id)) as { root_id: string }).root_id;
  await sleep(1000);
  // The instances' idle CPU over as long a window, to take out of the figure.
  const windowMs = (c.posts / c.rate) * 1000 + 1000;
  const idleFrom = { a: cpuMs(a.child.pid!), b: cpuMs(b.child.pid!) };
  await sleep(windowMs);
  const idle = { a: cpuMs(a.child.pid!) - idleFrom.a, b: cpuMs(b.child.pid!) - idleFrom.b };
  const before = { a: cpuMs(a.child.pid!), b: cpuMs(b.child.pid!) };
  const started = Date.now();
  for (let i = 0; i < c.posts; i++) {
    const due = started + (i * 1000) / c.rate;
    if (due > Date.now()) await sleep(due - Date.now());
    await agent.createPost({ channel_id: supportChannelId, root_id: rootId, message: `reply ${i}` } as never);
  }
  await sleep(Math.max(0, started + windowMs - Date.now()));
  const perEvent = {
    a: Math.max(0, cpuMs(a.child.pid!) - before.a - idle.a) / c.posts,
    b: Math.max(0, cpuMs(b.child.pid!) - before.b - idle.b) / c.posts,
  };
  await a.stop();
  await b.stop();

  // What Redis holds per conversation and per visitor message: the store's own writes, measured
  // with MEMORY USAGE on a scratch prefix.
  log('redis bytes per record');
  const bytes = await redisBytes(redis.url, smoke ? 200 : 2000);

  const ratio = two.perSecond / oneOnRedis.perSecond;
  return {
    title,
    rows: [
      {
        figure: 'Sessions per second, returning visitors, 2 instances on one Redis (both loaded at once)',
        porthole: `${num(two.perSecond, 0)}/s (p50 ${num(two.p50)} · p99 ${num(two.p99)} ms; ${two.bad} not 200)`,
        reference: `1 instance on the same Redis ${num(oneOnRedis.perSecond, 0)}/s (p99 ${num(oneOnRedis.p99)} ms) · 1 instance alone (SQLite, counters in memory) ${num(single.perSecond, 0)}/s (p99 ${num(single.p99)} ms)`,
        target: 'informative (2 cores)',
        verdict: '—',
      },
      {
        figure: 'Redis memory per conversation and per visitor message (RedisGatewayStore, MEMORY USAGE)',
        porthole: `conversation ${num(bytes.conversation, 0)} B (its record and its root's index) · visitor message ${num(bytes.message, 0)} B (its client-id record)`,
        reference: `Redis's used_memory grew ${num(bytes.usedPerPair, 0)} B per conversation + message pair (${bytes.count} pairs)`,
        target: 'informative',
        verdict: '—',
      },
      {
        figure:
          'CPU each instance spends per support-channel event it only reads (no visitor socket for it): the price of one bot socket per instance instead of routing',
        porthole: `instance A ${num(perEvent.a, 2)} ms · instance B ${num(perEvent.b, 2)} ms per event (${c.posts} agent replies at ${c.rate}/s; idle CPU over as long a window taken out: A ${num(idle.a, 0)} ms, B ${num(idle.b, 0)} ms)`,
        reference: `routing would spend it once, in the instance holding the socket (plus a Redis publish and read per event)`,
        target: 'informative',
        verdict: '—',
      },
    ],
    method: `Companions are the CLI (\`src/server/cli.ts\`) in processes of their own on 127.0.0.1:${PORTS.join(' and ')}, in gateway mode against the benchmarks' bot and channel, rate limits raised. Redis is the harness's (\`npm run redis:up\`: Debian's redis-server, append-only, \`appendfsync always\`), with a prefix of this run's own. ${c.visitors} returning visitors are created first (one anonymous \`POST /v1/session\` each); autocannon then cycles through their cookies — \`POST /v1/session\` with body \`{}\`, ${c.connections} connections per instance for ${c.duration} s, after a 2 s warm-up; with two instances, one autocannon per instance at the same time, their answered requests added up. Such a session is the cookie's HMAC check, a Porthole token, and the rate-limit hits — in Redis when it is set (two counters per request: per address and per site; a returning visitor skips the site counter). Reference in the same run: the same load on one instance on the same Redis, and on one instance with no Redis (SQLite, counters in memory).\n\nBot sockets: every instance holds its own socket to Mattermost as the bot, so every instance receives every event of the support channel and looks its thread up in the store — no event is routed between instances. An agent posts ${c.posts} replies over REST at ${c.rate}/s into one conversation made through instance A; no visitor socket is open on either instance, so what each spends is the cost of an event it only reads. CPU from /proc (utime + stime, 10 ms ticks) over the window, less the same instance's CPU over an idle window as long just before, divided by the events.`,
    limits: `**Two cores for everything.** Two companions, two autocannon processes, Redis, Mattermost and PostgreSQL share 2 cores; a second instance adds a second event loop but no core: ${num(ratio, 2)}× one instance's rate on the same Redis. On separate hosts each instance brings its own cores, and Redis (one INCR script per counter) is the shared part.\n\n**Redis round trips.** On Redis, each session waits for its counters' round trips; alone, the counters are in memory: the difference between the two references is that cost.\n\n**Bot sockets.** The per-event figure is CPU ticks of 10 ms over a window less an idle window, so it is coarse (±1 tick per window); at Mattermost's ceiling here (bench 8: about 60–100 posts/s) it is a small fraction of a core per instance, which is why the instances do not route events to each other.`,
  };
}
