// End to end, gateway mode: the SPA life cycle against the real companion and the real Mattermost,
// in Debian's Chromium with the CDN build. A visitor writes, the single-page app navigates (the
// agents read "Visitor is on …" in the thread; the visitor never sees it), then the site signs out
// with shutdown(): no storage left, the companion's cookie gone, and the next chat is another
// Mattermost visitor with a thread of their own.
//
// Its own ports (8856 the page, 8857 the companion: cross-origin, as on a real site).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventually, message, unique } from './support/stack.ts';
import { send, useGatewayPage } from './support/gateway-page.ts';

const PAGE_PORT = 8856;
const COMPANION_PORT = 8857;
const COMPANION_URL = `http://localhost:${COMPANION_PORT}`;
const T = { timeout: 120_000 };

const site = useGatewayPage({
  pagePort: PAGE_PORT,
  companionPort: COMPANION_PORT,
  name: 'spa',
  env: {
    PORTHOLE_COOKIE_SECRET: 'e2e-spa-cookie-secret-0123456789abcdefgh',
    PORTHOLE_TOKEN_SECRET: 'e2e-spa-token-secret-0123456789abcdefghi',
  },
  title: 'SPA home',
  heading: 'A single-page shop',
  attributes: 'report-pages',
});

test('page reports reach the thread only; shutdown() forgets the visitor and the next chat is another one', T, async () => {
  const v = await site.visitor();
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
      const t = await site.thread(first);
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
    async () => (await site.thread(first)).posts.filter((p) => p.props?.porthole_page).length === 2,
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
    const t = await site.thread(next);
    return t.root && t.posts.some((p) => p.message === again) ? t : undefined;
  });
  assert.notEqual(nextThread.root, thread.root);
});
