// End to end, gateway mode, store and forward: the visitor writes while the REAL Mattermost is
// stopped (the harness's kill()), sees "Saved — we'll answer here", Mattermost comes back (up()), and
// each message shows once on screen and is once in Mattermost. Debian's Chromium, the CDN build.
//
// It stops the SHARED Mattermost: run it only under the exclusive lock,
//   flock -x /tmp/mm.lock node --import tsx --test test/e2e/offline.test.ts
// Its own ports (8940 the page, 8941 the companion), so it runs beside the other suites.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kill, up } from '../../dev/mattermost/index.mjs';
import { eventually, message, unique, write } from './support/stack.ts';
import { useGatewayPage, type GatewayVisitor } from './support/gateway-page.ts';

const T = { timeout: 180_000 };

const site = useGatewayPage(
  {
    pagePort: 8940,
    companionPort: 8941,
    name: 'offline',
    env: {
      PORTHOLE_COOKIE_SECRET: 'e2e-offline-cookie-secret-0123456789abcd',
      PORTHOLE_TOKEN_SECRET: 'e2e-offline-token-secret-0123456789abcdef',
    },
    title: 'Offline e2e',
  },
  // Whatever happened, the shared Mattermost runs again for the other suites.
  { beforeClose: () => up({ log: () => {} }).catch((e: unknown) => console.error(`could not start Mattermost again: ${String(e)}`)) },
);

const stateOf = (v: GatewayVisitor, text: string) => message(v, text).getAttribute('data-state');

test('written while Mattermost is down: "Saved — we’ll answer here", then once on screen and once in Mattermost', T, async () => {
  const v = await site.visitor();
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
    const { posts } = await site.thread(session);
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
