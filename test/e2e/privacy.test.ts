// End to end, gateway mode: the panel's conversation menu against the real companion and the real
// Mattermost, in Debian's Chromium with the CDN build. The visitor writes, downloads the transcript
// (a real browser download), deletes the conversation, and Mattermost no longer has the thread;
// the widget is back to a new visitor's state and a reload starts a new conversation.
//
// Its own ports (8852 the page, 8853 the companion: cross-origin, as on a real site), so it runs
// beside the widget suite. Direct mode is not here: the harness's Mattermost allows CORS only from
// the widget suite's page origins, and this suite must not reconfigure it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { adminApi } from '../support/mattermost.ts';
import { eventually, message, unique, type SessionIds } from './support/stack.ts';
import { send, useGatewayPage, type GatewayVisitor } from './support/gateway-page.ts';

const PAGE_PORT = 8852;
const COMPANION_PORT = 8853;
const COMPANION_URL = `http://localhost:${COMPANION_PORT}`;
const T = { timeout: 120_000 };

const site = useGatewayPage({
  pagePort: PAGE_PORT,
  companionPort: COMPANION_PORT,
  name: 'privacy',
  env: {
    PORTHOLE_COOKIE_SECRET: 'e2e-privacy-cookie-secret-0123456789abcd',
    PORTHOLE_TOKEN_SECRET: 'e2e-privacy-token-secret-0123456789abcdef',
  },
  title: 'Privacy e2e',
});
const visitor = () => site.visitor({ acceptDownloads: true });

async function openChat(v: GatewayVisitor): Promise<SessionIds> {
  const before = v.sessions.length;
  await v.page.locator('[part~="launcher"]').click();
  await v.page.locator('[part~="input"]').waitFor({ state: 'visible' });
  await eventually('a session from the companion', () => v.sessions.length > before, 15000);
  return v.sessions.at(-1)!;
}

test('download the transcript, delete the conversation: Mattermost forgets it, the widget starts afresh', T, async () => {
  const v = await visitor();
  const session = await openChat(v);
  const text = unique('My order number is');
  await send(v, text);
  const thread = await eventually('the thread in Mattermost', async () => {
    const t = await site.thread(session);
    return t.root && t.posts.some((p) => p.message === text) ? t : undefined;
  });

  assert.equal((await adminApi('GET', `/posts/${thread.root}?include_deleted=true`)).id, thread.root, 'the check below can fail');

  // Download: the menu button, then "Download transcript"; a real download of the companion's JSON.
  const menuButton = v.page.locator('[part~="menu-button"]');
  assert.equal(await menuButton.getAttribute('aria-label'), 'Conversation options');
  await menuButton.click();
  const downloading = v.page.waitForEvent('download');
  await v.page.getByRole('menuitem', { name: 'Download transcript' }).click();
  const download = await downloading;
  assert.match(download.suggestedFilename(), /^porthole-transcript-\d{4}-\d{2}-\d{2}\.json$/);
  const file = path.join(site.dir, 'transcript.json');
  await download.saveAs(file);
  const transcript = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.equal(transcript.format, 'porthole-transcript/1');
  assert.equal(transcript.conversation.id, session.channelId);
  const mine = transcript.messages.filter((m: { text: string }) => m.text === text);
  assert.equal(mine.length, 1, `the transcript holds the message once: ${JSON.stringify(transcript.messages)}`);
  assert.equal(mine[0].author, 'visitor');
  assert.ok(!Number.isNaN(Date.parse(mine[0].createdAt)));
  assert.equal(
    await v.page.evaluate(() => [...document.querySelectorAll('a[download]')].length),
    0,
    'the download link is never left in the page',
  );

  // Delete: the menu, "Delete conversation", the confirmation.
  const erased = v.page.evaluate(
    () =>
      new Promise<unknown>((resolve) =>
        document
          .querySelector('porthole-chat')!
          .addEventListener('porthole-conversation-erased', (e) => resolve((e as CustomEvent).detail), {
            once: true,
          }),
      ),
  );
  await menuButton.click();
  await v.page.getByRole('menuitem', { name: 'Delete conversation' }).click();
  const dialog = v.page.getByRole('alertdialog', { name: 'Delete this conversation?' });
  await dialog.waitFor();
  await dialog.getByRole('button', { name: 'Delete' }).click();
  assert.deepEqual(await erased, { conversationId: session.channelId });

  // The widget: the new-visitor state, announced; nothing stored; the companion's cookie gone.
  await v.page.locator('[part~="log"] [role="status"]', { hasText: 'Your conversation was deleted.' }).waitFor();
  assert.equal(await message(v, text).count(), 0);
  assert.equal(await menuButton.count(), 0, 'no session, no menu');
  assert.deepEqual(await v.page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('porthole:'))), []);
  const cookies = await v.context.cookies(COMPANION_URL);
  assert.deepEqual(
    cookies.filter((c) => c.name === 'porthole_vid'),
    [],
    'the visitor cookie is cleared',
  );

  // Mattermost, with the admin token: the thread is gone for good. `include_deleted=true` (system
  // admins only, channels/api4/post.go getPost) still finds a soft-deleted post: a 404 means erased.
  await assert.rejects(adminApi('GET', `/posts/${thread.root}?include_deleted=true`), /→ 404/);
  for (const p of thread.posts)
    await assert.rejects(adminApi('GET', `/posts/${p.id}?include_deleted=true`), /→ 404/, `post ${p.id} is gone for good`);
  assert.equal((await site.thread(session)).root, undefined);

  // The next message starts a new conversation, with a new thread.
  const again = unique('A new question');
  const input = v.page.locator('[part~="input"]');
  await input.fill(again);
  await input.press('Enter');
  await eventually('a new session', () => v.sessions.length > 1, 15000);
  const next = v.sessions.at(-1)!;
  assert.notEqual(next.channelId, session.channelId, 'a new conversation');
  assert.notEqual(next.userId, session.userId, 'a new visitor (the cookie was cleared)');
  await eventually(`"${again}" to be sent`, async () => (await message(v, again).getAttribute('data-state')) === 'sent', 15000);
  await eventually('the new thread in Mattermost', async () => (await site.thread(next)).root);
});

test('after a deletion, a reload starts a new conversation', T, async () => {
  const v = await visitor();
  const session = await openChat(v);
  const text = unique('Please forget me');
  await send(v, text);
  await v.page.locator('[part~="menu-button"]').click();
  await v.page.getByRole('menuitem', { name: 'Delete conversation' }).click();
  await v.page.getByRole('alertdialog').getByRole('button', { name: 'Delete' }).click();
  await v.page.locator('[part~="log"] [role="status"]', { hasText: 'Your conversation was deleted.' }).waitFor();
  await v.page.reload();
  const next = await openChat(v);
  assert.notEqual(next.channelId, session.channelId);
  assert.notEqual(next.userId, session.userId);
  await v.page.locator('[part~="log"] .empty', { hasText: 'Send us a message' }).waitFor();
  assert.equal(await message(v, text).count(), 0, 'nothing of the erased conversation comes back');
});
