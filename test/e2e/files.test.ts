// Files both ways, end to end in gateway mode: the real Mattermost, the companion from src/server,
// the CDN build on a page served with a strict CSP (img-src blob:, as docs/cdn.md says), and
// Debian's Chromium. Own ports (8911 companion, 8913 page) so it runs beside the other suites.
// Run under the shared lock: flock -s /tmp/mm.lock node --import tsx --test test/e2e/files.test.ts
import { getRequestListener } from '@hono/node-server';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import zlib from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { companionEnv } from '../../dev/companion-env.mjs';
import { createCompanion, loadConfig, silentLogger, type Companion } from '../../src/server/index.ts';
import { adminApi, mattermost, type MattermostInfo } from '../support/mattermost.ts';
import { launchChromium } from './support/browser.ts';
import { agentClient, eventually, gatewayThread } from './support/stack.ts';
import { serveStatic } from './support/static-server.ts';

const COMPANION = 8911;
const PAGE = 8913;
const T = { timeout: 90_000 };

/** A real PNG of `w`×`h` grey pixels (what Mattermost reads the size of). */
function png(w: number, h: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  const rows = Buffer.concat(Array.from({ length: h }, () => Buffer.concat([Buffer.from([0]), Buffer.alloc(w, 0x80)])));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** The console and network errors about files (others' features report their own). */
const mine = (errors: string[]) => errors.filter((e) => /\/v1\/files|Content Security Policy|Refused to/.test(e));

let mm: MattermostInfo;
let companion: Companion;
let server: http.Server;
let pages: { close(): Promise<void> } | undefined;
let browser: Browser;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'porthole-files-e2e-'));
const startedAt = Date.now() - 1000;

before(async () => {
  mm = await mattermost();
  const config = loadConfig(
    companionEnv(mm, {
      PORTHOLE_MODE: 'gateway',
      PORTHOLE_ALLOWED_ORIGINS: `http://localhost:${PAGE}`,
      PORTHOLE_PUBLIC_URL: `http://localhost:${COMPANION}`,
      PORTHOLE_COOKIE_SECRET: 'e2e-cookie-secret-e2e-cookie-secret-0123',
      PORTHOLE_TOKEN_SECRET: 'e2e-token-secret-e2e-token-secret-0123456',
      PORTHOLE_DATA_DIR: dataDir,
      PORTHOLE_RATE_LIMIT_PER_MINUTE: '1000',
      PORTHOLE_MESSAGES_PER_MINUTE: '1000',
      PORTHOLE_ADDRESS_SENDS_PER_MINUTE: '100000',
    }),
  );
  companion = createCompanion(config, { logger: silentLogger });
  await companion.start();
  server = http.createServer(getRequestListener(companion.fetch) as http.RequestListener);
  server.on('upgrade', (req, socket, head) => companion.upgrade(req, socket, head) || socket.destroy());
  await new Promise<void>((r) => server.listen(COMPANION, r));
  fs.writeFileSync(
    path.join(dataDir, 'index.html'),
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Files</title>
<script type="module" src="/cdn/porthole-chat.js"></script></head>
<body><porthole-chat token-url="http://localhost:${COMPANION}/v1/session"></porthole-chat></body></html>`,
  );
  // The CSP docs/cdn.md gives for gateway mode: scripts from the page's origin, the companion for
  // REST and the socket, and blob: images for the previews. No 'unsafe-inline' anywhere.
  const csp = [
    "default-src 'self'",
    "img-src 'self' blob:",
    `connect-src http://localhost:${COMPANION} ws://localhost:${COMPANION}`,
    "style-src 'self'",
  ].join('; ');
  pages = await serveStatic(PAGE, { '/cdn/': path.resolve('dist/cdn'), '/': dataDir }, { 'Content-Security-Policy': csp });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await pages?.close();
  await companion?.stop();
  if (server) await new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r())));
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** A fresh visitor with the chat open; resolves with the page, the session ids and the console errors. */
async function visitor(): Promise<{ page: Page; session: { userId: string; channelId: string }; errors: string[] }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors: string[] = [];
  const sessions: { userId: string; channelId: string }[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('requestfailed', (r) => errors.push(`failed ${r.method()} ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', async (r) => {
    if (!r.ok() && !r.url().endsWith('favicon.ico'))
      errors.push(`${r.request().method()} ${r.url()} ${r.status()} ${await r.text().catch(() => '')}`);
    if (r.url().endsWith('/v1/session') && r.request().method() === 'POST' && r.ok()) {
      const body = await r.json().catch(() => null);
      if (body?.userId) sessions.push(body);
    }
  });
  await page.goto(`http://localhost:${PAGE}/`);
  await page.locator('[part~="launcher"]').click();
  await page.locator('[part~="input"]').waitFor({ state: 'visible' });
  await eventually('a session', () => sessions.length > 0, 15000);
  await page.locator('[part~="attach"]').waitFor({ state: 'visible', timeout: 15000 });
  return { page, session: sessions[0], errors };
}

test('the visitor attaches a PNG with the paperclip: the post in Mattermost has it', T, async () => {
  const { page, session, errors } = await visitor();
  const bytes = png(40, 30);
  const chooser = page.waitForEvent('filechooser');
  await page.locator('[part~="attach"]').click();
  await (await chooser).setFiles({ name: 'photo <img src=x onerror=alert(1)>.png', mimeType: 'image/png', buffer: bytes });
  await page
    .locator('[part~="attachment"][data-state="done"]')
    .waitFor({ timeout: 20000 })
    .catch(async (e) => {
      throw new Error(
        `${e}; tray: ${await page
          .locator('[part~="attachments"]')
          .evaluate((e) => e.outerHTML)
          .catch(() => '?')}; console: ${errors.join(' | ')}`,
      );
    });
  await page.locator('[part~="input"]').fill('here is the photo');
  await page.locator('[part~="input"]').press('Enter');
  const post = await eventually(
    'the visitor post with the file in the thread',
    async () =>
      (await gatewayThread(mm, session, startedAt)).posts.find((p: any) => p.message === 'here is the photo' && p.file_ids?.length),
    20000,
  );
  const info = await adminApi('GET', `/files/${(post as any).file_ids[0]}/info`);
  assert.equal(info.name, 'photo <img src=x onerror=alert(1)>.png');
  assert.equal(info.size, bytes.length);
  assert.equal(info.mime_type, 'image/png');
  // The widget shows its own file back as a preview, fetched through the companion.
  const img = page.locator('[part~="file-preview"]');
  await eventually('the preview loaded', () => img.evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth === 40), 15000).catch(
    async (e) => {
      throw new Error(`${e}; ${await img.evaluate((i) => i.outerHTML).catch(() => 'no img')}; ${errors.join(' | ')}`);
    },
  );
  assert.match((await img.getAttribute('src')) ?? '', /^blob:/);
  assert.equal(await img.getAttribute('alt'), 'photo <img src=x onerror=alert(1)>.png');
  assert.deepEqual(mine(errors), []);
});

test('a file refused early says why, and nothing reaches the companion', T, async () => {
  const { page } = await visitor();
  const uploads: string[] = [];
  page.on('request', (r) => r.url().includes('/v1/files') && uploads.push(r.url()));
  const chooser = page.waitForEvent('filechooser');
  await page.locator('[part~="attach"]').click();
  await (
    await chooser
  ).setFiles({ name: 'drawing.svg', mimeType: 'image/svg+xml', buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>') });
  const error = page.locator('[part~="upload-error"]');
  await error.waitFor();
  assert.match(await error.innerText(), /^drawing\.svg: this type can't be sent \(allowed: images, PDF, text\)$/);
  assert.equal(await page.locator('[part~="retry-upload"]').count(), 0);
  assert.deepEqual(uploads, []);
});

test("an agent's image and PDF in the thread show as a sized preview and a download link", T, async () => {
  const { page, session, errors } = await visitor();
  await page.locator('[part~="input"]').fill('hello, any docs?');
  await page.locator('[part~="input"]').press('Enter');
  const root = await eventually('the thread', async () => (await gatewayThread(mm, session, startedAt)).root, 20000);
  const agent = await agentClient(mm);
  const upload = async (name: string, type: string, body: Buffer) => {
    const res = await fetch(`${mm.url}/api/v4/files?channel_id=${mm.inboxChannelId}&filename=${encodeURIComponent(name)}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${agent.getToken()}`, 'Content-Type': type },
      body: new Uint8Array(body),
    });
    assert.equal(res.status, 201, await res.clone().text());
    return ((await res.json()) as { file_infos: { id: string }[] }).file_infos[0].id;
  };
  const pdf = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');
  const ids = [await upload('chart.png', 'image/png', png(64, 32)), await upload('invoice.pdf', 'application/pdf', pdf)];
  await agent.createPost({ channel_id: mm.inboxChannelId, root_id: root, message: 'Here you are', file_ids: ids } as any);
  const message = page.locator('[part~="message"]', { hasText: 'Here you are' });
  await message.waitFor({ timeout: 20000 });
  const img = message.locator('[part~="file-preview"]');
  await eventually('the preview loaded', () => img.evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth > 0), 15000);
  assert.match((await img.getAttribute('src')) ?? '', /^blob:/);
  assert.deepEqual(await img.evaluate((i: HTMLImageElement) => [i.naturalWidth, i.naturalHeight]), [64, 32]);
  // The box was sized from Mattermost's width/height: 64×32 as sent.
  const box = await img.evaluate((i) => i.parentElement!.getBoundingClientRect().toJSON());
  assert.deepEqual([Math.round(box.width), Math.round(box.height)], [64, 32]);
  const link = message.locator('[part~="file-link"]');
  assert.equal((await link.innerText()).replace(/\s+/g, ' ').trim(), `invoice.pdf ${pdf.length} B`);
  assert.equal(await link.getAttribute('download'), 'invoice.pdf');
  const download = page.waitForEvent('download');
  await link.click();
  const d = await download;
  assert.equal(d.suggestedFilename(), 'invoice.pdf');
  assert.deepEqual(fs.readFileSync((await d.path())!), pdf);
  assert.deepEqual(mine(errors), []);
});

describe('direct mode (the widget talks to Mattermost with the visitor token)', () => {
  const DIRECT_COMPANION = 8914;
  const DIRECT_PAGE = 8910; // the harness's Mattermost allows CORS from http://localhost:8910
  let direct: Companion;
  let directServer: http.Server;
  let directPages: { close(): Promise<void> } | undefined;
  const directDir = fs.mkdtempSync(path.join(os.tmpdir(), 'porthole-files-direct-'));
  const sessions: { userId: string; channelId: string }[] = [];

  before(async () => {
    mm ??= await mattermost();
    direct = createCompanion(
      loadConfig(
        companionEnv(mm, {
          PORTHOLE_MODE: 'direct',
          PORTHOLE_ALLOWED_ORIGINS: `http://localhost:${DIRECT_PAGE}`,
          PORTHOLE_MM_PUBLIC_URL: mm.url,
          PORTHOLE_COOKIE_SECRET: 'e2e-cookie-secret-e2e-cookie-secret-0123',
          PORTHOLE_RATE_LIMIT_PER_MINUTE: '1000',
        }),
      ),
      { logger: silentLogger },
    );
    await direct.start();
    directServer = http.createServer(getRequestListener(direct.fetch) as http.RequestListener);
    await new Promise<void>((r) => directServer.listen(DIRECT_COMPANION, r));
    fs.writeFileSync(
      path.join(directDir, 'index.html'),
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Files (direct)</title>
<script type="module" src="/cdn/porthole-chat.js"></script></head>
<body><porthole-chat token-url="http://localhost:${DIRECT_COMPANION}/v1/session"></porthole-chat></body></html>`,
    );
    const ws = mm.url.replace(/^http/, 'ws');
    const csp = [
      "default-src 'self'",
      "img-src 'self' blob:",
      `connect-src http://localhost:${DIRECT_COMPANION} ${mm.url} ${ws}`,
      "style-src 'self'",
    ].join('; ');
    directPages = await serveStatic(DIRECT_PAGE, { '/cdn/': path.resolve('dist/cdn'), '/': directDir }, { 'Content-Security-Policy': csp });
  });

  after(async () => {
    await directPages?.close();
    await direct?.stop();
    if (directServer) await new Promise<void>((r) => (directServer.closeAllConnections(), directServer.close(() => r())));
    fs.rmSync(directDir, { recursive: true, force: true });
    for (const s of sessions) {
      await adminApi('DELETE', `/channels/${s.channelId}?permanent=true`).catch(() => {});
      await adminApi('DELETE', `/users/${s.userId}?permanent=true`).catch(() => {});
    }
  });

  test('attach a PNG → the post has it; an agent image and PDF → a preview and a download link', T, async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('response', async (r) => {
      if (!r.ok() && !r.url().endsWith('favicon.ico')) errors.push(`${r.request().method()} ${r.url()} ${r.status()}`);
      if (r.url().endsWith('/v1/session') && r.request().method() === 'POST' && r.ok()) {
        const body = await r.json().catch(() => null);
        if (body?.userId) sessions.push(body);
      }
    });
    await page.goto(`http://localhost:${DIRECT_PAGE}/`);
    await page.locator('[part~="launcher"]').click();
    await eventually('a session', () => sessions.length > 0, 15000);
    const session = sessions.at(-1)!;
    await page.locator('[part~="attach"]').waitFor({ state: 'visible', timeout: 15000 });
    const bytes = png(20, 10);
    const chooser = page.waitForEvent('filechooser');
    await page.locator('[part~="attach"]').click();
    await (await chooser).setFiles({ name: 'direct.png', mimeType: 'image/png', buffer: bytes });
    await page
      .locator('[part~="attachment"][data-state="done"]')
      .waitFor({ timeout: 20000 })
      .catch(async (e) => {
        throw new Error(
          `${e}; ${await page
            .locator('[part~="attachments"]')
            .innerText()
            .catch(() => '?')}; ${errors.join(' | ')}`,
        );
      });
    await page.locator('[part~="input"]').fill('direct photo');
    await page.locator('[part~="input"]').press('Enter');
    const post = await eventually(
      'the post with the file in the visitor channel',
      async () => {
        const list = await adminApi('GET', `/channels/${session.channelId}/posts`);
        return Object.values<any>(list.posts).find((p) => p.message === 'direct photo' && p.file_ids?.length);
      },
      20000,
    );
    const info = await adminApi('GET', `/files/${post.file_ids[0]}/info`);
    assert.deepEqual([info.name, info.size, info.width, info.height], ['direct.png', bytes.length, 20, 10]);

    const agent = await agentClient(mm);
    const upload = async (name: string, type: string, body: Buffer) => {
      const res = await fetch(`${mm.url}/api/v4/files?channel_id=${session.channelId}&filename=${encodeURIComponent(name)}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${agent.getToken()}`, 'Content-Type': type },
        body: new Uint8Array(body),
      });
      assert.equal(res.status, 201, await res.clone().text());
      return ((await res.json()) as { file_infos: { id: string }[] }).file_infos[0].id;
    };
    const pdf = Buffer.from('%PDF-1.4\n%%EOF\n');
    const ids = [await upload('chart.png', 'image/png', png(64, 32)), await upload('invoice.pdf', 'application/pdf', pdf)];
    await agent.createPost({ channel_id: session.channelId, message: 'Direct answer', file_ids: ids } as any);
    const message = page.locator('[part~="message"]', { hasText: 'Direct answer' });
    await message.waitFor({ timeout: 20000 });
    const img = message.locator('[part~="file-preview"]');
    await eventually('the preview loaded', () => img.evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth > 0), 15000).catch(
      async (e) => {
        throw new Error(`${e}; ${errors.join(' | ')}`);
      },
    );
    assert.match((await img.getAttribute('src')) ?? '', /^blob:/);
    assert.deepEqual(await img.evaluate((i: HTMLImageElement) => [i.naturalWidth, i.naturalHeight]), [64, 32]);
    const link = message.locator('[part~="file-link"]');
    assert.equal((await link.innerText()).replace(/\s+/g, ' ').trim(), `invoice.pdf ${pdf.length} B`);
    const download = page.waitForEvent('download');
    await link.click();
    assert.deepEqual(fs.readFileSync((await (await download).path())!), pdf);
    assert.deepEqual(mine(errors), []);
    await context.close();
  });
});
