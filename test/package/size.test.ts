// The size budget: what every page pays before the visitor acts (the launcher), and everything
// up to a working conversation in each mode. Measured on the CDN build, minified, brotli quality 11.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import zlib from 'node:zlib';
import type { SessionMode } from '../../src/transport/transport.ts';
import {
  CDN,
  closure,
  conversationFiles,
  featureChunks,
  launcherFiles,
  LOADER,
  LOCALE_CHUNKS,
  localeChunks,
  LOCALE_PART_CHUNKS,
  localePartChunks,
  transportChunks,
} from './bundle-graph.ts';

/** Budgets in bytes, brotli: the launcher, and a working conversation per mode. */
/**
 * Gateway mode's target was 26 KB (the issue's figure, direct mode minus Client4); it weighed
 * ~27.3 KB because the live socket is built on reconnecting-websocket (the chosen stack, ~2.3 KB)
 * and the message list is keyed (lit's repeat, ~0.6 KB). Issue 11 raised both budgets by 5 KB,
 * deliberately: what every open conversation shows — timestamps and day separators, agents' faces
 * and the availability line, the attach button and the upload checks, the length counter and the
 * failed-message actions, the queued state, the markdown loader — is ~4.4 KB brotli in the panel
 * and its transports; what only some conversations need (markdown, emoji, the attachment tray,
 * file previews, uploads, the contact form, the menu, other locales) is in lazy chunks with
 * budgets of their own, below. Measured: gateway ~32.0 KB, direct ~45.0 KB.
 *
 * Issue 12 raised them again, deliberately, each by what it measured. The launcher (2 KB in
 * DESIGN.md) now carries nine languages' "Open chat" labels (+~90 B: six new locales), the SPA API
 * every page can call before the chat loads (`update()`, `shutdown()`, `strings`, `unreadCount`,
 * +~70 B) and the styles of `hide-launcher` and of the phone sheet (+~30 B): 2,223 B measured,
 * budget 2,304 B. A working conversation gained ~3.7 KB in both modes: one socket per visitor
 * across tabs (the shared transport and the leader's outbox, ~1.0 KB), the connection states (grace
 * period, the browser's online/offline events, REST polling while only the socket is down, "Trying
 * again…", ~0.7 KB), the phone sheet's and dark mode's styles (~0.4 KB), the unread event, the
 * launcher's open-state label and icon and the "new messages" pill (~0.4 KB), six more locale
 * loaders, right-to-left and the English-fallback notice (~0.3 KB), the SPA hooks (~0.4 KB) and the
 * styled buttons. What only some visitors need (notifications, page reports, update()'s checks, the
 * sheet controller, the contrast check, string overrides, each locale's strings) is lazy, with
 * budgets below. Measured: gateway 35,615 B, direct 48,568 B; budgets 36 KB and 48 KB.
 */
export const BUDGET = { launcher: 2304, conversation: { gateway: 36864, direct: 49152 } } as const;

/**
 * Strings only @mattermost/client's code holds (Client4's route helpers and headers, Mattermost's
 * REST prefix): gateway mode's browser talks to the companion alone and must not ship them.
 */
export const MATTERMOST_CLIENT_MARKERS = ['getUsersRoute', 'getPostsRoute', 'X-Requested-With', '/api/v4/'];

const MODES: SessionMode[] = ['gateway', 'direct'];

const read = (file: string) => fs.readFileSync(path.join(CDN, file));
const brotli = (file: string) => zlib.brotliCompressSync(read(file), { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
const total = (files: string[]) => files.reduce((n, f) => n + brotli(f), 0);
/** The markers found in `files`, as `file: marker`. */
const markersIn = (files: string[]) =>
  files.flatMap((f) => {
    const code = read(f).toString('utf8');
    return MATTERMOST_CLIENT_MARKERS.filter((m) => code.includes(m)).map((m) => `${f}: ${m}`);
  });

/**
 * Asserts that `chunks/<name>-*.js` is lazy — no part of a working conversation in either mode — and
 * that it adds at most `budget` bytes brotli on first use: itself and what it imports beyond a
 * gateway conversation.
 */
function assertLazyChunkWithin(name: string, budget: number, label = name): void {
  const chunks = featureChunks();
  const chunk = chunks[name];
  assert.ok(chunk, `expected chunks/${name}-*.js among the lazy chunks, found ${JSON.stringify(chunks)}`);
  for (const mode of MODES)
    assert.ok(!conversationFiles(mode).includes(chunk), `${chunk} must not be needed for a working ${mode} conversation`);
  const extra = closure([chunk], 'static').filter((f) => !conversationFiles('gateway').includes(f));
  const size = total(extra);
  console.log(`size: ${label} ${size} B of ${budget} (${extra.join(', ')})`);
  assert.ok(size <= budget, `${label} adds ${size} B brotli on first use, over its ${budget} B budget`);
}

test('size budget: launcher ≤ 2,304 B; working conversation ≤ 36,864 B in gateway mode and ≤ 49,152 B in direct mode (brotli)', () => {
  assert.ok(fs.existsSync(path.join(CDN, LOADER)), 'dist/cdn/porthole-chat.js is missing: run the build first');
  const chunks = transportChunks();
  assert.deepEqual(
    Object.keys(chunks).sort(),
    [...MODES].sort(),
    `expected a transport chunk per mode (chunks/gateway-transport-*.js, chunks/mattermost-transport-*.js), found ${JSON.stringify(chunks)}`,
  );
  const launcher = launcherFiles();
  const launcherSize = total(launcher);
  const lines = [`size: launcher ${launcherSize} B of ${BUDGET.launcher}`];
  const sizes = {} as Record<SessionMode, number>;
  for (const mode of MODES) {
    const files = conversationFiles(mode);
    sizes[mode] = total(files);
    lines.push(`${mode} conversation ${sizes[mode]} B of ${BUDGET.conversation[mode]}`);
    lines.push(...files.map((f) => `  ${f}: ${brotli(f)} B${launcher.includes(f) ? ' (launcher)' : ''}`));
  }
  console.log(lines.join('\n'));
  assert.ok(launcherSize <= BUDGET.launcher, `launcher is ${launcherSize} B brotli, over its ${BUDGET.launcher} B budget`);
  for (const mode of MODES)
    assert.ok(
      sizes[mode] <= BUDGET.conversation[mode],
      `working ${mode} conversation is ${sizes[mode]} B brotli, over its ${BUDGET.conversation[mode]} B budget`,
    );
});

test('a gateway conversation ships no @mattermost/client code (and the check finds it in direct mode)', () => {
  assert.ok(fs.existsSync(path.join(CDN, LOADER)), 'dist/cdn/porthole-chat.js is missing: run the build first');
  const gateway = markersIn(conversationFiles('gateway'));
  assert.deepEqual(gateway, [], `gateway mode's chunks hold @mattermost/client code: ${gateway.join(', ')}`);
  const direct = markersIn(conversationFiles('direct'));
  assert.ok(
    direct.length > 0,
    `expected the markers ${MATTERMOST_CLIENT_MARKERS.join(', ')} in direct mode's chunks (Client4): is the check still looking for the right strings?`,
  );
});

/**
 * The conversation menu ("Download transcript", "Delete conversation", its confirmation and
 * errors, in every locale) is a chunk of its own, loaded on the menu button's first use: no part
 * of the budgets above. Its own budget, in bytes brotli, covers what it adds on that first use.
 */
export const PRIVACY_MENU_BUDGET = 5120;

test('the conversation menu is a lazy chunk of its own, ≤ 5,120 B brotli with what it imports beyond a conversation', () => {
  assert.ok(fs.existsSync(path.join(CDN, LOADER)), 'dist/cdn/porthole-chat.js is missing: run the build first');
  assertLazyChunkWithin('privacy-menu', PRIVACY_MENU_BUDGET, 'the conversation menu');
});

/** Each locale's strings but English's are a chunk of their own, loaded by a panel in that locale: its budget, brotli. */
export const LOCALE_BUDGET = 1024;

test('every locale but English is a chunk of its own, ≤ 1,024 B brotli, outside the English conversation', () => {
  assert.ok(fs.existsSync(path.join(CDN, LOADER)), 'dist/cdn/porthole-chat.js is missing: run the build first');
  const chunks = localeChunks();
  assert.deepEqual(Object.keys(chunks).sort(), [...LOCALE_CHUNKS].sort(), `expected a chunk per locale, found ${JSON.stringify(chunks)}`);
  const conversation = conversationFiles('gateway');
  for (const [locale, file] of Object.entries(chunks)) {
    console.log(`size: ${locale} strings ${brotli(file)} B of ${LOCALE_BUDGET} (${file})`);
    assert.ok(!conversation.includes(file), `${file} is part of the English conversation`);
    assert.ok(brotli(file) <= LOCALE_BUDGET, `${file} is ${brotli(file)} B brotli, over its ${LOCALE_BUDGET} B budget`);
  }
});

/**
 * Markdown (src/render/markdown/): a chunk loaded when a message needs it, and an emoji sub-chunk
 * loaded when a `:shortcode:` appears; no part of the conversation budgets. The issue's target
 * for both together is 10,240 B, which marked's lexer alone exceeds (~10,860 B brotli even with
 * its Parser and Renderer cut, see rollup.config.mjs): the budget is 15,360 B until the lead
 * decides (a lighter parser, or this figure). The emoji table holds the subset that
 * scripts/emoji-table.mjs documents.
 */
export const MARKDOWN_BUDGET = 15360;

test('markdown is a lazy chunk (+ emoji sub-chunk) outside every conversation, ≤ 15,360 B brotli together, with no HTML renderer', () => {
  assert.ok(fs.existsSync(path.join(CDN, LOADER)), 'dist/cdn/porthole-chat.js is missing: run the build first');
  const { markdown, emoji } = featureChunks();
  assert.ok(
    markdown && emoji,
    `expected chunks/markdown-*.js and chunks/emoji-*.js among the lazy chunks, found ${JSON.stringify(featureChunks())}`,
  );
  for (const mode of MODES)
    for (const f of [markdown, emoji])
      assert.ok(!conversationFiles(mode).includes(f), `${f} must not be needed for a working ${mode} conversation`);
  const extra = [...new Set([...closure([markdown], 'static'), ...closure([emoji], 'static')])].filter(
    (f) => !conversationFiles('gateway').includes(f),
  );
  const size = total(extra);
  console.log(`size: markdown ${size} B of ${MARKDOWN_BUDGET} (${extra.map((f) => `${f}: ${brotli(f)} B`).join(', ')})`);
  assert.ok(size <= MARKDOWN_BUDGET, `markdown adds ${size} B brotli when a message needs it, over its ${MARKDOWN_BUDGET} B budget`);
  // marked's HTML renderer must not ship: the widget renders tokens to Lit templates itself.
  const code = read(markdown).toString('utf8');
  for (const marker of ['<blockquote>', 'An error occurred', 'type was not found'])
    assert.ok(!code.includes(marker), `${markdown} holds marked's Parser/Renderer (found ${JSON.stringify(marker)})`);
});

// When nobody is there (offline)
/** The contact form's chunk (src/panel/contact-form.ts, with its strings), loaded only while the team is not online: its budget, brotli. */
export const CONTACT_FORM_BUDGET = 2560;

test('the contact form is a lazy chunk of its own, ≤ 2,560 B brotli with what it imports beyond a conversation', () => {
  assertLazyChunkWithin('contact-form', CONTACT_FORM_BUDGET, 'the contact form');
});

// Files (files-widget)
/** The attachment tray (src/panel/attachments.ts, with its strings and the upload controller), loaded on the first attach, drop or paste: its budget, brotli. */
export const ATTACHMENTS_BUDGET = 4096;
/**
 * The previews' loader (src/render/file-list.ts), loaded with the first message that has a file: its budget, brotli.
 * 1 KB: it gained the late revoke of a download's URL and the leak guard for previews removed while loading, and
 * shares save-blob.ts (its own small chunk) with the conversation menu.
 */
export const FILE_LIST_BUDGET = 1024;
/** The transports' upload code (src/transport/xhr-upload.ts), loaded with the first upload: its budget, brotli. */
export const XHR_UPLOAD_BUDGET = 768;

test('files: the attachment tray and the previews are lazy chunks of their own, within their budgets', () => {
  for (const [name, budget] of [
    ['attachments', ATTACHMENTS_BUDGET],
    ['file-list', FILE_LIST_BUDGET],
    ['xhr-upload', XHR_UPLOAD_BUDGET],
  ] as const) {
    assertLazyChunkWithin(name, budget);
  }
});

// Notifications (issue 12)
/** The opt-in notifications (src/panel/notifications.ts: sound, title flash, preview bubble), loaded with the first notifiable message: its budget, brotli. */
export const NOTIFICATIONS_BUDGET = 2048;

test('the notifications are a lazy chunk of their own, ≤ 2,048 B brotli with what they import beyond a conversation', () => {
  assertLazyChunkWithin('notifications', NOTIFICATIONS_BUDGET, 'the notifications');
});

// SPA life cycle (issue 12)
/** The opt-in page reports (src/panel/page-reports.ts), loaded when the launcher has `report-pages`: its budget, brotli. */
export const PAGE_REPORTS_BUDGET = 1024;
/** The checks of `update()` (src/element/update.ts), loaded with its first call: its budget, brotli. */
export const UPDATE_BUDGET = 640;

test('the page reports and the checks of update() are lazy chunks of their own, within their budgets', () => {
  for (const [name, budget] of [
    ['page-reports', PAGE_REPORTS_BUDGET],
    ['update', UPDATE_BUDGET],
  ] as const) {
    assertLazyChunkWithin(name, budget);
  }
});

// Mobile sheet and contrast warning (issue 12)
/**
 * The accent contrast check (src/panel/contrast.ts), loaded on open when the accent or on-accent is not the
 * default, and the mobile sheet's controller (src/controllers/sheet-controller.ts), loaded when the panel
 * first opens as a full-screen sheet: their budgets, brotli.
 */
export const CONTRAST_BUDGET = 768;
export const SHEET_BUDGET = 512;

test('the contrast check (≤ 768 B) and the sheet controller (≤ 512 B) are lazy chunks of their own (brotli, with what they import beyond a conversation)', () => {
  for (const [name, budget] of [
    ['contrast', CONTRAST_BUDGET],
    ['sheet-controller', SHEET_BUDGET],
  ] as const) {
    assertLazyChunkWithin(name, budget);
  }
});

// Languages (issue 12)
/**
 * The lazy parts' strings of one locale but English (src/i18n/<locale>.parts.ts: the conversation
 * menu's, the attachment tray's and the contact form's), loaded with the first of them a panel in
 * that locale shows: its budget, brotli (each weighs ~1.05–1.2 KB).
 */
export const LOCALE_PARTS_BUDGET = 1536;
/**
 * The site's `strings` overrides (src/i18n/overrides.ts), loaded only when a site sets `strings`:
 * its budget, brotli, with what it imports beyond a conversation. ~1 KB while the panel already
 * holds zod/mini (the controllers' checks); the budget leaves room for zod's core should it leave the panel.
 */
export const OVERRIDES_BUDGET = 4096;

test("every locale's lazy-part strings are a chunk of their own (≤ 1,536 B), and the strings overrides one (≤ 4,096 B), outside every conversation", () => {
  const parts = localePartChunks();
  assert.deepEqual(
    Object.keys(parts).sort(),
    [...LOCALE_PART_CHUNKS].sort(),
    `expected a chunk per locale, found ${JSON.stringify(parts)}`,
  );
  for (const mode of MODES)
    for (const f of Object.values(parts))
      assert.ok(!conversationFiles(mode).includes(f), `${f} must not be needed for a working ${mode} conversation`);
  for (const [name, file] of Object.entries(parts)) {
    console.log(`size: ${name} strings ${brotli(file)} B of ${LOCALE_PARTS_BUDGET} (${file})`);
    assert.ok(brotli(file) <= LOCALE_PARTS_BUDGET, `${file} is ${brotli(file)} B brotli, over its ${LOCALE_PARTS_BUDGET} B budget`);
  }
  assertLazyChunkWithin('overrides', OVERRIDES_BUDGET, 'the strings overrides');
});
