// What the browser benchmarks run against — the same pieces as the end-to-end suite
// (test/e2e/support), on the benchmark's own ports so the two never collide:
//
//   page      http://localhost:8080/  bench/pages + dist/cdn at /cdn/ (8080 is an origin Mattermost's
//                                     AllowCorsFrom lists; `npm start`'s demo uses it too: stop it first,
//                                     or set BENCH_PAGE_PORT=8000, the other listed port the e2e suite
//                                     (8090) does not use)
//   companion http://localhost:8781/  createCompanion from src/server, rate limit raised for benchmarks
//   proxy     127.0.0.1:18066         TCP proxy in front of Mattermost (the browser's only way to it)
//
// Every Mattermost user a benchmark creates is permanently deleted by close().
import { getRequestListener } from '@hono/node-server';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { companionEnv } from '../../dev/companion-env.mjs';
import { createCompanion, loadConfig, silentLogger } from '../../src/server/index.ts';
import { launchChromium } from '../../test/e2e/support/browser.ts';
import { agentClient } from '../../test/e2e/support/stack.ts';
import { serveStatic } from '../../test/e2e/support/static-server.ts';
import { TcpProxy } from '../../test/e2e/support/tcp-proxy.ts';
import { adminApi, mattermost, type MattermostInfo } from '../../test/support/mattermost.ts';

export const PAGE_PORT = Number(process.env.BENCH_PAGE_PORT || 8080);
export const COMPANION_PORT = 8781;
export const PROXY_PORT = 18066;
export const PAGE_ORIGIN = `http://localhost:${PAGE_PORT}`;
export const PAGE_URL = `${PAGE_ORIGIN}/host.html`;
export const BARE_PAGE_URL = `${PAGE_ORIGIN}/host-bare.html`;
export const TOKEN_URL = `http://localhost:${COMPANION_PORT}/v1/session`;
export const PROXY_URL = `http://127.0.0.1:${PROXY_PORT}`;

/** What every benchmark's companion adds to the harness's settings. */
export function benchCompanionEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PORTHOLE_ALLOWED_ORIGINS: PAGE_ORIGIN,
    PORTHOLE_COOKIE_SECRET: 'bench-cookie-secret-bench-cookie-secret-0123',
    // Benchmarks open many sessions from one IP; the default (5 a minute) would refuse them.
    PORTHOLE_RATE_LIMIT_PER_MINUTE: '100000',
    ...extra,
  };
}

/** The CDN build the pages load: dist/cdn, or BENCH_CDN_DIR (e.g. a copy, to measure while dist is being rebuilt). */
export const CDN_DIR = path.resolve(process.env.BENCH_CDN_DIR || 'dist/cdn');

/** Why the browser benchmarks cannot run, or undefined when the CDN build is there. */
export function cdnMissing(): string | undefined {
  return fs.existsSync(path.join(CDN_DIR, 'porthole-chat.js')) ? undefined : `${path.relative(process.cwd(), CDN_DIR)} missing (run \`npm run build\`)`;
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

/** A companion on its own port; `stop()` frees it again. */
export async function startCompanion(mm: MattermostInfo, publicUrl = PROXY_URL) {
  await ensurePortFree(COMPANION_PORT, 'the companion');
  const config = loadConfig(companionEnv(mm, benchCompanionEnv({ PORTHOLE_MM_PUBLIC_URL: publicUrl })));
  const app = createCompanion(config, { logger: silentLogger });
  const server = http.createServer(getRequestListener(app.fetch) as http.RequestListener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(COMPANION_PORT, () => resolve());
  });
  return {
    stop: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

export interface Visitor {
  context: BrowserContext;
  page: Page;
  /** Session responses the page received from the companion. */
  sessions: { userId: string; channelId: string; token: string }[];
  errors: string[];
}

export interface BenchStack {
  mm: MattermostInfo;
  browser: Browser;
  proxy: TcpProxy;
  /** A new visitor: fresh browser context (no cookies, cache or storage), the probe installed. */
  visitor(): Promise<Visitor>;
  /** Registers a Mattermost user for deletion at close(). */
  track(userId: string): void;
  close(): Promise<void>;
}

const PROBE = path.resolve('bench/support/probe.js');

/** Starts the page server, the companion, the proxy and Chromium. Call close() in all cases. */
export async function startStack(): Promise<BenchStack> {
  const mm = await mattermost();
  const closers: (() => Promise<unknown>)[] = [];
  const users = new Set<string>();
  const contexts: Visitor[] = [];
  const close = async () => {
    for (const v of contexts) await v.context.close().catch(() => {});
    for (const c of closers.splice(0).reverse()) await c().catch(() => {});
    for (const id of users) await adminApi('DELETE', `/users/${id}?permanent=true`).catch(() => {});
    users.clear();
  };
  try {
    await ensurePortFree(PROXY_PORT, 'the TCP proxy in front of Mattermost');
    const proxy = new TcpProxy(PROXY_PORT, { host: '127.0.0.1', port: Number(new URL(mm.url).port) });
    await proxy.listen();
    closers.push(() => proxy.close());
    const companion = await startCompanion(mm);
    closers.push(() => companion.stop());
    const pages = await servePages();
    closers.push(() => pages.close());
    const browser = await launchChromium();
    closers.push(() => browser.close());
    return {
      mm,
      browser,
      proxy,
      track: (id) => users.add(id),
      async visitor() {
        const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
        await context.addInitScript({ path: PROBE });
        const page = await context.newPage();
        const v: Visitor = { context, page, sessions: [], errors: [] };
        page.on('pageerror', (e) => v.errors.push(String(e)));
        page.on('response', async (r) => {
          if (r.url() === TOKEN_URL && r.request().method() === 'POST' && r.ok()) {
            const body = await r.json().catch(() => null);
            if (body?.userId) {
              users.add(body.userId);
              v.sessions.push({ userId: body.userId, channelId: body.channelId, token: body.token });
            }
          }
        });
        contexts.push(v);
        return v;
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

/**
 * Mints a session for a new anonymous visitor from Node (as the page would, with its Origin),
 * returning the cookie to give a browser context so it comes back as that returning visitor.
 */
export async function mintVisitor(): Promise<{ userId: string; channelId: string; cookie: { name: string; value: string } }> {
  const res = await fetch(TOKEN_URL, { method: 'POST', headers: { Origin: PAGE_ORIGIN } });
  if (!res.ok) throw new Error(`POST ${TOKEN_URL} → ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { userId: string; channelId: string };
  const set = res.headers.getSetCookie().map((c) => c.split(';')[0]!).find((c) => c.startsWith('porthole_vid='));
  if (!set) throw new Error(`POST ${TOKEN_URL} set no porthole_vid cookie`);
  const i = set.indexOf('=');
  return { userId: body.userId, channelId: body.channelId, cookie: { name: set.slice(0, i), value: set.slice(i + 1) } };
}

/** Adds the visitor cookie to a context, as the companion set it (host-only, HttpOnly, Lax). */
export async function addVisitorCookie(context: BrowserContext, cookie: { name: string; value: string }) {
  await context.addCookies([{ ...cookie, domain: 'localhost', path: '/', httpOnly: true, sameSite: 'Lax' }]);
}

/** Posts `n` messages in a channel as an agent, `concurrency` at a time; returns them in index order. */
export async function seedPosts(mm: MattermostInfo, channelId: string, n: number, label: string, concurrency = 4): Promise<{ id: string; createAt: number }[]> {
  const agent = await agentClient(mm);
  const posts: { id: string; createAt: number }[] = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        const post = (await agent.createPost({ channel_id: channelId, message: `${label} ${i + 1} of ${n}: ${LOREM[i % LOREM.length]}` } as never)) as { id: string; create_at: number };
        posts[i] = { id: post.id, createAt: post.create_at };
      }
    }),
  );
  return posts;
}

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
  await v.page.waitForFunction(() => (document.querySelector('porthole-chat') as { connectionState?: string } | null)?.connectionState === 'online', null, { timeout });
  const deadline = Date.now() + timeout;
  while (!v.sessions.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  if (!v.sessions.length) throw new Error('no session response from the companion was seen');
  return v.sessions.at(-1)!;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The set-up of the live benchmarks: the stack, a new visitor with the widget open and online on
 * the test page, and an agent signed in with @mattermost/client. `defer` closes the stack.
 */
export async function openConversation(defer: (fn: () => unknown) => void) {
  const stack = await startStack();
  defer(() => stack.close());
  const v = await stack.visitor();
  await v.page.goto(PAGE_URL, { waitUntil: 'load' });
  const { channelId } = await openChat(v);
  const agent = await agentClient(stack.mm);
  return { stack, v, channelId, agent };
}
