import { expect, fixture, html } from '@open-wc/testing';
import { FakeClock, settle } from '../testing/fake-clock.js';
import { MemoryStorage, testSession } from '../testing/helpers.js';
import { MemoryTransport } from '../transport/memory-transport.js';
import './define.js';
import type { PortholeChatElement } from './porthole-chat.js';

type PanelModule = typeof import('../panel/porthole-panel.js');

function spyConsoleError() {
  const calls: string[] = [];
  const orig = console.error;
  console.error = (...a: unknown[]) => calls.push(a.join(' '));
  return { calls, restore: () => (console.error = orig) };
}

const launcher = (el: PortholeChatElement) => el.shadowRoot!.querySelector<HTMLButtonElement>('[part="launcher"]')!;
const panelOf = (el: PortholeChatElement) => el.shadowRoot!.querySelector('porthole-panel');

describe('<porthole-chat> launcher', () => {
  let server: MemoryTransport;
  let panelModule: PanelModule | undefined;
  const configure = async () => {
    panelModule ??= await import('../panel/porthole-panel.js');
    server = new MemoryTransport();
    panelModule.configurePanel({ transportFactory: () => server, clock: new FakeClock(), storage: new MemoryStorage() });
  };
  afterEach(() => panelModule?.configurePanel());

  it('renders one labelled launcher button', async () => {
    const el = await fixture<PortholeChatElement>(html`<porthole-chat></porthole-chat>`);
    const b = launcher(el);
    expect(b.getAttribute('aria-label')).to.equal('Open chat');
    expect(b.getAttribute('aria-expanded')).to.equal('false');
    expect(panelOf(el)).to.equal(null);
  });

  it('makes no request and writes no cookie or storage before the first click', async () => {
    const fetched: unknown[] = [];
    const origFetch = window.fetch;
    window.fetch = (...a: Parameters<typeof fetch>) => (fetched.push(a[0]), origFetch(...a));
    const cookie = document.cookie;
    const storage = localStorage.length;
    const resources = performance.getEntriesByType('resource').length;
    try {
      const el = await fixture<PortholeChatElement>(
        html`<porthole-chat token-url="https://site.example/session" locale="fr" position="bottom-left" title="Aide"></porthole-chat>`,
      );
      await settle(5);
      expect(fetched).to.deep.equal([]);
      expect(document.cookie).to.equal(cookie);
      expect(localStorage.length).to.equal(storage);
      expect(performance.getEntriesByType('resource').length).to.equal(resources);
      expect(panelOf(el)).to.equal(null);
    } finally {
      window.fetch = origFetch;
    }
  });

  it('logs one error naming attribute, value and what is allowed, and keeps the last good value', async () => {
    const el = await fixture<PortholeChatElement>(html`<porthole-chat position="bottom-left" locale="de"></porthole-chat>`);
    const spy = spyConsoleError();
    try {
      el.setAttribute('position', 'top-middle');
      expect(spy.calls).to.have.length(1);
      expect(spy.calls[0]).to.contain('position').and.contain('"top-middle"').and.contain('"bottom-right" or "bottom-left"');
      expect(el.shadowRoot!.querySelector('.w')!.classList.contains('bottom-left')).to.equal(true);

      el.setAttribute('token-url', 'javascript:alert(1)');
      expect(spy.calls).to.have.length(2);
      expect(spy.calls[1]).to.contain('token-url').and.contain('javascript:alert(1)').and.contain('http(s)');

      el.setAttribute('fallback-href', 'ftp://x');
      expect(spy.calls[2]).to.contain('fallback-href');

      el.setAttribute('locale', 'xx');
      expect(spy.calls, 'an unknown language is no error: English, with a console notice from the panel').to.have.length(3);
      expect(el.locale).to.equal('en');
      expect(el.position).to.equal('bottom-left');
      expect(el.tokenUrl).to.equal(null);

      el.setAttribute('locale', 'fr-CA');
      expect(launcher(el).getAttribute('aria-label')).to.equal('Ouvrir la discussion');

      (el as unknown as { getToken: unknown }).getToken = 'nope';
      expect(spy.calls).to.have.length(4);
      expect(spy.calls[3]).to.contain('getToken').and.contain('function');
    } finally {
      spy.restore();
    }
  });

  it('opens on click: loads the panel, moves focus into the composer, Escape closes and returns focus', async () => {
    await configure();
    const el = await fixture<PortholeChatElement>(html`<porthole-chat></porthole-chat>`);
    el.getToken = () => testSession();
    const events: string[] = [];
    for (const t of ['porthole-open', 'porthole-close'] as const) el.addEventListener(t, () => events.push(t));
    launcher(el).click();
    await el.open();
    await settle();
    const panel = panelOf(el)!;
    await panel.updateComplete;
    expect(el.hasAttribute('open')).to.equal(true);
    expect(el.isOpen).to.equal(true);
    expect(launcher(el).getAttribute('aria-expanded')).to.equal('true');
    expect(launcher(el).getAttribute('aria-controls')).to.equal(panel.id);
    expect(panel.shadowRoot!.activeElement).to.equal(panel.shadowRoot!.querySelector('textarea'));

    panel
      .shadowRoot!.querySelector('textarea')!
      .dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true, composed: true }));
    await panel.updateComplete;
    expect(el.hasAttribute('open')).to.equal(false);
    expect(launcher(el).getAttribute('aria-expanded')).to.equal('false');
    expect(el.shadowRoot!.activeElement).to.equal(launcher(el));
    expect(events).to.deep.equal(['porthole-open', 'porthole-close']);
  });

  it('forwards config and emits public events from the host element', async () => {
    await configure();
    const el = await fixture<PortholeChatElement>(html`<porthole-chat title="Help desk" locale="de"></porthole-chat>`);
    el.getToken = () => testSession();
    const got: CustomEvent[] = [];
    document.addEventListener('porthole-message', (e) => got.push(e), { once: true });
    await el.open();
    await settle();
    const panel = panelOf(el)!;
    await panel.updateComplete;
    expect(panel.shadowRoot!.querySelector('h2')!.textContent).to.equal('Help desk');
    expect(panel.getAttribute('exportparts')).to.contain('send');
    expect(panel.locale).to.equal('de');
    await settle(); // the session starts once the panel has rendered in German
    server.agentPost('Guten Tag');
    expect(got[0].target).to.equal(el);
    expect(got[0].bubbles && got[0].composed).to.equal(true);
    expect(got[0].detail.text).to.equal('Guten Tag');
  });

  it('counts messages that arrive while closed on the launcher, and clears the count on open', async () => {
    await configure();
    const el = await fixture<PortholeChatElement>(html`<porthole-chat></porthole-chat>`);
    el.getToken = () => testSession();
    await el.open();
    await settle();
    el.close();
    server.agentPost('one');
    server.agentPost('two');
    await settle();
    const badge = launcher(el).querySelector('[part~="badge"]')!;
    expect(badge.textContent).to.equal('2');
    expect(badge.getAttribute('aria-hidden')).to.equal('true');
    expect(launcher(el).getAttribute('aria-label')).to.equal('Open chat, 2 unread messages');
    await el.open();
    await settle();
    expect(launcher(el).querySelector('[part~="badge"]')).to.equal(null);
    expect(launcher(el).getAttribute('aria-label')).to.equal('Close chat'); // the panel labels the open state
  });

  it('send() loads the panel, queues and resolves; delivery is reported by porthole-message-sent', async () => {
    await configure();
    const el = await fixture<PortholeChatElement>(html`<porthole-chat></porthole-chat>`);
    el.getToken = () => testSession();
    const sent = new Promise<CustomEvent>((r) => el.addEventListener('porthole-message-sent', r, { once: true }));
    await el.send('from the host page');
    expect((await sent).detail.text).to.equal('from the host page');
    expect(server.visitorPosts).to.have.length(1);
    expect(() => el.send('  ')).to.throw(TypeError, 'non-empty string');
  });

  it('logout() closes, revokes and forgets the queue', async () => {
    await configure();
    const el = await fixture<PortholeChatElement>(html`<porthole-chat></porthole-chat>`);
    el.getToken = () => testSession();
    await el.open();
    await settle();
    expect(el.connectionState).to.equal('online');
    await el.logout();
    expect(el.hasAttribute('open')).to.equal(false);
    expect(panelOf(el)!.auth.session).to.equal(undefined);
    expect(el.connectionState, 'no live connection after logout').to.equal('idle');
  });

  it('preload loads the panel ahead of time without starting a session', async () => {
    await configure();
    let asked = 0;
    const el = await fixture<PortholeChatElement>(html`<porthole-chat preload></porthole-chat>`);
    el.getToken = () => (asked++, testSession());
    await new Promise((r) => (window.requestIdleCallback ?? setTimeout)(r));
    await settle();
    expect(panelOf(el)).to.not.equal(null);
    expect(asked).to.equal(0);
    expect(server.calls).to.deep.equal([]);
  });
});
