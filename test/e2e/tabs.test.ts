// End to end, several tabs (issue 12): two pages of ONE browser context (one visitor: same cookie,
// same storage) against the companion in gateway mode and the real Mattermost. One live socket
// across both tabs, a message typed in the follower lands once, an agent's reply shows in both, a reply
// while both are closed is unread in both until the chat opens in one, and closing the leader's tab
// hands the socket to the other, which still gets the next reply, once.
//
// Fixed ports (the e2e stack's): run it under the e2e lock,
//   flock -x /tmp/e2e.lock flock -s /tmp/mm.lock node --import tsx --test test/e2e/tabs.test.ts
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { eventually, PAGE_URL, unique, useStack, type SessionIds } from './support/stack.ts';

const stack = useStack('gateway');

const T = { timeout: 120_000 };
const message = (page: Page, text: string) => page.locator('[part~="message"]', { hasText: text });
const online = (page: Page) => page.evaluate(() => (document.querySelector('porthole-chat') as any)?.connectionState === 'online');
const unread = (page: Page) => page.evaluate(() => (document.querySelector('porthole-chat') as any).unreadCount as number);
const badge = (page: Page) => page.locator('[part~="badge"]');

/** The companion's live sockets a page opens (`/v1/live`), and how many of them are still open. */
function liveSockets(page: Page) {
  const sockets = { opened: 0, open: 0 };
  page.on('websocket', (ws) => {
    if (!ws.url().includes('/v1/live')) return;
    sockets.opened++;
    sockets.open++;
    ws.on('close', () => sockets.open--);
  });
  return sockets;
}

async function openChat(page: Page) {
  await page.locator('[part~="launcher"]').click();
  await page.locator('[part~="input"]').waitFor({ state: 'visible' });
  await eventually('the connection to be online', () => online(page), 15000);
}

async function write(page: Page, text: string) {
  const input = page.locator('[part~="input"]');
  await input.fill(text);
  await input.press('Enter');
}

test('two tabs of one visitor: one socket, one send, replies in both; closing the leader hands the socket over', T, async () => {
  const v = await stack.visitor();
  const first = v.page;
  const firstSockets = liveSockets(first);
  await openChat(first);
  const session: SessionIds = v.sessions.at(-1)!;
  assert.equal(firstSockets.opened, 1, 'the first tab opened the socket');

  // A second tab of the same visitor (same context): its own session, no socket of its own.
  const second = await v.context.newPage();
  const secondSockets = liveSockets(second);
  const pageErrors: string[] = [];
  for (const p of [first, second]) p.on('pageerror', (e) => pageErrors.push(e.message));
  await second.goto(PAGE_URL);
  await openChat(second);
  assert.equal(v.sessions.at(-1)!.userId, session.userId, 'the same visitor in both tabs');
  assert.equal(secondSockets.opened, 0, 'the second tab opened no socket');

  // Written in the follower: sent once (by the leader's outbox), shown in both tabs.
  const text = unique('Typed in the second tab');
  await write(second, text);
  await eventually('the message to be sent', async () => (await message(second, text).getAttribute('data-state')) === 'sent', 15000);
  await message(first, text).waitFor({ timeout: 10000 });
  const held = async (t: string) => (await stack.posts(session)).filter((p) => p.message === t);
  await eventually('the post in Mattermost', async () => (await held(text)).length > 0);

  // An agent's reply reaches both tabs over the one socket.
  const reply = unique('Hello from support');
  await stack.answer(session, reply);
  await message(first, reply).waitFor({ timeout: 10000 });
  await message(second, reply).waitFor({ timeout: 10000 });
  assert.equal(firstSockets.opened + secondSockets.opened, 1, 'exactly one live socket across both tabs');

  // Unread in sync: a reply while the chat is closed in both tabs counts in both; opening it in one
  // clears the other's badge.
  for (const p of [first, second]) await p.evaluate(() => (document.querySelector('porthole-chat') as any).close());
  const unseen = unique('While both were closed');
  await stack.answer(session, unseen);
  await eventually('the reply unread in both tabs', async () => (await unread(first)) === 1 && (await unread(second)) === 1, 15000);
  await badge(first).waitFor({ timeout: 5000 });
  await openChat(second);
  await eventually('the first tab’s count cleared', async () => (await unread(first)) === 0, 10000);
  await badge(first).waitFor({ state: 'detached', timeout: 5000 });

  // The leader's tab closes: the other takes the lock and opens its own socket.
  await first.close();
  await eventually('the second tab to open a socket', () => secondSockets.open === 1, 15000);
  await eventually('the second tab online on its own socket', () => online(second), 15000);
  const after = unique('Right after the handover');
  await stack.answer(session, after);
  await message(second, after).waitFor({ timeout: 10000 });
  const mine = unique('Sent after the handover');
  await write(second, mine);
  await eventually('the last message to be sent', async () => (await message(second, mine).getAttribute('data-state')) === 'sent', 15000);
  await eventually('the last post in Mattermost', async () => (await held(mine)).length > 0);

  // A late duplicate would have landed by now.
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal((await held(text)).length, 1, 'the follower’s message is in Mattermost once');
  assert.equal((await held(mine)).length, 1, 'the message after the handover is in Mattermost once');
  for (const t of [text, reply, unseen, after, mine]) assert.equal(await message(second, t).count(), 1, `"${t}" is shown once`);
  assert.equal(secondSockets.opened, 1, 'one socket in the remaining tab');
  assert.deepEqual(pageErrors, [], 'no uncaught error in either tab');
});
