// End to end, gateway mode, store and forward: the visitor writes while the REAL Mattermost is
// stopped (the harness's kill()), sees "Saved — we'll answer here", Mattermost comes back (up()), and
// each message shows once on screen and is once in Mattermost. Debian's Chromium, the CDN build.
//
// It stops the SHARED Mattermost: run it only under the exclusive lock,
//   flock -x /tmp/mm.lock node --import tsx --test test/e2e/offline.test.ts
// Its own ports (8940 the page, 8941 the companion), so it runs beside the other suites.
import { getRequestListener } from '@hono/node-server';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { companionEnv } from '../../dev/companion-env.mjs';
import { kill, up } from '../../dev/mattermost/index.mjs';
import { createCompanion, loadConfig, silentLogger, type Companion } from '../../src/server/index.ts';
import { mattermost, type MattermostInfo } from '../support/mattermost.ts';
import { launchChromium } from './support/browser.ts';
import { eventually, GENERATED_DIR, gatewayThread, type SessionIds } from './support/stack.ts';
import { serveStatic } from './support/static-server.ts';

const PAGE_PORT = 8940;
const COMPANION_PORT = 8941;
const PAGE_URL = `http://localhost:${PAGE_PORT}/`;
const COMPANION_URL = `http://localhost:${COMPANION_PORT}`;
const T = { timeout: 180_000 };

let mm: MattermostInfo;
let companion: Companion;
let server: http.Server;
let pages: { close(): Promise<void> };
let browser: Browser;
const contexts: BrowserContext[] = [];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'porthole-e2e-offline-'));
const startedAt = Date.now() - 1000;

before(async () => {
  assert.ok(fs.existsSync('dist/cdn/porthole-chat.js'), 'dist/cdn/porthole-chat.js is missing: run the build first');
  mm = await mattermost();
  fs.mkdirSync(path.join(tmp, 'data'));
  const config = loadConfig(
    companionEnv(mm, {
      PORTHOLE_MODE: 'gateway',
      PORTHOLE_ALLOWED_ORIGINS: `http://localhost:${PAGE_PORT}`,
      PORTHOLE_COOKIE_SECRET: 'e2e-offline-cookie-secret-0123456789abcd',
      PORTHOLE_PUBLIC_URL: COMPANION_URL,
      PORTHOLE_TOKEN_SECRET: 'e2e-offline-token-secret-0123456789abcdef',
      PORTHOLE_DATA_DIR: path.join(tmp, 'data'),
      PORTHOLE_RATE_LIMIT_PER_MINUTE: '1000',
    }),
  );
  companion = createCompanion(config, { logger: silentLogger });
  await companion.start();
  server = http.createServer(getRequestListener(companion.fetch) as http.RequestListener);
  server.on('upgrade', (req, socket, head) => companion.upgrade(req, socket, head) || socket.destroy());
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(COMPANION_PORT, () => resolve()));
  fs.mkdirSync(path.join(tmp, 'page'));
  fs.writeFileSync(
    path.join(tmp, 'page', 'index.html'),
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Offline e2e</title>
<script type="module" src="/cdn/porthole-chat.js"></script></head>
<body><main><h1>A shop</h1></main>
<porthole-chat token-url="${COMPANION_URL}/v1/session" title="Test shop"></porthole-chat></body></html>`,
  );
  pages = await serveStatic(PAGE_PORT, { '/cdn/': path.resolve('dist/cdn'), '/': path.join(tmp, 'page') });
  browser = await launchChromium();
});

after(async () => {
  // Whatever happened, the shared Mattermost runs again for the other suites.
  await up({ log: () => {} }).catch((e: unknown) => console.error(`could not start Mattermost again: ${String(e)}`));
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await pages?.close();
  await companion?.stop();
  if (server) await new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r())));
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.rmSync(GENERATED_DIR, { recursive: true, force: true });
});

interface Visitor {
  page: Page;
  sessions: SessionIds[];
}

async function visitor(): Promise<Visitor> {
  const context = await browser.newContext();
  contexts.push(context);
  const page = await context.newPage();
  const v: Visitor = { page, sessions: [] };
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
const stateOf = (v: Visitor, text: string) => message(v, text).getAttribute('data-state');

async function write(v: Visitor, text: string) {
  const input = v.page.locator('[part~="input"]');
  await input.fill(text);
  await input.press('Enter');
}

test('written while Mattermost is down: "Saved — we’ll answer here", then once on screen and once in Mattermost', T, async () => {
  const v = await visitor();
  await v.page.locator('[part~="launcher"]').click();
  await v.page.locator('[part~="input"]').waitFor({ state: 'visible' });
  await eventually('a session', () => v.sessions.length > 0, 15000);
  const session = v.sessions.at(-1)!;
  const first = unique('Before the outage');
  await write(v, first);
  await eventually(`"${first}" to be sent`, async () => (await stateOf(v, first)) === 'sent', 15000);

  assert.equal(await kill(), true, 'the harness stopped Mattermost');
  let restarted = false;
  try {
    const offline = [unique('Written while it is down'), unique('And another one')];
    for (const text of offline) await write(v, text);
    for (const text of offline) {
      await eventually(`"${text}" to be saved`, async () => (await stateOf(v, text)) === 'queued', 15000);
      assert.match((await message(v, text).textContent()) ?? '', /Saved — we’ll answer here\./);
    }
    // The fallback is not the only path: the composer stays and the conversation shown stays.
    assert.equal(await v.page.locator('[part~="input"]').isEditable(), true);
    assert.equal(await message(v, first).count(), 1);

    await up({ log: () => {} });
    restarted = true;
    for (const text of offline) await eventually(`"${text}" to arrive`, async () => (await stateOf(v, text)) === 'sent', 90_000);
    await new Promise((r) => setTimeout(r, 2000)); // a late duplicate would have landed by now
    const { posts } = await gatewayThread(mm, session, startedAt);
    for (const text of [first, ...offline]) {
      assert.equal(posts.filter((p) => p.message === text).length, 1, `"${text}" is in Mattermost once`);
      assert.equal(await message(v, text).count(), 1, `"${text}" is shown once`);
    }
    const order = posts.map((p) => p.message).filter((m) => [first, ...offline].includes(m));
    assert.deepEqual(order, [first, ...offline], 'in the order written');
  } finally {
    if (!restarted) await up({ log: () => {} });
  }
});
