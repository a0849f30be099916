// Scale-out, end to end: two real `porthole-server` processes on one real Redis behind nginx (the
// configuration of docs/deploying.md), the real Mattermost, Debian's Chromium. They act as one
// companion: one rate limit, one conversation map, and a visitor survives the loss of its
// instance and a Redis restart — every message once.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { kill as killRedis, up as redisUp } from '../../dev/redis/index.mjs';
import { mattermost, type MattermostInfo } from '../support/mattermost.ts';
import { launchChromium } from './support/browser.ts';
import { startCluster, type Cluster, type CompanionProcess } from './support/cluster.ts';
import { agentClient, eventually, gatewayThread, type SessionIds } from './support/stack.ts';
import { serveStatic } from './support/static-server.ts';

const PAGE_PORT = 8098;
const ORIGIN = `http://localhost:${PAGE_PORT}`;
const NGINX_PORT = 8797;
const PORTS = [8795, 8796];
const SESSION_LIMIT = 5;
const T = { timeout: 180_000 };

let mm: MattermostInfo;
let cluster: Cluster;
let browser: Browser;
let pages: { close(): Promise<void> };
const pageDir = fs.mkdtempSync(path.join(os.tmpdir(), 'porthole-scale-'));
const startedAt = Date.now() - 1000;

before(async () => {
  mm = await mattermost();
  cluster = await startCluster(mm, {
    ports: PORTS,
    nginxPort: NGINX_PORT,
    origin: ORIGIN,
    env: { PORTHOLE_RATE_LIMIT_PER_MINUTE: String(SESSION_LIMIT), PORTHOLE_DRAIN_DELAY_SECONDS: '1' },
  });
  fs.writeFileSync(
    path.join(pageDir, 'index.html'),
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Scaled out</title>
<script type="module" src="/cdn/porthole-chat.js"></script></head>
<body><main><h1>A shop</h1></main>
<porthole-chat token-url="${cluster.url}/v1/session" title="Test shop"></porthole-chat></body></html>`,
  );
  pages = await serveStatic(PAGE_PORT, { '/cdn/': path.resolve('dist/cdn'), '/': pageDir });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await pages?.close();
  await cluster?.close();
  fs.rmSync(pageDir, { recursive: true, force: true });
});

interface ScaledVisitor {
  page: Page;
  session: SessionIds;
  /** The Porthole token of that session (`Authorization: Bearer`). */
  token: string;
}

const unique = (label: string) => `${label} ${Math.random().toString(36).slice(2, 8)}`;
const message = (v: ScaledVisitor, text: string) => v.page.locator('[part~="message"]', { hasText: text });
const state = (v: ScaledVisitor) => v.page.evaluate(() => (document.querySelector('porthole-chat') as any)?.connectionState);

async function openVisitor(): Promise<ScaledVisitor> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const sessions: (SessionIds & { token: string })[] = [];
  page.on('response', async (r) => {
    if (r.url() === `${cluster.url}/v1/session` && r.request().method() === 'POST' && r.ok()) {
      const body = await r.json().catch(() => null);
      if (body?.userId) sessions.push({ userId: body.userId, channelId: body.channelId, token: body.token });
    }
  });
  await page.goto(`${ORIGIN}/`);
  await page.locator('[part~="launcher"]').click();
  await page.locator('[part~="input"]').waitFor({ state: 'visible' });
  await eventually(
    'the connection to be online',
    async () => (await page.evaluate(() => (document.querySelector('porthole-chat') as any)?.connectionState)) === 'online',
    20_000,
  );
  const { token, ...session } = sessions.at(-1)!;
  return { page, session, token };
}

async function type(v: ScaledVisitor, text: string) {
  await v.page.locator('[part~="input"]').fill(text);
  await v.page.locator('[part~="input"]').press('Enter');
}

const sent = (v: ScaledVisitor, text: string, timeoutMs = 20_000) =>
  eventually(`"${text}" to be sent`, async () => (await message(v, text).getAttribute('data-state')) === 'sent', timeoutMs);

async function answer(v: ScaledVisitor, text: string) {
  const agent = await agentClient(mm);
  const { root } = await gatewayThread(mm, v.session, startedAt);
  if (!root) throw new Error('the conversation has no thread yet');
  await agent.createPost({ channel_id: mm.inboxChannelId, root_id: root, message: text } as any);
}

/** Every text is in the conversation's one thread exactly once, and shown exactly once. */
async function once(v: ScaledVisitor, texts: string[]) {
  await new Promise((r) => setTimeout(r, 1500)); // a late duplicate would have landed by now
  const { posts } = await gatewayThread(mm, v.session, startedAt); // throws if there are two threads
  for (const text of texts) {
    assert.equal(posts.filter((p) => p.message === text).length, 1, `"${text}" is in Mattermost once`);
    assert.equal(await message(v, text).count(), 1, `"${text}" is shown once`);
  }
}

/** The instance holding the visitor's live socket (exactly one does). */
async function socketHolder(): Promise<CompanionProcess> {
  let counts: number[] = [];
  return eventually(`one instance to hold the live socket (${counts.join(', ')})`, async () => {
    counts = await Promise.all(cluster.instances.map((i) => (i.alive ? i.liveSockets() : 0)));
    const holders = cluster.instances.filter((_, i) => counts[i]! > 0);
    return holders.length === 1 && counts.reduce((a, b) => a + b, 0) === 1 ? holders[0] : undefined;
  });
}

const requestsServed = (log: CompanionProcess['log'], path: string) => log.filter((l) => l.msg === 'request' && l.path === path);

test('a visitor gets an agent’s answer while nginx spreads its requests over both instances', T, async () => {
  const v = await openVisitor();
  const hello = unique('Hello from the scaled-out page');
  await type(v, hello);
  await sent(v, hello);
  const holder = await socketHolder();
  const reply = unique('An agent answers');
  await answer(v, reply);
  await message(v, reply).waitFor({ timeout: 20_000 });
  await once(v, [hello, reply]);
  assert.ok(holder, 'one instance holds the socket');
  for (const instance of cluster.instances)
    assert.ok(
      instance.log.some((l) => l.msg === 'request' && String(l.path).startsWith('/v1/')),
      `instance ${instance.name} served visitor requests too: no sticky sessions`,
    );
  // A file past nginx's default body limit (1 MiB > client_max_body_size's old 256k) reaches the
  // companion, which stores it: its JSON, not nginx's HTML 413.
  const bytes = new Uint8Array(1_048_576).fill(0x61);
  const upload = await fetch(`${cluster.url}/v1/files`, {
    method: 'POST',
    headers: {
      Origin: ORIGIN,
      Authorization: `Bearer ${v.token}`,
      'Content-Type': 'text/plain',
      'X-Porthole-File-Name': encodeURIComponent('notes.txt'),
    },
    body: bytes,
  });
  const uploaded = await upload.text();
  assert.equal(upload.status, 201, `a 1 MiB upload through nginx: ${upload.status} ${uploaded.slice(0, 200)}`);
  const { file } = JSON.parse(uploaded);
  assert.match(file.id, /^[a-z0-9]{26}$/);
  assert.equal(file.size, bytes.length);
  await v.page.context().close();
});

test(`the ${SESSION_LIMIT + 1}th session request in a minute from one address is refused, whichever instance answers`, T, async () => {
  // From ::1, so the browser's 127.0.0.1 keeps its own budget (and IPv6 is keyed per /64).
  // Only the six requests' log lines count, not earlier tests' sessions.
  const before = cluster.instances.map((i) => i.log.length);
  const statuses: number[] = [];
  for (let i = 0; i < SESSION_LIMIT + 1; i++) {
    const res = await fetch(`http://[::1]:${NGINX_PORT}/v1/session`, {
      method: 'POST',
      headers: { Origin: ORIGIN, 'Content-Type': 'application/json' },
      body: '{}',
    });
    statuses.push(res.status);
    if (res.status === 429) assert.equal((await res.json()).error.code, 'rate_limited');
  }
  assert.deepEqual(statuses, [...Array(SESSION_LIMIT).fill(200), 429]);
  // An instance's log line may follow its answer by a moment.
  let answered: number[] = [];
  const total = () => answered.reduce((a, b) => a + b, 0);
  await eventually('a log line for each of the six session requests', () => {
    answered = cluster.instances.map(
      (i, n) => requestsServed(i.log.slice(before[n]), '/v1/session').filter((l) => l.status === 200 || l.status === 429).length,
    );
    return total() >= SESSION_LIMIT + 1;
  }).catch((e: Error) => assert.fail(`${e.message} (logged: ${answered.join(' and ')})`));
  assert.equal(total(), SESSION_LIMIT + 1, `the instances logged the six session requests, no more (${answered.join(' and ')})`);
  assert.ok(
    answered.every((n) => n > 0),
    `both instances answered some of the six session requests (${answered.join(' and ')}): the limit is shared`,
  );
});

test(
  'the instance holding the visitor’s socket is killed mid-conversation: the widget goes on through the other, nothing lost or doubled',
  T,
  async () => {
    const v = await openVisitor();
    const first = unique('Before the instance dies');
    await type(v, first);
    await sent(v, first);
    const holder = await socketHolder();
    await holder.stop('SIGKILL');
    try {
      const missed = unique('Answered while the widget reconnects');
      await answer(v, missed);
      const during = unique('Written right after the loss');
      await type(v, during);
      await eventually('the widget to be online again', async () => (await state(v)) === 'online', 30_000);
      await message(v, missed).waitFor({ timeout: 20_000 });
      await sent(v, during, 30_000);
      const survivor = await socketHolder();
      assert.notEqual(survivor, holder);
      const live = unique('Answered live on the other instance');
      await answer(v, live);
      await message(v, live).waitFor({ timeout: 20_000 });
      await once(v, [first, missed, during, live]);
    } finally {
      await holder.start();
    }
    await v.page.context().close();
  },
);

test('Redis killed and restarted mid-conversation: /readyz says so without a 503, and every message arrives once', T, async () => {
  const v = await openVisitor();
  const first = unique('Before Redis goes');
  await type(v, first);
  await sent(v, first);
  await killRedis();
  let restarted = false;
  try {
    const ready = await fetch(`${cluster.instances[0]!.url}/readyz`);
    const body = await ready.json();
    assert.equal(ready.status, 200, 'a Redis outage is every instance’s: none leaves the load balancer');
    assert.equal(body.status, 'degraded');
    assert.equal(body.checks.find((c: { name: string }) => c.name === 'redis').ok, false);

    const during = unique('Written while Redis is down');
    await type(v, during);
    const answered = unique('Answered while Redis is down');
    await answer(v, answered);
    await new Promise((r) => setTimeout(r, 2000));
    assert.notEqual(await message(v, during).getAttribute('data-state'), 'sent', 'the message waits in the outbox');

    await redisUp({ log: () => {} });
    restarted = true;
    await sent(v, during, 30_000);
    await message(v, answered).waitFor({ timeout: 30_000 });
    const after = unique('After Redis is back');
    await type(v, after);
    await sent(v, after);
    await once(v, [first, during, answered, after]);
    await eventually('every instance to be ready again', async () =>
      (await Promise.all(cluster.instances.map(async (i) => (await (await fetch(`${i.url}/readyz`)).json()).status))).every(
        (s) => s === 'ready',
      ),
    );
  } finally {
    if (!restarted) await redisUp({ log: () => {} });
  }
  await v.page.context().close();
});

test('SIGTERM drains an instance: /readyz 503 at once, its socket moved to the other, nothing lost', T, async () => {
  const v = await openVisitor();
  const first = unique('Before the drain');
  await type(v, first);
  await sent(v, first);
  const holder = await socketHolder();
  const exited = holder.stop('SIGTERM');
  try {
    const ready = await eventually(
      'the draining instance to answer /readyz',
      () => fetch(`${holder.url}/readyz`).catch(() => undefined),
      2000,
    );
    assert.equal(ready.status, 503, 'during PORTHOLE_DRAIN_DELAY_SECONDS the load balancer is told to stop sending');
    assert.equal((await ready.json()).checks[0].name, 'draining');
    await exited;
    assert.ok(
      holder.log.some((l) => l.msg === 'shutting down' && l.signal === 'SIGTERM'),
      'the instance shut down on SIGTERM',
    );
    const survivor = await socketHolder();
    assert.notEqual(survivor, holder);
    const live = unique('Answered after the drain');
    await answer(v, live);
    await message(v, live).waitFor({ timeout: 20_000 });
    await once(v, [first, live]);
  } finally {
    await holder.start();
  }
  await v.page.context().close();
});
