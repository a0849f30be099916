// A page of one's own in gateway mode, for an end-to-end suite that runs beside the others: the
// real Mattermost, the companion from src/server on its own port (cross-origin, as on a real
// site), a page with `<porthole-chat>` pointed at it served with the CDN build, and Debian's
// Chromium. What stack.ts offers, without its proxy and without its fixed ports.
import { getRequestListener } from '@hono/node-server';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { companionEnv } from '../../../dev/companion-env.mjs';
import { createCompanion, loadConfig, silentLogger, type Companion } from '../../../src/server/index.ts';
import { mattermost, type MattermostInfo } from '../../support/mattermost.ts';
import { launchChromium } from './browser.ts';
import { eventually, GENERATED_DIR, gatewayThread, message, write, type HeldPost, type SessionIds } from './stack.ts';
import { serveStatic } from './static-server.ts';

export interface GatewayPageOptions {
  pagePort: number;
  companionPort: number;
  /** Names the temporary folder (`porthole-e2e-<name>-…`). */
  name: string;
  /** The companion's environment on top of gateway mode, the page's origin, its URL, a data folder and a loose rate limit: at least the suite's own PORTHOLE_COOKIE_SECRET and PORTHOLE_TOKEN_SECRET. */
  env?: Record<string, string>;
  /** More attributes for `<porthole-chat>`, as written in HTML (e.g. `report-pages`). */
  attributes?: string;
  /** The page's `<title>`. */
  title?: string;
  /** The page's `<h1>`. */
  heading?: string;
}

/** A visitor: a new browser context (no cookies, no storage) with the page open. */
export interface GatewayVisitor {
  context: BrowserContext;
  page: Page;
  /** Session responses the page received from the companion. */
  sessions: SessionIds[];
  /** Every request the page made to the companion: method and URL. */
  requests: string[];
}

export interface GatewayPage {
  mm: MattermostInfo;
  companion: Companion;
  browser: Browser;
  pageUrl: string;
  companionUrl: string;
  /** A temporary folder of the suite's own, removed by close(). */
  dir: string;
  /** When the suite started (a second early), for gatewayThread's `since`. */
  startedAt: number;
  visitor(options?: BrowserContextOptions): Promise<GatewayVisitor>;
  /** The visitor's conversation as Mattermost holds it, since the suite started. */
  thread(session: SessionIds): Promise<{ root?: string; posts: HeldPost[] }>;
  close(): Promise<void>;
}

export async function startGatewayPage(options: GatewayPageOptions): Promise<GatewayPage> {
  const { pagePort, companionPort, name, env = {}, attributes = '', title = 'Porthole e2e', heading = 'A shop' } = options;
  const startedAt = Date.now() - 1000;
  assert.ok(fs.existsSync('dist/cdn/porthole-chat.js'), 'dist/cdn/porthole-chat.js is missing: run the build first');
  const pageUrl = `http://localhost:${pagePort}/`;
  const companionUrl = `http://localhost:${companionPort}`;
  const tokenUrl = `${companionUrl}/v1/session`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `porthole-e2e-${name}-`));
  const contexts: BrowserContext[] = [];
  let server: http.Server | undefined;
  let companion: Companion | undefined;
  let pages: { close(): Promise<void> } | undefined;
  let browser: Browser | undefined;

  const close = async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await pages?.close();
    await companion?.stop();
    const s = server;
    if (s) await new Promise<void>((r) => (s.closeAllConnections(), s.close(() => r())));
    fs.rmSync(dir, { recursive: true, force: true });
    // Created by support/stack.ts when imported; unused here.
    fs.rmSync(GENERATED_DIR, { recursive: true, force: true });
  };

  try {
    const mm = await mattermost();
    fs.mkdirSync(path.join(dir, 'data'));
    const config = loadConfig(
      companionEnv(mm, {
        PORTHOLE_MODE: 'gateway',
        PORTHOLE_ALLOWED_ORIGINS: `http://localhost:${pagePort}`,
        PORTHOLE_PUBLIC_URL: companionUrl,
        PORTHOLE_DATA_DIR: path.join(dir, 'data'),
        PORTHOLE_RATE_LIMIT_PER_MINUTE: '1000',
        ...env,
      }),
    );
    const started = (companion = createCompanion(config, { logger: silentLogger }));
    await started.start();
    const listening = (server = http.createServer(getRequestListener(started.fetch) as http.RequestListener));
    listening.on('upgrade', (req, socket, head) => started.upgrade(req, socket, head) || socket.destroy());
    await new Promise<void>((resolve, reject) => listening.once('error', reject).listen(companionPort, () => resolve()));
    fs.mkdirSync(path.join(dir, 'page'));
    fs.writeFileSync(
      path.join(dir, 'page', 'index.html'),
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<script type="module" src="/cdn/porthole-chat.js"></script></head>
<body><main><h1>${heading}</h1></main>
<porthole-chat token-url="${tokenUrl}" title="Test shop"${attributes ? ` ${attributes}` : ''}></porthole-chat></body></html>`,
    );
    pages = await serveStatic(pagePort, { '/cdn/': path.resolve('dist/cdn'), '/': path.join(dir, 'page') });
    const chromium = (browser = await launchChromium());

    return {
      mm,
      companion: started,
      browser: chromium,
      pageUrl,
      companionUrl,
      dir,
      startedAt,
      thread: (session) => gatewayThread(mm, session, startedAt),
      async visitor(contextOptions) {
        const context = await chromium.newContext(contextOptions);
        contexts.push(context);
        const page = await context.newPage();
        const v: GatewayVisitor = { context, page, sessions: [], requests: [] };
        page.on('request', (r) => r.url().startsWith(companionUrl) && v.requests.push(`${r.method()} ${r.url()}`));
        page.on('response', async (r) => {
          if (r.url() === tokenUrl && r.request().method() === 'POST' && r.ok()) {
            const body = await r.json().catch(() => null);
            if (body?.userId) v.sessions.push({ userId: body.userId, channelId: body.channelId });
          }
        });
        await page.goto(pageUrl);
        return v;
      },
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}

/**
 * The suite's page: started before its tests, closed after them (after `beforeClose`, when given).
 * Use it inside a test or hook; before the suite's `before` it throws.
 */
export function useGatewayPage(options: GatewayPageOptions, hooks: { beforeClose?: () => Promise<unknown> } = {}): GatewayPage {
  let site: GatewayPage | undefined;
  before(async () => {
    site = await startGatewayPage(options);
  });
  after(async () => {
    await hooks.beforeClose?.();
    await site?.close();
  });
  const current = () => site ?? assert.fail(`the ${options.name} page is not started yet: use it inside a test`);
  return new Proxy({} as GatewayPage, { get: (_, key) => Reflect.get(current(), key) });
}

/** Types `text` in the composer, presses Enter and waits until the message is sent. */
export async function send(v: { page: Page }, text: string): Promise<void> {
  await write(v, text);
  await eventually(`"${text}" to be sent`, async () => (await message(v, text).getAttribute('data-state')) === 'sent', 15000);
}
