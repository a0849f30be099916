// Faults, end to end in gateway mode (the default), against the real Mattermost and Chromium:
// Mattermost killed with SIGKILL and restarted through the harness, and the companion restarted.
// Each time every message arrives once: nothing lost, nothing doubled.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { kill, up } from '../../dev/mattermost/index.mjs';
import { eventually, startStack, type SessionIds, type Stack, type Visitor } from './support/stack.ts';

let stack: Stack;
before(async () => {
  stack = await startStack('gateway');
});
after(async () => {
  await stack?.close();
});

const T = { timeout: 120_000 };
const unique = (label: string) => `${label} ${Math.random().toString(36).slice(2, 8)}`;
const message = (v: Visitor, text: string) => v.page.locator('[part~="message"]', { hasText: text });
const state = (v: Visitor) => v.page.evaluate(() => (document.querySelector('porthole-chat') as any)?.connectionState);

async function openChat(v: Visitor): Promise<SessionIds> {
  await v.page.locator('[part~="launcher"]').click();
  await v.page.locator('[part~="input"]').waitFor({ state: 'visible' });
  await eventually('the connection to be online', async () => (await state(v)) === 'online', 15000);
  return v.sessions.at(-1)!;
}

async function type(v: Visitor, text: string) {
  await v.page.locator('[part~="input"]').fill(text);
  await v.page.locator('[part~="input"]').press('Enter');
}

const sent = (v: Visitor, text: string, timeoutMs = 15000) =>
  eventually(`"${text}" to be sent`, async () => (await message(v, text).getAttribute('data-state')) === 'sent', timeoutMs);

/** Every text is in Mattermost's thread exactly once and shown exactly once. */
async function once(v: Visitor, session: SessionIds, texts: string[]) {
  await new Promise((r) => setTimeout(r, 1500)); // a late duplicate would have landed by now
  const posts = await stack.posts(session);
  for (const text of texts) {
    assert.equal(posts.filter((p) => p.message === text).length, 1, `"${text}" is in Mattermost once`);
    assert.equal(await message(v, text).count(), 1, `"${text}" is shown once`);
  }
}

test(
  'Mattermost killed with SIGKILL mid-conversation: the outbox holds the messages and they arrive once after the restart',
  T,
  async () => {
    const v = await stack.visitor();
    const session = await openChat(v);
    const first = unique('Before the crash');
    await type(v, first);
    await sent(v, first);

    assert.equal(await kill(), true, 'the harness killed a running Mattermost');
    let restarted = false;
    try {
      const pending = [unique('During the crash one'), unique('During the crash two')];
      for (const text of pending) await type(v, text);
      await new Promise((r) => setTimeout(r, 1500));
      for (const text of pending)
        assert.notEqual(await message(v, text).getAttribute('data-state'), 'sent', `"${text}" waits in the outbox`);

      await up({ log: () => {} });
      restarted = true;
      for (const text of pending) await sent(v, text, 45000);
      // The bot's socket is back too: an agent's answer arrives live.
      const answer = unique('Back after the restart');
      await eventually('an agent to be able to answer', async () => (await stack.answer(session, answer), true), 20000);
      await message(v, answer).waitFor({ timeout: 20000 });
      await once(v, session, [first, ...pending, answer]);
    } finally {
      if (!restarted) await up({ log: () => {} });
    }
  },
);

test('the companion restarted: the widget reconnects and resyncs; what was missed and what was queued arrive once', T, async () => {
  const v = await stack.visitor();
  const session = await openChat(v);
  const first = unique('Before the companion restart');
  await type(v, first);
  await sent(v, first);

  await stack.companion.stop();
  let started = false;
  try {
    await eventually('the widget to notice', async () => (await state(v)) !== 'online', 15000);
    const missed = [unique('Missed while the companion was down one'), unique('Missed two')];
    for (const text of missed) await stack.answer(session, text);
    const pending = unique('Queued while the companion was down');
    await type(v, pending);

    await stack.companion.start();
    started = true;
    await eventually('the widget to be online again', async () => (await state(v)) === 'online', 30000);
    for (const text of missed) await message(v, text).waitFor({ timeout: 20000 });
    await sent(v, pending, 30000);
    await once(v, session, [first, ...missed, pending]);
  } finally {
    if (!started) await stack.companion.start();
  }
});
