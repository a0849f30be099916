// End to end: Debian's Chromium, the CDN build, the companion and the real Mattermost — the same
// suite in both modes (widget.gateway.test.ts, widget.direct.test.ts).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { launcherFiles } from '../package/bundle-graph.ts';
import { axeViolations } from './support/axe.ts';
import { eventually, GENERATED_DIR, PAGE_URL, startStack, type Mode, type SessionIds, type Stack, type Visitor } from './support/stack.ts';

/** Registers the suite for `mode`. */
export function widgetSuite(mode: Mode) {
  let stack: Stack;
  before(async () => {
    stack = await startStack(mode);
  });
  after(async () => {
    await stack?.close();
  });

  /** The conversation's posts in Mattermost with exactly this text. */
  const held = async (session: SessionIds, text: string) => (await stack.posts(session)).filter((p) => p.message === text);

  /**
   * The visitor writes first and waits until it is sent: in gateway mode a conversation exists in
   * Mattermost only from its first message (there is nothing for an agent to answer before).
   */
  async function firstMessage(v: Visitor) {
    const text = unique('Hello, a question');
    await type(v, text);
    await eventually('the first message to be sent', async () => (await message(v, text).getAttribute('data-state')) === 'sent', 15000);
    return text;
  }

  const T = { timeout: 90_000 };
  const unique = (label: string) => `${label} ${Math.random().toString(36).slice(2, 8)}`;

  async function openChat(v: Visitor) {
    await v.page.locator('[part~="launcher"]').click();
    await v.page.locator('[part~="input"]').waitFor({ state: 'visible' });
    await eventually('a session from the companion', () => v.sessions.length > 0, 15000);
    await eventually(
      'the connection to be online',
      () => v.page.evaluate(() => (document.querySelector('porthole-chat') as any)?.connectionState === 'online'),
      15000,
    );
    return v.sessions.at(-1)!;
  }

  async function type(v: Visitor, text: string) {
    const input = v.page.locator('[part~="input"]');
    await input.fill(text);
    await input.press('Enter');
  }

  const message = (v: Visitor, text: string) => v.page.locator('[part~="message"]', { hasText: text });

  test('before the visitor acts there is no request, cookie or storage write', T, async () => {
    const v = await stack.visitor();
    await v.page.waitForLoadState('networkidle');
    // Only the page and the launcher's own files (the loader and any chunk it imports statically).
    const launcher = new Set(['/', '/favicon.ico', ...launcherFiles().map((f) => `/cdn/${f}`)]);
    const loaded = v.requests.map((u) => (new URL(u).origin === new URL(PAGE_URL).origin ? new URL(u).pathname : u));
    assert.deepEqual(
      loaded.filter((u) => !launcher.has(u)),
      [],
      `requests before acting: ${loaded.join(', ')}`,
    );
    assert.ok(loaded.includes('/cdn/porthole-chat.js'));
    const state = await v.page.evaluate(() => ({ cookie: document.cookie, local: localStorage.length, session: sessionStorage.length }));
    assert.deepEqual(state, { cookie: '', local: 0, session: 0 });
    await openChat(v);
    assert.ok(
      v.requests.some((u) => u.includes('/v1/session')),
      'opening the chat asks the companion for a session',
    );
  });

  test('a message the visitor sends lands in the Mattermost channel once', T, async () => {
    const v = await stack.visitor();
    const session = await openChat(v);
    const text = unique('Hello from the shop');
    await type(v, text);
    await eventually('the message to be marked sent', async () => (await message(v, text).getAttribute('data-state')) === 'sent');
    const posts = await eventually('the post in Mattermost', async () => {
      const p = await held(session, text);
      return p.length ? p : undefined;
    });
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal((await held(session, text)).length, 1);
    assert.ok(stack.isVisitors(posts[0], session), 'posted as (or, in gateway mode, for) the visitor');
    assert.equal(await v.page.locator('[part~="input"]').inputValue(), '', 'the composer is cleared');
  });

  test('an agent posting with @mattermost/client shows up in the widget', T, async () => {
    const v = await stack.visitor();
    const session = await openChat(v);
    await firstMessage(v);
    const text = unique('Hi, this is Ada from support');
    const received = v.page.evaluate(
      () =>
        new Promise<any>((resolve) =>
          document.querySelector('porthole-chat')!.addEventListener('porthole-message', (e: any) => resolve(e.detail), { once: true }),
        ),
    );
    await stack.answer(session, text);
    await message(v, text).waitFor({ timeout: 10000 });
    assert.equal(await message(v, text).getAttribute('data-from'), 'agent');
    assert.ok(JSON.stringify(await received).includes(text), 'porthole-message carries the message');
    // Live states, checked by axe: the open conversation with both sides' messages, then closed with an unread badge.
    assert.deepEqual(await axeViolations(v.page), [], 'axe in the open conversation');
    await v.page.keyboard.press('Escape');
    await stack.answer(session, unique('While closed'));
    await v.page.locator('[part~="badge"]').waitFor({ timeout: 10000 });
    assert.deepEqual(await axeViolations(v.page), [], 'axe on the closed launcher with an unread badge');
  });

  test('after the connection is cut and restored, missed and pending messages arrive once', T, async () => {
    const v = await stack.visitor();
    const session = await openChat(v);
    await firstMessage(v);
    stack.proxy.cut();
    try {
      await eventually('the widget to notice the outage', () =>
        v.page.evaluate(() => (document.querySelector('porthole-chat') as any)?.connectionState !== 'online'),
      );
      const missed = [unique('Missed one'), unique('Missed two'), unique('Missed three')];
      for (const m of missed) await stack.answer(session, m);
      const pending = [unique('Pending one'), unique('Pending two')];
      for (const p of pending) await type(v, p);
      for (const p of pending) assert.notEqual(await message(v, p).getAttribute('data-state'), 'sent');
      stack.proxy.restore();
      for (const m of missed) await message(v, m).waitFor({ timeout: 20000 });
      for (const p of pending) {
        await eventually(`"${p}" to be sent`, async () => (await message(v, p).getAttribute('data-state')) === 'sent', 20000);
      }
      await new Promise((r) => setTimeout(r, 1500));
      const posts = await stack.posts(session);
      for (const p of pending) assert.equal(posts.filter((x) => x.message === p).length, 1, `"${p}" is in Mattermost once`);
      for (const m of [...missed, ...pending]) assert.equal(await message(v, m).count(), 1, `"${m}" is shown once`);
    } finally {
      stack.proxy.restore();
    }
  });

  test('a reload keeps the history and the pending outbox', T, async () => {
    const v = await stack.visitor();
    const session = await openChat(v);
    const first = unique('Sent before the reload');
    await type(v, first);
    await eventually('the first message to be sent', async () => (await message(v, first).getAttribute('data-state')) === 'sent');
    stack.proxy.cut();
    const pending = unique('Pending across the reload');
    try {
      await type(v, pending);
      await message(v, pending).waitFor();
      await v.page.reload();
    } finally {
      stack.proxy.restore();
    }
    await openChat(v);
    await message(v, first).waitFor({ timeout: 15000 });
    await eventually(
      'the pending message to be sent after the reload',
      async () => (await message(v, pending).getAttribute('data-state')) === 'sent',
      20000,
    );
    await new Promise((r) => setTimeout(r, 1500));
    const posts = await stack.posts(session);
    assert.equal(posts.filter((p) => p.message === pending).length, 1);
    assert.equal(posts.filter((p) => p.message === first).length, 1);
    assert.equal(await message(v, pending).count(), 1);
  });

  test('when the companion is down the fallback shows, then the widget recovers by itself', T, async () => {
    await stack.companion.stop();
    let restarted = false;
    try {
      const v = await stack.visitor();
      await v.page.locator('[part~="launcher"]').click();
      const fallback = v.page.locator('[part~="fallback"]');
      await fallback.waitFor({ timeout: 30000 });
      const link = fallback.locator('a[href="mailto:help@example.com"]');
      assert.equal(await link.count(), 1, 'the fallback offers the fallback-href contact');
      assert.equal(await v.page.locator('[part~="retry"]').count(), 1, 'the fallback offers a retry');
      assert.deepEqual(await axeViolations(v.page), [], 'axe with the fallback shown');
      await stack.companion.start();
      restarted = true;
      await fallback.waitFor({ state: 'detached', timeout: 45000 });
      await eventually('a session after recovery', () => v.sessions.length > 0, 15000);
      const text = unique('After the outage');
      await type(v, text);
      await eventually(
        'the message to be sent after recovery',
        async () => (await message(v, text).getAttribute('data-state')) === 'sent',
        15000,
      );
    } finally {
      if (!restarted) await stack.companion.start();
    }
  });

  test('a page on a foreign origin is refused by the companion and shows the fallback', T, async () => {
    const v = await stack.visitor();
    await v.page.goto('http://127.0.0.1:8090/');
    await v.page.locator('[part~="launcher"]').click();
    await v.page.locator('[part~="fallback"]').waitFor({ timeout: 30000 });
    assert.equal(v.sessions.length, 0);
  });

  test('bad attribute values are reported and ignored', T, async () => {
    const v = await stack.visitor();
    const result = await v.page.evaluate(() => {
      const el = document.querySelector('porthole-chat') as any;
      el.setAttribute('position', 'middle');
      el.setAttribute('token-url', 'javascript:alert(1)');
      return { position: el.position, tokenUrl: el.tokenUrl };
    });
    assert.equal(result.position, 'bottom-right');
    assert.equal(result.tokenUrl, 'http://localhost:8791/v1/session');
    const errors = v.consoleErrors.join('\n');
    assert.match(errors, /position/);
    assert.match(errors, /middle/);
    assert.match(errors, /token-url/);
    await openChat(v);
  });

  /** A page on the test origin whose HTML the test writes (the SRI values change with every build). */
  async function pageWith(v: Visitor, name: string, head: string) {
    const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${name}</title>${head}</head><body>
    <porthole-chat token-url="http://localhost:8791/v1/session" title="Test shop"></porthole-chat></body></html>`;
    fs.writeFileSync(path.join(GENERATED_DIR, `${name}.html`), html);
    await v.page.goto(`${PAGE_URL}gen/${name}.html`);
  }

  const sri: Record<string, string> = JSON.parse(fs.readFileSync('dist/cdn/sri.json', 'utf8'));
  const cdn = (f: string) => `${PAGE_URL}cdn/${f}`;
  /** An import map that pins every CDN file by integrity, chunks included (Chromium ≥ 127). */
  const importMap = `<script type="importmap">${JSON.stringify({ imports: {}, integrity: Object.fromEntries(Object.entries(sri).map(([f, h]) => [cdn(f), h])) })}</script>`;

  test('a classic <script> tag with SRI loads the widget', T, async () => {
    const v = await stack.visitor();
    await pageWith(
      v,
      'classic',
      `${importMap}<script src="/cdn/porthole-chat.classic.js" integrity="${sri['porthole-chat.classic.js']}" crossorigin="anonymous"></script>`,
    );
    const session = await openChat(v);
    const text = unique('Sent through the classic tag');
    await type(v, text);
    await eventually('the message in Mattermost', async () => (await held(session, text)).length > 0);
  });

  test('the module snippet with SRI loads the widget, and a wrong hash blocks it', T, async () => {
    const v = await stack.visitor();
    await pageWith(
      v,
      'module-sri',
      `${importMap}<script type="module" src="/cdn/porthole-chat.js" integrity="${sri['porthole-chat.js']}" crossorigin="anonymous"></script>`,
    );
    await openChat(v);

    const w = await stack.visitor();
    const wrong = 'sha384-' + Buffer.alloc(48).toString('base64');
    await pageWith(
      w,
      'module-bad-sri',
      `<script type="module" src="/cdn/porthole-chat.js" integrity="${wrong}" crossorigin="anonymous"></script>`,
    );
    await w.page.waitForLoadState('networkidle');
    assert.equal(
      await w.page.evaluate(() => !!customElements.get('porthole-chat')),
      false,
      'a file that does not match its hash never runs',
    );

    // The import map's integrity covers the lazily imported panel chunk too.
    const x = await stack.visitor();
    const badChunks = Object.fromEntries(Object.keys(sri).map((f) => [cdn(f), f.startsWith('chunks/') ? wrong : sri[f]]));
    const badMap = `<script type="importmap">${JSON.stringify({ imports: {}, integrity: badChunks })}</script>`;
    await pageWith(
      x,
      'chunk-bad-sri',
      `${badMap}<script type="module" src="/cdn/porthole-chat.js" integrity="${sri['porthole-chat.js']}" crossorigin="anonymous"></script>`,
    );
    const error = x.page.evaluate(
      () =>
        new Promise<any>((r) =>
          document.querySelector('porthole-chat')!.addEventListener('porthole-error', (e: any) => r(e.detail), { once: true }),
        ),
    );
    await x.page.locator('[part~="launcher"]').click();
    assert.equal((await error).code, 'load_failed');
  });
}
