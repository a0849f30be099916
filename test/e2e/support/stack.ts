// What an end-to-end test runs against: the real Mattermost, the companion from src/server in
// either mode, a TCP proxy the test can cut between the browser and the server the widget talks
// to (Mattermost in direct mode, the companion in gateway mode), and a page serving the CDN
// build — plus Debian's Chromium.
import { getRequestListener } from '@hono/node-server';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { companionEnv } from '../../../dev/companion-env.mjs';
import { createCompanion, loadConfig, silentLogger, type Companion } from '../../../src/server/index.ts';
import { adminApi, mattermost, type MattermostInfo } from '../../support/mattermost.ts';
import { launchChromium } from './browser.ts';
import { serveStatic } from './static-server.ts';
import { TcpProxy } from './tcp-proxy.ts';

export const PAGE_PORT = 8090;
export const COMPANION_PORT = 8791;
export const PROXY_PORT = 18065;
export const PAGE_URL = `http://localhost:${PAGE_PORT}/`;
export const TOKEN_URL = `http://localhost:${COMPANION_PORT}/v1/session`;
/** Pages a test writes at run time, served under /gen/. */
export const GENERATED_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'porthole-e2e-'));

export type Mode = 'direct' | 'gateway';

/**
 * The companion on its own port, which a test can stop (an outage, or the first half of a
 * restart) and start again. Each start is a new companion from the same configuration — in
 * gateway mode over the same store on disk — as a restarted process would be.
 */
class CompanionServer {
  #server: http.Server | undefined;
  #companion: Companion | undefined;
  constructor(private readonly make: () => Companion) {}
  async start(): Promise<void> {
    const companion = (this.#companion = this.make());
    await companion.start();
    const server = (this.#server = http.createServer(getRequestListener(companion.fetch) as http.RequestListener));
    server.on('upgrade', (req, socket, head) => companion.upgrade(req, socket, head) || socket.destroy());
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(COMPANION_PORT, () => resolve());
    });
  }
  async stop(): Promise<void> {
    const server = this.#server;
    const companion = this.#companion;
    this.#server = this.#companion = undefined;
    await companion?.stop();
    if (server) await new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r())));
  }
}

/** A visitor's conversation as a test sees it: the session's ids (opaque in gateway mode). */
export interface SessionIds {
  userId: string;
  channelId: string;
}

/** A post of the conversation as Mattermost holds it. */
export interface HeldPost {
  id: string;
  message: string;
  user_id: string;
  props?: any;
}

export interface Stack {
  mode: Mode;
  mm: MattermostInfo;
  browser: Browser;
  proxy: TcpProxy;
  companion: CompanionServer;
  /** A fresh visitor: a new browser context (no cookies, no storage) with the test page open. */
  visitor(): Promise<Visitor>;
  /** The visitor's messages and the agents' answers, oldest first, as Mattermost holds them (no system posts, no root announcement). */
  posts(session: SessionIds): Promise<HeldPost[]>;
  /** Whether a post is one the visitor wrote (direct: by the visitor's user; gateway: by the bot for this visitor). */
  isVisitors(post: HeldPost, session: SessionIds): boolean;
  /** An agent answers in the conversation with @mattermost/client, as from any Mattermost app. */
  answer(session: SessionIds, text: string, agentIndex?: number): Promise<void>;
  close(): Promise<void>;
}

export interface Visitor {
  context: BrowserContext;
  page: Page;
  /** Session responses the page received from the companion (user and channel ids). */
  sessions: { userId: string; channelId: string }[];
  consoleErrors: string[];
  requests: string[];
}

const PROXY_URL = `http://127.0.0.1:${PROXY_PORT}`;

/** The companion's environment for `mode`: the widget reaches its server through the proxy. */
function e2eEnv(mm: MattermostInfo, mode: Mode, dataDir: string) {
  const common = {
    PORTHOLE_MODE: mode,
    PORTHOLE_ALLOWED_ORIGINS: `http://localhost:${PAGE_PORT}`,
    PORTHOLE_COOKIE_SECRET: 'e2e-cookie-secret-e2e-cookie-secret-0123',
    PORTHOLE_RATE_LIMIT_PER_MINUTE: '1000',
  };
  return mode === 'direct'
    ? companionEnv(mm, { ...common, PORTHOLE_MM_PUBLIC_URL: PROXY_URL })
    : companionEnv(mm, {
        ...common,
        PORTHOLE_PUBLIC_URL: PROXY_URL,
        PORTHOLE_TOKEN_SECRET: 'e2e-token-secret-e2e-token-secret-0123456',
        PORTHOLE_DATA_DIR: dataDir,
        PORTHOLE_MESSAGES_PER_MINUTE: '1000',
        PORTHOLE_ADDRESS_SENDS_PER_MINUTE: '100000',
      });
}

/**
 * A gateway conversation as Mattermost holds it: every post the support channel got since `since`
 * (so no page limit hides one), its root (exactly one, or it throws) and its other posts.
 */
export async function gatewayThread(mm: MattermostInfo, session: SessionIds, since: number): Promise<{ root?: string; posts: HeldPost[] }> {
  const list = await adminApi('GET', `/channels/${mm.inboxChannelId}/posts?since=${since}`);
  const all = Object.values<any>(list.posts).filter((p) => !p.type && !p.delete_at);
  const roots = all.filter((p) => !p.root_id && p.props?.porthole_conversation === session.channelId);
  if (roots.length > 1)
    throw new Error(`conversation ${session.channelId} has ${roots.length} threads in the support channel, expected one`);
  const root = roots[0]?.id;
  const posts = all
    .filter((p) => (root && p.root_id === root) || (p.id !== root && p.props?.porthole_visitor === session.userId))
    .sort((a, b) => a.create_at - b.create_at);
  return { root, posts };
}

export async function startStack(mode: Mode = 'gateway'): Promise<Stack> {
  const startedAt = Date.now();
  const mm = await mattermost();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'porthole-e2e-data-'));
  const config = loadConfig(e2eEnv(mm, mode, dataDir));
  const companion = new CompanionServer(() => createCompanion(config, { logger: silentLogger }));
  await companion.start();
  const upstream = mode === 'direct' ? Number(new URL(mm.url).port) : COMPANION_PORT;
  const proxy = new TcpProxy(PROXY_PORT, { host: '127.0.0.1', port: upstream });
  await proxy.listen();
  const since = startedAt - 1000;
  const rootOf = async (session: SessionIds) => {
    const { root } = await gatewayThread(mm, session, since);
    if (!root) throw new Error(`no thread in the support channel for conversation ${session.channelId} yet`);
    return root;
  };
  const pages = await serveStatic(PAGE_PORT, {
    '/cdn/': path.resolve('dist/cdn'),
    '/gen/': GENERATED_DIR,
    '/': path.resolve('test/e2e/fixtures'),
  });
  const browser = await launchChromium();
  const contexts: Visitor[] = [];

  return {
    mode,
    mm,
    browser,
    proxy,
    companion,
    async posts(session) {
      if (mode === 'direct') return channelPosts(session.channelId);
      return (await gatewayThread(mm, session, since)).posts;
    },
    isVisitors(post, session) {
      return mode === 'direct'
        ? post.user_id === session.userId
        : post.props?.porthole_visitor === session.userId && post.props?.from_webhook === 'true';
    },
    async answer(session, text, agentIndex = 0) {
      const agent = await agentClient(mm, agentIndex);
      if (mode === 'direct') await agent.createPost({ channel_id: session.channelId, message: text } as any);
      else await agent.createPost({ channel_id: mm.inboxChannelId, root_id: await rootOf(session), message: text } as any);
    },
    async visitor() {
      const context = await browser.newContext();
      const page = await context.newPage();
      const v: Visitor = { context, page, sessions: [], consoleErrors: [], requests: [] };
      page.on('console', (m) => m.type() === 'error' && v.consoleErrors.push(m.text()));
      page.on('request', (r) => v.requests.push(r.url()));
      page.on('response', async (r) => {
        if (r.url() === TOKEN_URL && r.request().method() === 'POST' && r.ok()) {
          const body = await r.json().catch(() => null);
          if (body?.userId) v.sessions.push({ userId: body.userId, channelId: body.channelId });
        }
      });
      await page.goto(PAGE_URL);
      contexts.push(v);
      return v;
    },
    async close() {
      for (const v of contexts) await v.context.close().catch(() => {});
      await browser.close();
      await pages.close();
      await companion.stop();
      await proxy.close();
      fs.rmSync(GENERATED_DIR, { recursive: true, force: true });
      fs.rmSync(dataDir, { recursive: true, force: true });
      if (mode === 'gateway') return; // no user or channel per visitor: the threads stay in the support channel
      // Every visitor and conversation a test created is permanently deleted, so runs leave nothing
      // behind and never approach the unlicensed server's user limit.
      const sessions = contexts.flatMap((v) => v.sessions);
      for (const id of new Set(sessions.map((s) => s.channelId)))
        await adminApi('DELETE', `/channels/${id}?permanent=true`).catch(() => {});
      for (const id of new Set(sessions.map((s) => s.userId))) await adminApi('DELETE', `/users/${id}?permanent=true`).catch(() => {});
    },
  };
}

/**
 * The suite's stack: started before its tests, closed after them. Use it inside a test or hook;
 * before the suite's `before` it throws.
 */
export function useStack(mode: Mode = 'gateway'): Stack {
  let stack: Stack | undefined;
  before(async () => {
    stack = await startStack(mode);
  });
  after(async () => {
    await stack?.close();
  });
  const current = () => stack ?? assert.fail(`the ${mode} stack is not started yet: use it inside a test`);
  return new Proxy({} as Stack, { get: (_, key) => Reflect.get(current(), key) });
}

/** Posts in a visitor's channel as an agent, through @mattermost/client (the agents' own client). */
export async function agentClient(mm: MattermostInfo, index = 0) {
  // CommonJS: depending on the loader the class sits on the namespace or on its `default`.
  const m: any = await import('@mattermost/client');
  const Client4: typeof import('@mattermost/client').Client4 = m.Client4 ?? m.default?.Client4 ?? m.default?.default?.Client4;
  const client = new Client4();
  client.setUrl(mm.url);
  await client.login(mm.agents[index].username, mm.agents[index].password);
  return client;
}

/** All posts of a channel, oldest first (admin view), for assertions on what Mattermost holds. */
export async function channelPosts(channelId: string): Promise<{ id: string; message: string; user_id: string; props?: any }[]> {
  const list = await adminApi('GET', `/channels/${channelId}/posts?per_page=200`);
  return list.order
    .map((id: string) => list.posts[id])
    .filter((p: any) => !p.type)
    .reverse();
}

/** Waits until `fn` returns a truthy value (polling), or fails with `what` after `timeoutMs`. */
export async function eventually<T>(what: string, fn: () => Promise<T> | T, timeoutMs = 10000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last}` : ''}`);
}

/** A text of its own for each run, so a search of the thread finds this run's post only. */
export const unique = (label: string) => `${label} ${Math.random().toString(36).slice(2, 8)}`;

/** The visitor's view of a message with `text`. */
export const message = (v: { page: Page }, text: string) => v.page.locator('[part~="message"]', { hasText: text });

/** The widget's `connectionState` on the visitor's page. */
export const connectionState = (v: { page: Page }) =>
  v.page.evaluate(() => (document.querySelector('porthole-chat') as any)?.connectionState);

/** Opens the chat from the launcher and waits until it is online; the visitor's session. */
export async function openOnline(v: Visitor): Promise<SessionIds> {
  await v.page.locator('[part~="launcher"]').click();
  await v.page.locator('[part~="input"]').waitFor({ state: 'visible' });
  await eventually('the connection to be online', async () => (await connectionState(v)) === 'online', 15000);
  return v.sessions.at(-1)!;
}

/** Types `text` in the composer and presses Enter. */
export async function write(v: { page: Page }, text: string) {
  await v.page.locator('[part~="input"]').fill(text);
  await v.page.locator('[part~="input"]').press('Enter');
}

/** Every text is in Mattermost's thread exactly once and shown exactly once. */
export async function assertOnce(stack: Stack, v: Visitor, session: SessionIds, texts: string[]) {
  await new Promise((r) => setTimeout(r, 1500)); // a late duplicate would have landed by now
  const posts = await stack.posts(session);
  for (const text of texts) {
    assert.equal(posts.filter((p) => p.message === text).length, 1, `"${text}" is in Mattermost once`);
    assert.equal(await message(v, text).count(), 1, `"${text}" is shown once`);
  }
}
