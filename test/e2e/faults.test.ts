// Faults, end to end in gateway mode (the default), against the real Mattermost and Chromium:
// Mattermost killed with SIGKILL and restarted through the harness, and the companion restarted.
// Each time every message arrives once: nothing lost, nothing doubled.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kill, up } from '../../dev/mattermost/index.mjs';
import {
  assertOnce,
  connectionState as state,
  eventually,
  message,
  openOnline as openChat,
  write,
  unique,
  useStack,
  type Visitor,
} from './support/stack.ts';

const stack = useStack('gateway');

const T = { timeout: 120_000 };

const sent = (v: Visitor, text: string, timeoutMs = 15000) =>
  eventually(`"${text}" to be sent`, async () => (await message(v, text).getAttribute('data-state')) === 'sent', timeoutMs);

test(
  'Mattermost killed with SIGKILL mid-conversation: the outbox holds the messages and they arrive once after the restart',
  T,
  async () => {
    const v = await stack.visitor();
    const session = await openChat(v);
    const first = unique('Before the crash');
    await write(v, first);
    await sent(v, first);

    assert.equal(await kill(), true, 'the harness killed a running Mattermost');
    let restarted = false;
    try {
      const pending = [unique('During the crash one'), unique('During the crash two')];
      for (const text of pending) await write(v, text);
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
      await assertOnce(stack, v, session, [first, ...pending, answer]);
    } finally {
      if (!restarted) await up({ log: () => {} });
    }
  },
);

test('the companion restarted: the widget reconnects and resyncs; what was missed and what was queued arrive once', T, async () => {
  const v = await stack.visitor();
  const session = await openChat(v);
  const first = unique('Before the companion restart');
  await write(v, first);
  await sent(v, first);

  await stack.companion.stop();
  let started = false;
  try {
    await eventually('the widget to notice', async () => (await state(v)) !== 'online', 15000);
    const missed = [unique('Missed while the companion was down one'), unique('Missed two')];
    for (const text of missed) await stack.answer(session, text);
    const pending = unique('Queued while the companion was down');
    await write(v, pending);

    await stack.companion.start();
    started = true;
    await eventually('the widget to be online again', async () => (await state(v)) === 'online', 30000);
    for (const text of missed) await message(v, text).waitFor({ timeout: 20000 });
    await sent(v, pending, 30000);
    await assertOnce(stack, v, session, [first, ...missed, pending]);
  } finally {
    if (!started) await stack.companion.start();
  }
});
