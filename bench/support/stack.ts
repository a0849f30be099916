// What the browser benchmarks run against — the same pieces as the end-to-end suite
// (test/e2e/support), on the benchmark's own ports so the two never collide:
//
//   page      http://localhost:8080/  bench/pages + dist/cdn at /cdn/ (8080 is an origin Mattermost's
//                                     AllowCorsFrom lists; `npm start`'s demo uses it too: stop it first,
//                                     or set BENCH_PAGE_PORT=8000, the other listed port the e2e suite
//                                     (8090) does not use)
//   companion http://localhost:8781/  createCompanion from src/server in either mode, rate limits lifted
//                                     (support/companion-env.ts, support/lifted-rate-limits.ts)
//   proxy     127.0.0.1:18066         TCP proxy in front of the server the widget talks to: Mattermost
//                                     in direct mode, the companion in gateway mode (the companion's
//                                     PORTHOLE_MM_PUBLIC_URL / PORTHOLE_PUBLIC_URL point at it), so a
//                                     benchmark can cut the widget's network
//
// The page's token-url is the companion itself (bench/pages/host.html), in both modes.
// Every Mattermost user and channel a direct-mode benchmark creates is permanently deleted by
// close(); gateway mode creates neither (its threads stay in the benchmarks' support channel).
import { getRequestListener } from '@hono/node-server';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createCompanion, loadConfig, silentLogger } from '../../src/server/index.ts';
import { launchChromium } from '../../test/e2e/support/browser.ts';
import { agentClient } from '../../test/e2e/support/stack.ts';
import { serveStatic } from '../../test/e2e/support/static-server.ts';
import { TcpProxy } from '../../test/e2e/support/tcp-proxy.ts';
import { adminApi, mattermost, type MattermostInfo } from '../../test/support/mattermost.ts';
import { benchBotClients, benchCompanionEnv, benchDataDir, benchSupportChannel, type Mode } from './companion-env.ts';
import { LiftedRateLimitStore } from './lifted-rate-limits.ts';

export { MODES, type Mode } from './companion-env.ts';

export const PAGE_PORT = Number(process.env.BENCH_PAGE_PORT || 8080);
export const COMPANION_PORT = 8781;
export const PROXY_PORT = 18066;
export const PAGE_ORIGIN = `http://localhost:${PAGE_PORT}`;
export const PAGE_URL = `${PAGE_ORIGIN}/host.html`;
export const BARE_PAGE_URL = `${PAGE_ORIGIN}/host-bare.html`;
export const TOKEN_URL = `http://localhost:${COMPANION_PORT}/v1/session`;
export const PROXY_URL = `http://127.0.0.1:${PROXY_PORT}`;

/** The CDN build the pages load: dist/cdn, or BENCH_CDN_DIR (e.g. a copy, to measure while dist is being rebuilt). */
export const CDN_DIR = path.resolve(process.env.BENCH_CDN_DIR || 'dist/cdn');

/** Why the browser benchmarks cannot run, or undefined when the CDN build is there. */
export function cdnMissing(): string | undefined {
  return fs.existsSync(path.join(CDN_DIR, 'porthole-chat.js'))
    ? undefined
    : `${path.relative(process.cwd(), CDN_DIR)} missing (run \`npm run build\`)`;
}

/** Fails with a clear message when `port` is already taken. */
export function ensurePortFree(port: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new Error(
          err.code === 'EADDRINUSE'
            ? `port ${port} is taken, and the benchmarks need it for ${what}. Stop what listens there${port === PAGE_PORT ? ` (\`npm start\`'s demo uses 8080), or run with BENCH_PAGE_PORT=8000 (an origin Mattermost's AllowCorsFrom also lists)` : ''} and run again.`
            : `cannot listen on port ${port} (${what}): ${err.message}`,
        ),
      ),
    );
    probe.listen(port, () => probe.close(() => resolve()));
  });
}

/** The page server alone (Lighthouse needs no companion). Assets are cacheable, as from a CDN. */
export async function servePages() {
  await ensurePortFree(PAGE_PORT, 'the test page');
  return serveStatic(
    PAGE_PORT,
    { '/cdn/': CDN_DIR, '/': path.resolve('bench/pages') },
    // Hashed chunks are immutable on a CDN; a returning visitor has them in the HTTP cache.
    { 'Cache-Control': 'public, max-age=31536000, immutable' },
  );
}

/**
 * The companion in `mode` on its own port, started (gateway: store opened in a fresh directory,
 * the benchmarks' bot ensured, its socket to Mattermost connected) and with `/v1/live` upgrades
 * taken; `stop()` stops it, frees the port and (gateway) removes the store and revokes the bot
 * token it minted. The widget reaches the server it talks to at `publicUrl` (the proxy).
 */
export async function startCompanion(mm: MattermostInfo, mode: Mode, publicUrl = PROXY_URL) {
  await ensurePortFree(COMPANION_PORT, 'the companion');
  const data = mode === 'gateway' ? benchDataDir() : undefined;
  const supportChannelId = mode === 'gateway' ? await benchSupportChannel(mm) : undefined;
  const config = loadConfig(benchCompanionEnv(mm, mode, { origin: PAGE_ORIGIN, publicUrl, dataDir: data?.dir, supportChannelId }));
  const bot = benchBotClients(config.mattermostUrl);
  const companion = createCompanion(config, {
    logger: silentLogger,
    rateLimitStore: new LiftedRateLimitStore(),
    gateway: { mattermost: bot.mattermost },
  });
  const server = http.createServer(getRequestListener(companion.fetch) as http.RequestListener);
  server.on('upgrade', (req, socket, head) => companion.upgrade(req, socket, head) || socket.destroy());
  const stop = async () => {
    await companion.stop().catch(() => {});
    await new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r())));
    data?.remove();
    if (config.mode === 'gateway') await bot.revoke(config.adminToken);
  };
  try {
    await companion.start();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(COMPANION_PORT, () => resolve());
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { supportChannelId, stop };
}

/** A session as the companion answered it (`POST /v1/session`), to the page or to Node. */
export interface Session {
  mode: Mode;
  /** Direct: the visitor's Mattermost user; gateway: an opaque visitor id. */
  userId: string;
  /** Direct: the visitor's Mattermost channel; gateway: the opaque conversation id. */
  channelId: string;
  token: string;
  /** Direct: Mattermost (through the proxy); gateway: the companion (through the proxy). */
  serverUrl: string;
}

/** Where an agent posts to reach a visitor: direct — the visitor's channel; gateway — its thread in the support channel. */
export interface Conversation {
  channel_id: string;
  root_id?: string;
  /** Gateway: the visitor's first message, which created the thread — the conversation's oldest message. */
  firstMessageId?: string;
}

function sessionOf(body: any): Session | undefined {
  if (!body?.userId || !body?.token) return undefined;
  return {
    mode: body.mode === 'gateway' ? 'gateway' : 'direct',
    userId: body.userId,
    channelId: body.channelId,
    token: body.token,
    serverUrl: body.serverUrl,
  };
}

export interface Visitor {
  context: BrowserContext;
  page: Page;
  /** Session responses the page received from the companion. */
  sessions: Session[];
  errors: string[];
}

export interface BenchStack {
  mode: Mode;
  mm: MattermostInfo;
  browser: Browser;
  proxy: TcpProxy;
  /** Gateway: the channel whose threads are the conversations. */
  supportChannelId?: string;
  /** A new visitor: fresh browser context (no cookies, cache or storage), the probe installed. */
  visitor(): Promise<Visitor>;
  /**
   * Mints a session for a new anonymous visitor from Node (as the page would, with its Origin),
   * with the cookie to give a browser context so it comes back as that returning visitor.
   */
  mintVisitor(): Promise<Session & { cookie: { name: string; value: string } }>;
  /**
   * Where an agent posts to reach this visitor. Gateway: a conversation exists in Mattermost only
   * after the visitor's first message, so the first call sends one (`POST /v1/messages` with the
   * session's token, as the widget would) and finds its thread.
   */
  conversation(session: Session): Promise<Conversation>;
  /** Registers a session's Mattermost user and channel (direct mode) for deletion at close(). */
  track(session: Pick<Session, 'mode' | 'userId' | 'channelId'>): void;
  close(): Promise<void>;
}

const PROBE = path.resolve('bench/support/probe.js');

/** Sends the visitor's first message (gateway), which creates the conversation's thread; returns the thread. */
async function firstMessage(session: Session, supportChannelId: string): Promise<Conversation> {
  const res = await fetch(`${session.serverUrl}/v1/messages`, {
    method: 'POST',
    headers: { Origin: PAGE_ORIGIN, Authorization: `Bearer ${session.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ clientId: randomUUID(), text: 'Hello! I have a question about my order.' }),
  });
  if (!res.ok) throw new Error(`POST ${session.serverUrl}/v1/messages → ${res.status} ${await res.text()}`);
  const { message } = (await res.json()) as { message: { id: string } };
  const post = await adminApi<{ root_id: string; channel_id: string }>('GET', `/posts/${message.id}`);
  if (!post.root_id || post.channel_id !== supportChannelId)
    throw new Error(
      `the first message ${message.id} is not a reply in the support channel ${supportChannelId} (channel ${post.channel_id}, root ${JSON.stringify(post.root_id)})`,
    );
  return { channel_id: supportChannelId, root_id: post.root_id, firstMessageId: message.id };
}

/**
 * Waits until Mattermost answers its ping — other suites share it and may be restarting it — or
 * fails saying what it waited for.
 */
export async function waitForMattermost(mm: MattermostInfo, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  for (;;) {
    try {
      const res = await fetch(`${mm.url}/api/v4/system/ping`, { signal: AbortSignal.timeout(3000) });
      if (res.ok) return;
      last = `${res.status} ${res.statusText}`;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline)
      throw new Error(
        `Mattermost at ${mm.url} did not answer GET /api/v4/system/ping within ${timeoutMs / 1000} s (last: ${last}); is it restarting?`,
      );
    await sleep(1000);
  }
}

/** Starts the page server, the companion in `mode`, the proxy and Chromium. Call close() in all cases. */
export async function startStack(mode: Mode): Promise<BenchStack> {
  const mm = await mattermost();
  await waitForMattermost(mm);
  const closers: (() => Promise<unknown>)[] = [];
  const users = new Set<string>();
  const channels = new Set<string>();
  const contexts: Visitor[] = [];
  const conversations = new Map<string, Promise<Conversation>>();
  const track = (s: Pick<Session, 'mode' | 'userId' | 'channelId'>) => {
    if (s.mode !== 'direct') return;
    users.add(s.userId);
    if (s.channelId) channels.add(s.channelId);
  };
  const close = async () => {
    for (const v of contexts) await v.context.close().catch(() => {});
    for (const c of closers.splice(0).reverse()) await c().catch(() => {});
    for (const id of channels) await adminApi('DELETE', `/channels/${id}?permanent=true`).catch(() => {});
    for (const id of users) await adminApi('DELETE', `/users/${id}?permanent=true`).catch(() => {});
    users.clear();
    channels.clear();
  };
  try {
    await ensurePortFree(PROXY_PORT, `the TCP proxy in front of ${mode === 'direct' ? 'Mattermost' : 'the companion'}`);
    const upstream = mode === 'direct' ? Number(new URL(mm.url).port) : COMPANION_PORT;
    const proxy = new TcpProxy(PROXY_PORT, { host: '127.0.0.1', port: upstream });
    await proxy.listen();
    closers.push(() => proxy.close());
    const companion = await startCompanion(mm, mode);
    closers.push(() => companion.stop());
    const pages = await servePages();
    closers.push(() => pages.close());
    const browser = await launchChromium();
    closers.push(() => browser.close());
    return {
      mode,
      mm,
      browser,
      proxy,
      supportChannelId: companion.supportChannelId,
      track,
      async visitor() {
        const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
        await context.addInitScript({ path: PROBE });
        const page = await context.newPage();
        const v: Visitor = { context, page, sessions: [], errors: [] };
        page.on('pageerror', (e) => v.errors.push(String(e)));
        page.on('response', async (r) => {
          if (r.url() === TOKEN_URL && r.request().method() === 'POST' && r.ok()) {
            const s = sessionOf(await r.json().catch(() => null));
            if (s) {
              track(s);
              v.sessions.push(s);
            }
          }
        });
        contexts.push(v);
        return v;
      },
      async mintVisitor() {
        const res = await fetch(TOKEN_URL, { method: 'POST', headers: { Origin: PAGE_ORIGIN } });
        if (!res.ok) throw new Error(`POST ${TOKEN_URL} → ${res.status} ${await res.text()}`);
        const s = sessionOf(await res.json());
        if (!s) throw new Error(`POST ${TOKEN_URL} answered no session`);
        track(s);
        const set = res.headers
          .getSetCookie()
          .map((c) => c.split(';')[0]!)
          .find((c) => c.startsWith('porthole_vid='));
        if (!set) throw new Error(`POST ${TOKEN_URL} set no porthole_vid cookie`);
        const i = set.indexOf('=');
        return { ...s, cookie: { name: set.slice(0, i), value: set.slice(i + 1) } };
      },
      conversation(session) {
        if (session.mode === 'direct') return Promise.resolve({ channel_id: session.channelId });
        let c = conversations.get(session.channelId);
        if (!c) {
          c = firstMessage(session, companion.supportChannelId!);
          c.catch(() => conversations.delete(session.channelId));
          conversations.set(session.channelId, c);
        }
        return c;
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** An agent's @mattermost/client (the agents' own client), as the e2e suite uses. */
export { agentClient };

/** Adds the visitor cookie to a context, as the companion set it (host-only, HttpOnly, Lax). */
export async function addVisitorCookie(context: BrowserContext, cookie: { name: string; value: string }) {
  await context.addCookies([{ ...cookie, domain: 'localhost', path: '/', httpOnly: true, sameSite: 'Lax' }]);
}

/**
 * Posts `n` messages in a conversation as an agent (direct: in the visitor's channel; gateway: in
 * its thread), `concurrency` at a time; returns them in index order.
 */
export async function seedPosts(
  mm: MattermostInfo,
  where: Conversation,
  n: number,
  label: string,
  concurrency = 4,
): Promise<{ id: string; createAt: number }[]> {
  const agent = await agentClient(mm);
  const posts: { id: string; createAt: number }[] = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        const message = postIn(where, `${label} ${i + 1} of ${n}: ${LOREM[i % LOREM.length]}`);
        let post: { id: string; create_at: number };
        try {
          post = (await agent.createPost(message as never)) as typeof post;
        } catch (err) {
          // Seeding is set-up, not a figure: when Mattermost restarted meanwhile (other suites share
          // it), wait for it and post again (a post whose answer was lost may then exist twice).
          if (!(err instanceof TypeError)) throw err;
          await waitForMattermost(mm);
          post = (await agent.createPost(message as never)) as typeof post;
        }
        posts[i] = { id: post.id, createAt: post.create_at };
      }
    }),
  );
  return posts;
}

/** What an agent posts to reach the visitor of `where`, as `createPost` takes it. */
export const postIn = (where: Conversation, message: string) => ({
  channel_id: where.channel_id,
  ...(where.root_id ? { root_id: where.root_id } : {}),
  message,
});

const LOREM = [
  'Hi! Thanks for reaching out, how can we help?',
  'Could you tell me which order number this is about?',
  'I have checked, and the parcel left our warehouse yesterday. It should reach you within two working days.',
  'Sure.',
  'Here is the tracking link: https://example.com/track/123456 — it updates every few hours.',
  'Is there **anything else** I can help you with today? We are here until 18:00.',
  'Thanks, that is all!',
  'You are welcome. Have a lovely day.',
];

/** Node's clock on the same timeline as the browser's `performance.timeOrigin + performance.now()`. */
export const epochNow = () => performance.timeOrigin + performance.now();

/**
 * Offset between the page's clock and Node's (page − node), from the round trip with the
 * smallest delay among `samples` (both clocks are the machine's; this removes the residue).
 */
export async function clockOffset(page: Page, samples = 15): Promise<number> {
  let best = { rtt: Infinity, offset: 0 };
  for (let i = 0; i < samples; i++) {
    const t0 = epochNow();
    const b = await page.evaluate(() => performance.timeOrigin + performance.now());
    const t1 = epochNow();
    if (t1 - t0 < best.rtt) best = { rtt: t1 - t0, offset: b - (t0 + t1) / 2 };
  }
  return best.offset;
}

/** Clicks the launcher and waits until the input shows and the connection is online. */
export async function openChat(v: Visitor, timeout = 20_000) {
  await v.page.locator('[part~="launcher"]').click();
  await v.page.locator('[part~="input"]').waitFor({ state: 'visible', timeout });
  await v.page.waitForFunction(
    () => (document.querySelector('porthole-chat') as { connectionState?: string } | null)?.connectionState === 'online',
    null,
    { timeout },
  );
  const deadline = Date.now() + timeout;
  while (!v.sessions.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  if (!v.sessions.length) throw new Error('no session response from the companion was seen');
  return v.sessions.at(-1)!;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The set-up of the live benchmarks: the stack in `mode`, a new visitor with the widget open and
 * online on the test page, its conversation (gateway: the visitor's first message sent, so the
 * thread exists) and an agent signed in with @mattermost/client. `defer` closes the stack too;
 * close it yourself before starting another mode's stack (same ports).
 */
export async function openConversation(defer: (fn: () => unknown) => void, mode: Mode) {
  const stack = await startStack(mode);
  defer(() => stack.close());
  const v = await stack.visitor();
  await v.page.goto(PAGE_URL, { waitUntil: 'load' });
  const session = await openChat(v);
  const conversation = await stack.conversation(session);
  if (conversation.firstMessageId)
    await v.page.evaluate(
      (id) => (window as any).__pb.waitFor(() => (window as any).__pb.seen.has(id), 15_000),
      conversation.firstMessageId,
    );
  const agent = await agentClient(stack.mm);
  return { stack, v, session, conversation, agent };
}
