// Connection states end to end (issue 12), gateway mode, against the real Mattermost and Debian's
// Chromium with the CDN build: the browser's network cut (Playwright's context.setOffline) and
// given back, and the WebSocket alone dropped while REST works (page.routeWebSocket). Each time the
// state returns to `online`, and every message arrives once.
//
//   flock -x /tmp/e2e.lock flock -s /tmp/mm.lock node --import tsx --test test/e2e/network.test.ts
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { WebSocketRoute } from 'playwright-core';
import {
  assertOnce,
  connectionState as state,
  eventually,
  message,
  openOnline,
  write,
  unique,
  useStack,
  type SessionIds,
  type Visitor,
} from './support/stack.ts';

const stack = useStack('gateway');

const T = { timeout: 180_000 };
/** Every `porthole-state-change` the page got, in order. */
const states = (v: Visitor): Promise<string[]> => v.page.evaluate(() => (window as any).states);

async function openChat(v: Visitor): Promise<SessionIds> {
  await v.page.evaluate(() => {
    const w = window as any;
    w.states = [];
    document.querySelector('porthole-chat')!.addEventListener('porthole-state-change', (e: any) => w.states.push(e.detail.state));
  });
  return openOnline(v);
}

test('the network cut and given back: reconnecting, offline past the grace period, then online; nothing lost or doubled', T, async () => {
  const v = await stack.visitor();
  const session = await openChat(v);
  const before = unique('Before the cut');
  await write(v, before);
  await eventually('the first message to be sent', async () => (await message(v, before).getAttribute('data-state')) === 'sent', 15000);

  await v.context.setOffline(true);
  await eventually('the state to be reconnecting', async () => (await state(v)) === 'reconnecting', 5000);
  const during = unique('Written offline');
  await write(v, during);
  const reply = unique('Answered during the outage');
  await stack.answer(session, reply); // the agent is not cut off
  // The grace period: a few seconds in, still "Reconnecting…", no alarming fallback.
  await new Promise((r) => setTimeout(r, 3000));
  assert.equal(await v.page.locator('[part~="fallback"]').count(), 0, 'no fallback within the grace period');
  assert.equal(await v.page.locator('[part~="status"]').textContent(), 'Reconnecting…');
  // A long cut: past the grace period the breaker opens.
  await eventually('the state to be offline', async () => (await state(v)) === 'offline', 40000);
  await v.page.locator('[part~="fallback"]').waitFor({ timeout: 5000 });
  assert.notEqual(await message(v, during).getAttribute('data-state'), 'sent', 'the message waits in the outbox');

  const backAt = Date.now();
  await v.context.setOffline(false);
  await eventually('the state to be online again', async () => (await state(v)) === 'online', 20000);
  const recovery = Date.now() - backAt;
  assert.ok(recovery < 10000, `online ${recovery} ms after the network came back`);
  await v.page.locator('[part~="fallback"]').waitFor({ state: 'detached', timeout: 5000 });
  await eventually('the offline message to be sent', async () => (await message(v, during).getAttribute('data-state')) === 'sent', 15000);
  await message(v, reply).waitFor({ timeout: 15000 });

  const seen = await states(v);
  const cut = seen.slice(seen.indexOf('online'));
  assert.deepEqual(
    [cut[1], cut.includes('offline'), cut.at(-1)],
    ['reconnecting', true, 'online'],
    `reconnecting first, offline past the grace period, online at the end: ${seen.join(', ')}`,
  );
  assert.ok(cut.indexOf('reconnecting') < cut.indexOf('offline'), `no offline before reconnecting: ${seen.join(', ')}`);
  await assertOnce(stack, v, session, [before, during, reply]);
  assert.deepEqual(
    v.consoleErrors.filter((e) => !/ERR_INTERNET_DISCONNECTED|Failed to load resource|WebSocket/.test(e)),
    [],
  );
});

test('the WebSocket alone dropped while REST works: "Reconnecting…", never the fallback; answers arrive over REST', T, async () => {
  const v = await stack.visitor();
  let blocked = false;
  let current: WebSocketRoute | undefined;
  await v.page.routeWebSocket(/\/v1\/live/, (ws) => {
    if (blocked) return void ws.close({ code: 1011, reason: 'blocked by the test' });
    current = ws;
    ws.connectToServer();
  });
  const session = await openChat(v);
  const first = unique('Before the drop'); // opens the conversation's thread
  await write(v, first);
  await eventually('the first message to be sent', async () => (await message(v, first).getAttribute('data-state')) === 'sent', 15000);
  blocked = true;
  await current!.close({ code: 1011, reason: 'dropped by the test' });
  await eventually('the state to be reconnecting', async () => (await state(v)) === 'reconnecting', 5000);
  const reply = unique('Answered while the socket is down');
  await stack.answer(session, reply);
  // Well past the grace period (and a few REST polls): still reconnecting, the answer shown.
  await message(v, reply).waitFor({ timeout: 30000 });
  await new Promise((r) => setTimeout(r, 12000));
  assert.equal(await v.page.locator('[part~="fallback"]').count(), 0, 'no fallback while REST works');
  assert.equal(await state(v), 'reconnecting');
  const written = unique('Sent over REST');
  await write(v, written);
  await eventually(
    'the message to be sent over REST',
    async () => (await message(v, written).getAttribute('data-state')) === 'sent',
    15000,
  );

  blocked = false;
  await eventually('the state to be online again', async () => (await state(v)) === 'online', 30000);
  const seen = await states(v);
  assert.ok(!seen.includes('offline'), `never offline: ${seen.join(', ')}`);
  await assertOnce(stack, v, session, [first, reply, written]);
});
