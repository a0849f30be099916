import type { Meta } from '@storybook/web-components-vite';
import { action } from 'storybook/actions';
import { MemoryPrivacyApi } from '../src/testing/memory-privacy-api.js';
import { configurePrivacyMenu, type PortholePrivacyMenuElement } from '../src/panel/privacy-menu.js';
import { names, shortHistory, type ChatArgs, type ChatContext, type Scenario } from './support/fixture.js';
import { chatMeta, chatStory } from './support/meta.js';

// The conversation menu in the panel's header: "Download transcript" and "Delete conversation",
// the confirmation, progress, the deleted state and the errors. The companion's privacy API is the
// in-memory one (src/testing/memory-privacy-api.ts) over the story's MemoryTransport.
export default {
  title: 'Privacy',
  ...chatMeta,
} satisfies Meta<ChatArgs>;

/** The menu needs a companion to ask: gateway sessions have one (direct mode needs `token-url`). */
const viaCompanion: Scenario['getToken'] = (session) => ({ ...session, mode: 'gateway' });

/** Opens the chat with the in-memory privacy API, then the menu; returns the API and the menu. */
async function openMenu(c: ChatContext): Promise<{ privacy: MemoryPrivacyApi; menu: PortholePrivacyMenuElement }> {
  const privacy = new MemoryPrivacyApi(c.server);
  configurePrivacyMenu({ api: privacy.factory });
  c.el.addEventListener('porthole-conversation-erased', (e) => action('porthole-conversation-erased')(e.detail));
  await c.openAndLoad();
  const root = c.panel!.shadowRoot!;
  await c.until(() => !!root.querySelector('[part="menu-button"]'));
  root.querySelector<HTMLElement>('[part="menu-button"]')!.click();
  await c.until(() => !!root.querySelector('porthole-privacy-menu')?.shadowRoot?.querySelector('[role="menu"]'));
  return { privacy, menu: root.querySelector('porthole-privacy-menu')! };
}

/** The menu's items and the dialog's Delete button, by role rather than text: every locale works. */
const TARGET = {
  'Download transcript': '[role="menuitem"]:nth-of-type(1)',
  'Delete conversation': '[role="menuitem"]:nth-of-type(2)',
  Delete: '[role="alertdialog"] .danger',
} as const;

/** Clicks the menu's item or the dialog's button `label` (English names, found by role). */
function press(menu: PortholePrivacyMenuElement, label: keyof typeof TARGET): void {
  menu.shadowRoot!.querySelector<HTMLElement>(TARGET[label])!.click();
}

const story = (run: (c: ChatContext) => Promise<void>, args: Partial<ChatArgs> = {}) =>
  chatStory({ transport: { history: shortHistory, names }, getToken: viaCompanion, run }, args);

/** The menu open from the header's ⋮ button, the first item focused (arrows, Home/End, Escape). */
export const MenuOpen = story(async (c) => {
  await openMenu(c);
});

/** "Delete conversation" asks first, in the panel: an alertdialog with Delete (focused) and Cancel. */
export const ConfirmDelete = story(async (c) => {
  const { menu } = await openMenu(c);
  press(menu, 'Delete conversation');
});

/** Deleting in progress (the companion never answers in this story): Delete is disabled, "Deleting…". */
export const Deleting = story(async (c) => {
  const { menu, privacy } = await openMenu(c);
  privacy.hold();
  press(menu, 'Delete conversation');
  await c.until(() => !!menu.shadowRoot!.querySelector('.danger'));
  press(menu, 'Delete');
});

/**
 * Deleted: the widget forgot the visitor (`porthole-conversation-erased` in the Actions panel), the
 * log says "Your conversation was deleted."; the next message starts a new conversation.
 */
export const Deleted = story(async (c) => {
  const { menu } = await openMenu(c);
  press(menu, 'Delete conversation');
  await c.until(() => !!menu.shadowRoot!.querySelector('.danger'));
  press(menu, 'Delete');
});

/** The companion cannot erase (503 `erasure_unavailable`): why, no Retry, `porthole-error` `privacy_failed`. */
export const DeleteUnavailable = story(async (c) => {
  const { menu, privacy } = await openMenu(c);
  privacy.failNext('erase', 'erasure_unavailable', 503);
  press(menu, 'Delete conversation');
  await c.until(() => !!menu.shadowRoot!.querySelector('.danger'));
  press(menu, 'Delete');
});

/** The transcript download failed on the network: the reason and a Retry (which then works). */
export const DownloadFailed = story(async (c) => {
  const { menu, privacy } = await openMenu(c);
  privacy.failNext('transcript', 'network');
  press(menu, 'Download transcript');
});

/** The transcript being prepared (the companion never answers in this story). */
export const Downloading = story(async (c) => {
  const { menu, privacy } = await openMenu(c);
  privacy.hold();
  press(menu, 'Download transcript');
});

/** The same menu in German (the locale control switches every story). */
export const MenuOpenGerman = story(
  async (c) => {
    await openMenu(c);
  },
  { locale: 'de' },
);
