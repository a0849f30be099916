// What an end-to-end test runs against: the real Mattermost (through a TCP proxy the test can
// cut), the companion from src/server, and a page serving the CDN build — plus Debian's Chromium.
import { getRequestListener } from '@hono/node-server';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { companionEnv } from '../../../dev/companion-env.mjs';
import { createCompanion, loadConfig, silentLogger } from '../../../src/server/index.ts';
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

/** The companion on its own port, which a test can stop (to simulate an outage) and start again. */
class CompanionServer {
  #server: http.Server | undefined;
  constructor(private readonly listener: http.RequestListener) {}
  start(): Promise<void> {
    this.#server = http.createServer(this.listener);
    return new Promise((resolve, reject) => {
      this.#server!.once('error', reject);
      this.#server!.listen(COMPANION_PORT, () => resolve());
    });
  }
  stop(): Promise<void> {
    const s = this.#server;
    this.#server = undefined;
    if (!s) return Promise.resolve();
    return new Promise((r) => (s.closeAllConnections(), s.close(() => r())));
  }
}

export interface Stack {
  mm: MattermostInfo;
  browser: Browser;
  proxy: TcpProxy;
  companion: CompanionServer;
  /** A fresh visitor: a new browser context (no cookies, no storage) with the test page open. */
  visitor(): Promise<Visitor>;
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

export async function startStack(): Promise<Stack> {
  const mm = await mattermost();
  const proxy = new TcpProxy(PROXY_PORT, { host: '127.0.0.1', port: Number(new URL(mm.url).port) });
  await proxy.listen();
  const config = loadConfig(
    companionEnv(mm, {
      PORTHOLE_MM_PUBLIC_URL: `http://127.0.0.1:${PROXY_PORT}`,
      PORTHOLE_ALLOWED_ORIGINS: `http://localhost:${PAGE_PORT}`,
      PORTHOLE_COOKIE_SECRET: 'e2e-cookie-secret-e2e-cookie-secret-0123',
      PORTHOLE_RATE_LIMIT_PER_MINUTE: '1000',
    }),
  );
  const app = createCompanion(config, { logger: silentLogger });
  const companion = new CompanionServer(getRequestListener(app.fetch) as http.RequestListener);
  await companion.start();
  const pages = await serveStatic(PAGE_PORT, {
    '/cdn/': path.resolve('dist/cdn'),
    '/gen/': GENERATED_DIR,
    '/': path.resolve('test/e2e/fixtures'),
  });
  const browser = await launchChromium();
  const contexts: Visitor[] = [];

  return {
    mm,
    browser,
    proxy,
    companion,
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
      // Every visitor and conversation a test created is permanently deleted, so runs leave nothing
      // behind and never approach the unlicensed server's user limit.
      const sessions = contexts.flatMap((v) => v.sessions);
      for (const id of new Set(sessions.map((s) => s.channelId))) await adminApi('DELETE', `/channels/${id}?permanent=true`).catch(() => {});
      for (const id of new Set(sessions.map((s) => s.userId))) await adminApi('DELETE', `/users/${id}?permanent=true`).catch(() => {});
    },
  };
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
  return list.order.map((id: string) => list.posts[id]).filter((p: any) => !p.type).reverse();
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
