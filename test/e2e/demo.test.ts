// `npm start`'s demo, end to end, in its default gateway mode: a visitor writes on the shop page,
// an agent answers from the agent desk (through @mattermost/client, in the conversation's thread),
// and the visitor sees the answer — under the demo's strict Content-Security-Policy, which lets
// the shop page connect to nothing but its own origin, against the real Mattermost.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { startDemo } from '../../examples/demo/server.mjs';
import { adminApi, mattermost } from '../support/mattermost.ts';
import { launchChromium } from './support/browser.ts';

// 8000 is an origin the harness allows in Mattermost; the demo itself uses 8080 (`npm start`).
const PORT = 8000;
let demo: { url: string; mode: string; close: () => Promise<void> };
let browser: Browser;
const created = { users: new Set<string>(), channels: new Set<string>() };

before(async () => {
  demo = await startDemo(await mattermost(), { port: PORT });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await demo?.close();
  for (const id of created.channels) await adminApi('DELETE', `/channels/${id}?permanent=true`).catch(() => {});
  for (const id of created.users) await adminApi('DELETE', `/users/${id}?permanent=true`).catch(() => {});
});

test('a visitor asks on the shop page and an agent answers from the agent desk', { timeout: 60_000 }, async () => {
  const mm = await mattermost();
  const errors: string[] = [];
  const shop = await (await browser.newContext()).newPage();
  shop.on('console', (m) => m.type() === 'error' && errors.push(`shop: ${m.text()}`));
  shop.on('response', async (r) => {
    if (r.url().endsWith('/v1/session') && r.request().method() === 'POST' && r.ok()) {
      const s = await r.json();
      created.users.add(s.userId);
      created.channels.add(s.channelId);
    }
  });
  const contacted = new Set<string>();
  shop.on('request', (r) => contacted.add(new URL(r.url()).origin));
  await shop.goto(`${demo.url}/`);
  await shop.locator('[part~="launcher"]').click();
  const question = `Do you ship lanterns to Norway? ${Date.now()}`;
  await shop.locator('[part~="input"]').fill(question);
  await shop.locator('[part~="input"]').press('Enter');
  await shop.locator('[part~="message"][data-state="sent"]', { hasText: question }).waitFor({ timeout: 15000 });

  const desk = await (await browser.newContext()).newPage();
  desk.on('console', (m) => m.type() === 'error' && errors.push(`desk: ${m.text()}`));
  await desk.goto(`${demo.url}/agent.html`);
  assert.equal(await desk.inputValue('#username'), mm.agents[0].username);
  await desk.fill('#password', mm.agents[0].password);
  await desk.click('#login button');
  const channelId = [...created.channels].at(-1);
  await desk.locator(`#channels button[data-conversation="${channelId}"]`).click();
  await desk.locator('#posts li', { hasText: question }).waitFor({ timeout: 10000 });
  const answer = `Yes, in 3 to 5 days. ${Date.now()}`;
  await desk.fill('#message', answer);
  await desk.press('#message', 'Enter');

  await shop.locator('[part~="message"][data-from="agent"]', { hasText: answer }).waitFor({ timeout: 15000 });
  assert.deepEqual(errors, []);
  assert.equal(demo.mode, 'gateway', 'the demo runs in gateway mode by default');
  assert.deepEqual([...contacted], [demo.url], 'the shop page talked to its own origin only, never to Mattermost');
});
