// End to end, gateway mode: the SPA life cycle against the real companion and the real Mattermost,
// in Debian's Chromium with the CDN build. A visitor writes, the single-page app navigates (the
// agents read "Visitor is on …" in the thread; the visitor never sees it), then the site signs out
// with shutdown(): no storage left, the companion's cookie gone, and the next chat is another
// Mattermost visitor with a thread of their own.
//
// Its own ports (8856 the page, 8857 the companion: cross-origin, as on a real site).
import { getRequestListener } from '@hono/node-server';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { companionEnv } from '../../dev/companion-env.mjs';
import { createCompanion, loadConfig, silentLogger, type Companion } from '../../src/server/index.ts';
import { mattermost, type MattermostInfo } from '../support/mattermost.ts';
import { launchChromium } from './support/browser.ts';
import { eventually, GENERATED_DIR, gatewayThread, type SessionIds } from './support/stack.ts';
import { serveStatic } from './support/static-server.ts';

const PAGE_PORT = 8856;
const COMPANION_PORT = 8857;
const PAGE_URL = `http://localhost:${PAGE_PORT}/`;
const COMPANION_URL = `http://localhost:${COMPANION_PORT}`;
const T = { timeout: 120_000 };

let mm: MattermostInfo;
let companion: Companion;
let server: http.Server;
let pages: { close(): Promise<void> };
let browser: Browser;
const contexts: BrowserContext[] = [];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'porthole-e2e-spa-'));
const startedAt = Date.now() - 1000;

before(async () => {
  assert.ok(fs.existsSync('dist/cdn/porthole-chat.js'), 'dist/cdn/porthole-chat.js is missing: run the build first');
  mm = await mattermost();
  const config = loadConfig(
    companionEnv(mm, {
      PORTHOLE_MODE: 'gateway',
      PORTHOLE_ALLOWED_ORIGINS: `http://localhost:${PAGE_PORT}`,
      PORTHOLE_COOKIE_SECRET: 'e2e-spa-cookie-secret-0123456789abcdefgh',
      PORTHOLE_PUBLIC_URL: COMPANION_URL,
      PORTHOLE_TOKEN_SECRET: 'e2e-spa-token-secret-0123456789abcdefghi',
      PORTHOLE_DATA_DIR: path.join(tmp, 'data'),
      PORTHOLE_RATE_LIMIT_PER_MINUTE: '1000',
    }),
  );
  fs.mkdirSync(path.join(tmp, 'data'));
  companion = createCompanion(config, { logger: silentLogger });
  await companion.start();
  server = http.createServer(getRequestListener(companion.fetch) as http.RequestListener);
  server.on('upgrade', (req, socket, head) => companion.upgrade(req, socket, head) || socket.destroy());
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(COMPANION_PORT, () => resolve()));
  fs.mkdirSync(path.join(tmp, 'page'));
  fs.writeFileSync(
    path.join(tmp, 'page', 'index.html'),
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>SPA home</title>
<script type="module" src="/cdn/porthole-chat.js"></script></head>
<body><main><h1>A single-page shop</h1></main>
<porthole-chat token-url="${COMPANION_URL}/v1/session" title="Test shop" report-pages></porthole-chat></body></html>`,
  );
  pages = await serveStatic(PAGE_PORT, { '/cdn/': path.resolve('dist/cdn'), '/': path.join(tmp, 'page') });
  browser = await launchChromium();
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await pages?.close();
  await companion?.stop();
  if (server) await new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r())));
  fs.rmSync(tmp, { recursive: true, force: true });
  // Created by support/stack.ts when imported; unused here.
  fs.rmSync(GENERATED_DIR, { recursive: true, force: true });
});

interface Visitor {
  context: BrowserContext;
  page: Page;
  sessions: SessionIds[];
  /** Every request the page made to the companion: method and URL (a token must never be in one). */
  requests: string[];
}

async function visitor(): Promise<Visitor> {
  const context = await browser.newContext();
  contexts.push(context);
  const page = await context.newPage();
  const v: Visitor = { context, page, sessions: [], requests: [] };
  page.on('request', (r) => r.url().startsWith(COMPANION_URL) && v.requests.push(`${r.method()} ${r.url()}`));
  page.on('response', async (r) => {
    if (r.url() === `${COMPANION_URL}/v1/session` && r.request().method() === 'POST' && r.ok()) {
      const body = await r.json().catch(() => null);
      if (body?.userId) v.sessions.push({ userId: body.userId, channelId: body.channelId });
    }
  });
  await page.goto(PAGE_URL);
  return v;
}

const unique = (label: string) => `${label} ${Math.random().toString(36).slice(2, 8)}`;
const message = (v: Visitor, text: string) => v.page.locator('[part~="message"]', { hasText: text });

async function send(v: Visitor, text: string): Promise<void> {
  const input = v.page.locator('[part~="input"]');
  await input.fill(text);
  await input.press('Enter');
  await eventually(`"${text}" to be sent`, async () => (await message(v, text).getAttribute('data-state')) === 'sent', 15000);
}

test('page reports reach the thread only; shutdown() forgets the visitor and the next chat is another one', T, async () => {
  const v = await visitor();
  await v.page.locator('[part~="launcher"]').click();
  await v.page.locator('[part~="input"]').waitFor({ state: 'visible' });
  await eventually('a session from the companion', () => v.sessions.length > 0, 15000);
  const first = v.sessions[0]!;
  const text = unique('Where is my parcel');
  await send(v, text);

  // The SPA navigates: pushState + popstate (a router's back/forward), then update({ page }).
  await v.page.evaluate(() => {
    history.pushState({}, '', '/orders/42?secret=1');
    document.title = 'Order 42';
    dispatchEvent(new PopStateEvent('popstate'));
  });
  const thread = await eventually(
    'the page report in the thread',
    async () => {
      const t = await gatewayThread(mm, first, startedAt);
      return t.posts.some((p) => p.props?.porthole_page) ? t : undefined;
    },
    15000,
  );
  const note = thread.posts.find((p) => p.props?.porthole_page)!;
  assert.equal(note.message, `:compass: Visitor is on **Order 42** — http://localhost:${PAGE_PORT}/orders/42`, 'no query by default');
  await v.page.evaluate(() =>
    document.querySelector('porthole-chat')!.update({ page: { title: 'Checkout', url: location.origin + '/checkout' } }),
  );
  await eventually(
    'the second page report',
    async () => (await gatewayThread(mm, first, startedAt)).posts.filter((p) => p.props?.porthole_page).length === 2,
    15000,
  );
  // The visitor sees their message only, also after a reload (history from the companion).
  await v.page.evaluate(() => history.replaceState({}, '', '/'));
  await v.page.reload();
  await v.page.locator('[part~="launcher"]').click();
  await message(v, text).waitFor();
  assert.equal(await v.page.locator('[part~="message"]', { hasText: 'Visitor is on' }).count(), 0);
  assert.equal(await v.page.locator('[part~="message"]').count(), 1);
  await v.page.evaluate(() => localStorage.setItem('porthole:e2e-marker', '1'));
  assert.equal((await v.context.cookies(COMPANION_URL)).filter((c) => c.name === 'porthole_vid').length, 1, 'the cookie is set');

  // The site signs out.
  await v.page.evaluate(() => document.querySelector('porthole-chat')!.shutdown());
  assert.deepEqual(await v.page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('porthole:'))), []);
  assert.deepEqual(
    (await v.context.cookies(COMPANION_URL)).filter((c) => c.name === 'porthole_vid'),
    [],
    'the visitor cookie is gone',
  );
  assert.ok(v.requests.includes(`DELETE ${COMPANION_URL}/v1/session/cookie`), v.requests.join('\n'));
  assert.ok(!v.requests.some((r) => /pt1\./.test(r)), 'never a token in a URL');
  assert.equal(await v.page.evaluate(() => document.querySelector('porthole-chat')!.isOpen), false);

  // The next chat: a new visitor, with a thread of their own; the first conversation is not shown.
  const sessionsBefore = v.sessions.length;
  await v.page.locator('[part~="launcher"]').click();
  await eventually('a new session', () => v.sessions.length > sessionsBefore, 15000);
  const next = v.sessions.at(-1)!;
  assert.notEqual(next.userId, first.userId, 'another visitor');
  assert.notEqual(next.channelId, first.channelId, 'another conversation');
  assert.equal(await message(v, text).count(), 0);
  const again = unique('A new question');
  await send(v, again);
  const nextThread = await eventually('the new thread', async () => {
    const t = await gatewayThread(mm, next, startedAt);
    return t.root && t.posts.some((p) => p.message === again) ? t : undefined;
  });
  assert.notEqual(nextThread.root, thread.root);
});
