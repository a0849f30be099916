import { expect, fixture, html, waitUntil } from '@open-wc/testing';
import 'axe-core'; // UMD: defines window.axe (the test runner does not convert it to ESM)
import type AxeCore from 'axe-core';
import { MemoryPrivacyApi } from '../testing/memory-privacy-api.js';
import type { TranscriptFile } from '../controllers/privacy-controller.js';
import { FakeClock, settle } from '../testing/fake-clock.js';
import { MemoryStorage, testSession } from '../testing/helpers.js';
import { MemoryTransport } from '../transport/memory-transport.js';
import '../element/define.js';
import type { PortholeChatElement } from '../element/porthole-chat.js';
import { configurePanel, PortholePanelElement } from './porthole-panel.js';
import { DOWNLOAD_REVOKE_DELAY } from '../render/save-blob.js';
import { fakePageTimers } from '../testing/fake-page-timers.js';
import { configurePrivacyMenu, saveTranscript, type PortholePrivacyMenuElement } from './privacy-menu.js';

interface Ctx {
  el: PortholePanelElement;
  server: MemoryTransport;
  privacy: MemoryPrivacyApi;
  storage: MemoryStorage;
  saved: TranscriptFile[];
  sessions: number;
  events: Array<{ type: string; detail: unknown }>;
}

/** An open panel in gateway mode (the menu needs a companion), its in-memory backend and privacy API. */
async function openPanel(server = new MemoryTransport({ history: [{ text: 'Hello, how can we help?' }] })): Promise<Ctx> {
  const storage = new MemoryStorage();
  const privacy = new MemoryPrivacyApi(server);
  const saved: TranscriptFile[] = [];
  const ctx = { server, privacy, storage, saved, sessions: 0, events: [] } as unknown as Ctx;
  configurePanel({ transportFactory: () => server, clock: new FakeClock(), storage });
  configurePrivacyMenu({ api: privacy.factory, save: (f) => saved.push(f) });
  const getToken = () => testSession({ mode: 'gateway', token: `tok-${++ctx.sessions}`, channelId: `conv-${ctx.sessions}` });
  const el = await fixture<PortholePanelElement>(html`<porthole-panel .getToken=${getToken}></porthole-panel>`);
  for (const t of ['porthole-error', 'porthole-conversation-erased'])
    el.addEventListener(t, (e) => ctx.events.push({ type: t, detail: (e as CustomEvent).detail }));
  el.open = true;
  await settle();
  await el.updateComplete;
  ctx.el = el;
  return ctx;
}

const $ = <T extends Element = HTMLElement>(el: PortholePanelElement, sel: string) => el.shadowRoot!.querySelector<T>(sel);
const menuOf = (el: PortholePanelElement) => $<PortholePrivacyMenuElement>(el, 'porthole-privacy-menu')!;
const m$ = <T extends Element = HTMLElement>(el: PortholePanelElement, sel: string) => menuOf(el).shadowRoot?.querySelector<T>(sel) ?? null;
const items = (el: PortholePanelElement) => [...menuOf(el).shadowRoot!.querySelectorAll<HTMLElement>('[role="menuitem"]')];
/** The element focused inside the panel, looking into the menu's shadow root. */
const focused = (el: PortholePanelElement) => {
  const a = el.shadowRoot!.activeElement;
  return a?.tagName === 'PORTHOLE-PRIVACY-MENU' ? a.shadowRoot!.activeElement : a;
};
const key = (target: Element, k: string) =>
  target.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true, composed: true, cancelable: true }));

async function flush(el: PortholePanelElement): Promise<void> {
  await settle();
  await menuOf(el)?.updateComplete;
  await el.updateComplete;
}

/** Clicks the menu button (loading the lazy chunk the first time) and waits for the menu. */
async function openMenu(el: PortholePanelElement): Promise<HTMLElement> {
  const button = $(el, '[part="menu-button"]')!;
  const was = button.getAttribute('aria-expanded');
  button.click();
  // The first click loads the menu's chunk.
  await waitUntil(() => button.getAttribute('aria-expanded') !== was, 'the menu button never toggled');
  await flush(el);
  return button;
}

async function violations(el: PortholePanelElement): Promise<string[]> {
  const axe = (window as unknown as { axe: typeof AxeCore }).axe;
  const r = await axe.run(el.shadowRoot!.querySelector('section')!, { resultTypes: ['violations'] });
  return r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.html).join(' | ')}`);
}

describe('<porthole-privacy-menu> (the conversation menu)', () => {
  afterEach(() => {
    configurePanel();
    configurePrivacyMenu();
  });

  it('shows a labelled menu button only while a session exists', async () => {
    const { el } = await openPanel();
    const button = $(el, '[part="menu-button"]')!;
    expect(button.getAttribute('aria-label')).to.equal('Conversation options');
    expect(button.getAttribute('aria-haspopup')).to.equal('menu');
    expect(button.hasAttribute('aria-expanded'), 'closed: no aria-expanded yet').to.equal(false);
    await el.logout();
    await el.updateComplete;
    expect($(el, '[part="menu-button"]'), 'no session, no menu').to.equal(null);
  });

  it('<porthole-chat no-privacy-menu> hides the menu button, whenever the attribute is set or removed', async () => {
    const server = new MemoryTransport();
    configurePanel({ transportFactory: () => server, clock: new FakeClock(), storage: new MemoryStorage() });
    const chat = await fixture<PortholeChatElement>(html`<porthole-chat no-privacy-menu></porthole-chat>`);
    chat.getToken = () => testSession({ mode: 'gateway' });
    await chat.open();
    await settle();
    const panel = chat.shadowRoot!.querySelector('porthole-panel')!;
    await panel.updateComplete;
    const button = $(panel, '[part="menu-button"]')!;
    expect(panel.session.current, 'the session is there').to.not.equal(undefined);
    expect(getComputedStyle(button).display).to.equal('none');
    chat.removeAttribute('no-privacy-menu');
    expect(getComputedStyle(button).display).to.not.equal('none');
    chat.setAttribute('no-privacy-menu', '');
    expect(getComputedStyle(button).display).to.equal('none');
    // The property reflects the attribute, both ways.
    expect(chat.noPrivacyMenu).to.equal(true);
    chat.noPrivacyMenu = false;
    expect(chat.hasAttribute('no-privacy-menu')).to.equal(false);
    expect(getComputedStyle(button).display).to.not.equal('none');
    chat.noPrivacyMenu = true;
    expect(chat.getAttribute('no-privacy-menu')).to.equal('');
    expect(getComputedStyle(button).display).to.equal('none');
  });

  it('the page styles the menu through porthole-chat::part(…): every part of it is re-exported', async () => {
    const server = new MemoryTransport();
    const privacy = new MemoryPrivacyApi(server);
    configurePanel({ transportFactory: () => server, clock: new FakeClock(), storage: new MemoryStorage() });
    configurePrivacyMenu({ api: privacy.factory, save: () => {} });
    const style = document.createElement('style');
    style.textContent = ['menu-button', 'privacy-menu', 'privacy-item', 'privacy-confirm', 'privacy-error', 'privacy-status']
      .map((p, i) => `porthole-chat::part(${p}){scroll-margin-top:${i + 1}px}`)
      .join('');
    document.head.append(style);
    try {
      const chat = await fixture<PortholeChatElement>(html`<porthole-chat></porthole-chat>`);
      chat.getToken = () => testSession({ mode: 'gateway' });
      await chat.open();
      await settle();
      const panel = chat.shadowRoot!.querySelector('porthole-panel')!;
      await panel.updateComplete;
      const margin = (el: Element | null) => (el ? getComputedStyle(el).scrollMarginTop : 'missing');
      const button = $(panel, '[part="menu-button"]')!;
      expect(margin(button), 'menu-button').to.equal('1px');
      button.click();
      await waitUntil(() => $(panel, 'porthole-privacy-menu') && m$(panel, '[part="privacy-menu"]'), 'the menu opens');
      expect(margin(m$(panel, '[part="privacy-menu"]')), 'privacy-menu').to.equal('2px');
      expect(margin(m$(panel, '[part="privacy-item"]')), 'privacy-item').to.equal('3px');
      m$(panel, '[part="privacy-item"]:last-child')!.click();
      await waitUntil(() => m$(panel, '[part="privacy-confirm"]'), 'the confirmation shows');
      expect(margin(m$(panel, '[part="privacy-confirm"]')), 'privacy-confirm').to.equal('4px');
      // A failed erasure shows privacy-error; a held download shows privacy-status.
      privacy.failNext('erase', 'network');
      m$(panel, '[part="privacy-confirm"] .danger')!.click();
      await waitUntil(() => m$(panel, '[part="privacy-error"]'), 'the error shows');
      expect(margin(m$(panel, '[part="privacy-error"]')), 'privacy-error').to.equal('5px');
      const release = privacy.hold();
      await menuOf(panel).toggle(button);
      m$(panel, '[part="privacy-item"]')!.click();
      await waitUntil(() => m$(panel, '[part="privacy-status"]'), 'the progress shows');
      expect(margin(m$(panel, '[part="privacy-status"]')), 'privacy-status').to.equal('6px');
      release();
      await waitUntil(() => !m$(panel, '[part="privacy-status"]'), 'the download ends');
    } finally {
      style.remove();
    }
  });

  it('a direct-mode session without token-url has no companion to ask: no menu', async () => {
    const server = new MemoryTransport();
    configurePanel({ transportFactory: () => server, clock: new FakeClock(), storage: new MemoryStorage() });
    const el = await fixture<PortholePanelElement>(html`<porthole-panel .getToken=${() => testSession()}></porthole-panel>`);
    el.open = true;
    await settle();
    await el.updateComplete;
    expect(el.session.current?.mode).to.equal('direct');
    expect($(el, '[part="menu-button"]')).to.equal(null);
  });

  it('keyboard: opens on a click with the first item focused, arrows/Home/End move, Escape closes and focus returns', async () => {
    const { el } = await openPanel();
    const button = await openMenu(el);
    expect(button.getAttribute('aria-expanded')).to.equal('true');
    const [download, erase] = items(el);
    expect(m$(el, '[role="menu"]')!.getAttribute('aria-label')).to.equal('Conversation options');
    expect(items(el).map((i) => i.textContent)).to.deep.equal(['Download transcript', 'Delete conversation']);
    expect(focused(el)).to.equal(download);
    key(download, 'ArrowDown');
    expect(focused(el)).to.equal(erase);
    key(erase, 'ArrowDown');
    expect(focused(el), 'wraps around').to.equal(download);
    key(download, 'ArrowUp');
    expect(focused(el)).to.equal(erase);
    key(erase, 'Home');
    expect(focused(el)).to.equal(download);
    key(download, 'End');
    expect(focused(el)).to.equal(erase);
    expect(await violations(el), 'axe, menu open').to.deep.equal([]);
    key(erase, 'Escape');
    await flush(el);
    expect(el.open, 'Escape closes the menu, not the chat').to.equal(true);
    expect(m$(el, '[role="menu"]')).to.equal(null);
    expect(button.getAttribute('aria-expanded')).to.equal('false');
    expect(focused(el)).to.equal(button);
    // ArrowUp on the button opens it with the last item focused; a second click closes it.
    key(button, 'ArrowUp');
    await flush(el);
    expect(focused(el)).to.equal(items(el)[1]);
    button.click();
    await flush(el);
    expect(m$(el, '[role="menu"]')).to.equal(null);
    expect(focused(el)).to.equal(button);
    // Tab leaves the menu and closes it.
    key(button, 'ArrowDown');
    await flush(el);
    key(items(el)[0], 'Tab');
    await flush(el);
    expect(m$(el, '[role="menu"]')).to.equal(null);
  });

  it('downloads the transcript as JSON with the conversation, through the API with the session token', async () => {
    const { el, saved, privacy, server } = await openPanel();
    await el.send('Please send me my data');
    await flush(el);
    await openMenu(el);
    items(el)[0].click();
    await flush(el);
    expect(privacy.calls).to.deep.equal([{ op: 'transcript', token: 'tok-1' }]);
    expect(saved).to.have.length(1);
    expect(saved[0].filename).to.match(/^porthole-transcript-\d{4}-\d{2}-\d{2}\.json$/);
    const body = JSON.parse(await saved[0].blob.text());
    expect(body.format).to.equal('porthole-transcript/1');
    expect(body.messages.map((m: { author: string; text: string }) => [m.author, m.text])).to.deep.equal([
      ['agent', 'Hello, how can we help?'],
      ['visitor', 'Please send me my data'],
    ]);
    expect(server.visitorPosts, 'a download changes nothing').to.have.length(1);
    expect(focused(el), 'focus back on the menu button').to.equal($(el, '[part="menu-button"]'));
  });

  it('saves through a blob: URL and a detached <a download> click, revoking the URL later (Firefox and Safari read it after the click)', async () => {
    const clock = new FakeClock();
    const restoreTimers = fakePageTimers(clock);
    const made: Blob[] = [];
    const log: string[] = [];
    const create = URL.createObjectURL;
    const revoke = URL.revokeObjectURL;
    const click = HTMLAnchorElement.prototype.click;
    URL.createObjectURL = (b: Blob | MediaSource) => (made.push(b as Blob), log.push('create'), 'blob:https://page.example/abc');
    URL.revokeObjectURL = (u: string) => void log.push(`revoke ${u}`);
    HTMLAnchorElement.prototype.click = function (this: HTMLAnchorElement) {
      log.push(`click ${this.href} ${this.download} ${this.isConnected}`);
    };
    try {
      const blob = new Blob(['{}'], { type: 'application/json' });
      saveTranscript({ blob, filename: 'porthole-transcript-2026-01-02.json' });
      expect(made).to.deep.equal([blob]);
      expect(log).to.deep.equal(['create', 'click blob:https://page.example/abc porthole-transcript-2026-01-02.json false']);
      await clock.tick(DOWNLOAD_REVOKE_DELAY);
      expect(log.at(-1)).to.equal('revoke blob:https://page.example/abc');
    } finally {
      restoreTimers();
      URL.createObjectURL = create;
      URL.revokeObjectURL = revoke;
      HTMLAnchorElement.prototype.click = click;
    }
  });

  it('Delete asks first in an alertdialog; Escape (or Cancel) cancels and focus returns to the button', async () => {
    const { el, privacy } = await openPanel();
    const button = await openMenu(el);
    items(el)[1].click();
    await flush(el);
    const dialog = m$(el, '[role="alertdialog"]')!;
    expect(dialog.querySelector(`#${dialog.getAttribute('aria-labelledby')}`)!.textContent).to.equal('Delete this conversation?');
    expect(dialog.querySelector(`#${dialog.getAttribute('aria-describedby')}`)!.textContent).to.contain('cannot be undone');
    expect(focused(el), 'focus moves into the dialog').to.equal(dialog.querySelector('.danger'));
    expect(await violations(el), 'axe, confirm').to.deep.equal([]);
    key(dialog.querySelector('.danger')!, 'Escape');
    await flush(el);
    expect(el.open).to.equal(true);
    expect(m$(el, '[role="alertdialog"]')).to.equal(null);
    expect(focused(el)).to.equal(button);
    await openMenu(el);
    items(el)[1].click();
    await flush(el);
    [...m$(el, '[role="alertdialog"]')!.querySelectorAll('button')].find((b) => b.textContent === 'Cancel')!.click();
    await flush(el);
    expect(m$(el, '[role="alertdialog"]')).to.equal(null);
    expect(focused(el)).to.equal(button);
    expect(privacy.calls, 'nothing erased').to.deep.equal([]);
  });

  it('deleting shows progress, then wipes the visitor, shows the new-visitor state and announces it', async () => {
    const { el, privacy, server, storage, events } = await openPanel();
    // One message stays queued (its send failed and waits for a retry): it is stored for the visitor.
    server.failNext('send', 'rejected');
    await el.send('a message that did not go');
    await flush(el);
    expect(storage.getItem('porthole:outbox:visitor'), 'queued in storage').to.contain('did not go');
    await openMenu(el);
    items(el)[1].click();
    await flush(el);
    const release = privacy.hold();
    const danger = m$(el, '[role="alertdialog"] .danger')!;
    danger.click();
    await flush(el);
    expect(danger.getAttribute('aria-disabled')).to.equal('true');
    expect(m$(el, '[role="alertdialog"] [role="status"]')!.textContent).to.equal('Deleting…');
    expect(await violations(el), 'axe, deleting').to.deep.equal([]);
    danger.click(); // a second press while deleting does nothing
    release();
    await flush(el);
    expect(privacy.calls).to.deep.equal([{ op: 'erase', token: 'tok-1' }]);
    expect(privacy.erased).to.equal(true);
    expect(storage.length, 'nothing left in storage').to.equal(0);
    expect(server.state, 'socket closed').to.equal('closed');
    expect(el.session.current).to.equal(undefined);
    expect(el.outbox.items).to.deep.equal([]);
    expect(el.conversation.messages).to.deep.equal([]);
    expect(el.shadowRoot!.querySelectorAll('[part="message"]')).to.have.length(0);
    const notice = $(el, '[part="log"] [role="status"]')!;
    expect(notice.textContent).to.equal('Your conversation was deleted.');
    expect($(el, '[part="log"]')!.getAttribute('aria-live'), 'inside the polite log').to.equal('polite');
    expect($(el, '[part="menu-button"]'), 'no session, no menu').to.equal(null);
    expect(m$(el, '[role="alertdialog"]')).to.equal(null);
    expect(focused(el), 'focus on the composer').to.equal($(el, 'textarea'));
    expect(events.filter((e) => e.type !== 'porthole-error' || (e.detail as { code: string }).code !== 'send_failed')).to.deep.equal([
      { type: 'porthole-conversation-erased', detail: { conversationId: 'conv-1' } },
    ]);
    expect(await violations(el), 'axe, deleted').to.deep.equal([]);
    // The next message starts a new session (a new conversation).
    await el.send('new start');
    await flush(el);
    expect(el.session.current?.token).to.equal('tok-2');
    expect(el.session.current?.channelId).to.equal('conv-2');
    expect($(el, '[part="menu-button"]'), 'the menu is back with the new session').to.not.equal(null);
  });

  it('503 erasure_unavailable: a clear reason, no Retry, porthole-error privacy_failed; nothing is wiped', async () => {
    const { el, privacy, events } = await openPanel();
    privacy.failNext('erase', 'erasure_unavailable', 503);
    await openMenu(el);
    items(el)[1].click();
    await flush(el);
    m$(el, '[role="alertdialog"] .danger')!.click();
    await flush(el);
    const alert = m$(el, '[part="privacy-error"]')!;
    expect(alert.getAttribute('role')).to.equal('alert');
    expect(alert.textContent).to.contain('The conversation could not be deleted.');
    expect(alert.textContent).to.contain('not available on this site');
    const buttons = [...alert.querySelectorAll('button')].map((b) => b.textContent);
    expect(buttons, 'retrying cannot help').to.deep.equal(['Close']);
    expect(focused(el)).to.equal(alert.querySelector('button'));
    expect(events).to.have.length(1);
    expect(events[0].type).to.equal('porthole-error');
    expect((events[0].detail as { code: string }).code).to.equal('privacy_failed');
    expect((events[0].detail as { message: string }).message).to.match(/^erase: /);
    expect(el.session.current, 'still signed in').to.not.equal(undefined);
    expect(await violations(el), 'axe, error').to.deep.equal([]);
    alert.querySelector('button')!.click();
    await flush(el);
    expect(m$(el, '[part="privacy-error"]')).to.equal(null);
    expect(focused(el)).to.equal($(el, '[part="menu-button"]'));
  });

  it('a network failure offers Retry, which erases', async () => {
    const { el, privacy, events } = await openPanel();
    privacy.failNext('erase', 'network');
    await openMenu(el);
    items(el)[1].click();
    await flush(el);
    m$(el, '[role="alertdialog"] .danger')!.click();
    await flush(el);
    const alert = m$(el, '[part="privacy-error"]')!;
    expect(alert.textContent).to.contain('Check your connection');
    const retry = [...alert.querySelectorAll('button')].find((b) => b.textContent === 'Try again')!;
    retry.click();
    await flush(el);
    await flush(el);
    expect(privacy.calls.map((c) => c.op)).to.deep.equal(['erase', 'erase']);
    expect(privacy.erased).to.equal(true);
    expect(events.map((e) => e.type)).to.deep.equal(['porthole-error', 'porthole-conversation-erased']);
  });

  it('a refused token (401) on download: the session has ended, no Retry; translated (de)', async () => {
    const { el, privacy, saved } = await openPanel();
    el.locale = 'de';
    await el.updateComplete;
    privacy.failNext('transcript', 'auth', 401);
    await openMenu(el);
    expect(items(el).map((i) => i.textContent)).to.deep.equal(['Verlauf herunterladen', 'Unterhaltung löschen']);
    items(el)[0].click();
    await flush(el);
    const alert = m$(el, '[part="privacy-error"]')!;
    expect(alert.textContent).to.contain('Der Verlauf konnte nicht heruntergeladen werden.');
    expect(alert.textContent).to.contain('Chat-Sitzung ist beendet');
    expect([...alert.querySelectorAll('button')].map((b) => b.textContent)).to.deep.equal(['Schließen']);
    expect(saved).to.deep.equal([]);
  });

  it('shows progress while the transcript is prepared; disconnecting aborts it and nothing is saved', async () => {
    const { el, privacy, saved, events } = await openPanel();
    const release = privacy.hold();
    await openMenu(el);
    items(el)[0].click();
    await flush(el);
    expect(m$(el, '[part="privacy-status"]')!.textContent).to.equal('Preparing your transcript…');
    expect(await violations(el), 'axe, downloading').to.deep.equal([]);
    const menu = menuOf(el);
    menu.remove();
    release();
    await settle();
    expect(menu.privacy.busy).to.equal(undefined);
    expect(saved).to.deep.equal([]);
    expect(events, 'an abort is no failure').to.deep.equal([]);
  });
});
