import { expect, fixture, html } from '@open-wc/testing';
import 'axe-core'; // UMD: defines window.axe (the test runner does not convert it to ESM)
import type AxeCore from 'axe-core';
import { FakeClock, settle } from '../testing/fake-clock.js';
import { MemoryStorage, testSession } from '../testing/helpers.js';
import { MemoryTransport } from '../transport/memory-transport.js';
import type { Session } from '../transport/transport.js';
import { configurePanel, PortholePanelElement } from './porthole-panel.js';

interface Ctx {
  el: PortholePanelElement;
  server: MemoryTransport;
  clock: FakeClock;
  events: Array<{ type: string; detail: unknown }>;
}

async function openPanel(
  server = new MemoryTransport(),
  getToken: () => unknown = () => testSession(),
  extra: Partial<PortholePanelElement> = {},
): Promise<Ctx> {
  const clock = new FakeClock();
  configurePanel({ transportFactory: () => server, clock, storage: new MemoryStorage() });
  const el = await fixture<PortholePanelElement>(html`<porthole-panel .getToken=${getToken}></porthole-panel>`);
  Object.assign(el, extra);
  const events: Ctx['events'] = [];
  for (const t of ['porthole-message', 'porthole-message-sent', 'porthole-state-change', 'porthole-error'])
    el.addEventListener(t, (e) => events.push({ type: t, detail: (e as CustomEvent).detail }));
  el.open = true;
  await settle();
  await el.updateComplete;
  return { el, server, clock, events };
}

const $ = <T extends Element = HTMLElement>(el: PortholePanelElement, sel: string) => el.shadowRoot!.querySelector<T>(sel);
const $$ = (el: PortholePanelElement, sel: string) => [...el.shadowRoot!.querySelectorAll<HTMLElement>(sel)];
const messages = (el: PortholePanelElement) => $$(el, '[part="message"]');

async function type(el: PortholePanelElement, text: string, key: Partial<KeyboardEventInit> = {}) {
  const ta = $<HTMLTextAreaElement>(el, 'textarea')!;
  ta.value = text;
  ta.dispatchEvent(new Event('input'));
  ta.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, composed: true, cancelable: true, ...key }));
  await el.updateComplete;
  return ta;
}

describe('<porthole-panel>', () => {
  afterEach(() => configurePanel());

  it('is a labelled dialog with a polite log, and focuses the composer when opened', async () => {
    const { el } = await openPanel();
    const dialog = $(el, '[role="dialog"]')!;
    expect(el.shadowRoot!.getElementById(dialog.getAttribute('aria-labelledby')!)!.textContent).to.equal('Chat with us');
    const log = $(el, '[part="log"]')!;
    expect(log.getAttribute('role')).to.equal('log');
    expect(log.getAttribute('aria-live')).to.equal('polite');
    // The log's name is its own, not the dialog's.
    expect(log.getAttribute('aria-label')).to.equal('Messages');
    expect(el.shadowRoot!.activeElement).to.equal($(el, 'textarea'));
    // The widget's words carry their language; the input follows what the visitor writes.
    expect(dialog.getAttribute('lang')).to.equal('en');
    expect($(el, 'textarea')!.getAttribute('dir')).to.equal('auto');
  });

  it('adds no second banner landmark to a page that has its own header (axe on the whole page)', async () => {
    const page = document.createElement('header');
    page.textContent = 'The shop';
    document.body.prepend(page);
    try {
      const { el } = await openPanel(undefined, undefined, { locale: 'de' });
      await el.updateComplete;
      expect($(el, '[role="dialog"]')!.getAttribute('lang')).to.equal('de');
      const axe = (window as unknown as { axe: typeof AxeCore }).axe;
      const result = await axe.run(document, { runOnly: ['landmark-no-duplicate-banner', 'landmark-unique', 'aria-allowed-role'] });
      expect(result.violations.map((v) => v.id)).to.deep.equal([]);
    } finally {
      page.remove();
    }
  });

  it('Enter sends, Shift+Enter does not; the message goes sending → sent', async () => {
    const server = new MemoryTransport();
    const release = server.hold();
    const { el, events } = await openPanel(server);
    const shift = await type(el, 'line 1', { shiftKey: true });
    expect(shift.value, 'Shift+Enter leaves the text for a new line').to.equal('line 1');
    expect(messages(el)).to.have.length(0);
    const ta = await type(el, 'hello\nthere');
    expect(ta.value).to.equal('');
    const [m] = messages(el);
    expect(m.dataset.state).to.equal('sending');
    expect(m.dataset.from).to.equal('visitor');
    expect(m.dataset.clientId).to.match(/^[0-9a-f-]{36}$/);
    release();
    await settle();
    await el.updateComplete;
    const [sent] = messages(el);
    expect(sent.dataset.state).to.equal('sent');
    expect(sent.dataset.postId).to.equal(server.visitorPosts[0].id);
    expect(sent.dataset.clientId).to.equal(m.dataset.clientId);
    expect(sent.querySelector('.text')!.textContent).to.equal('hello\nthere');
    expect(events.filter((e) => e.type === 'porthole-message-sent')).to.have.length(1);
    expect(server.visitorPosts).to.have.length(1);
  });

  it('a message whose answer was not understood offers a retry that sends it', async () => {
    const server = new MemoryTransport();
    const { el } = await openPanel(server);
    server.failNext('send', 'invalid');
    await type(el, 'try me');
    await settle();
    await el.updateComplete;
    expect(messages(el)[0].dataset.state).to.equal('failed');
    $(el, '[part="retry-message"]')!.click();
    await settle();
    await el.updateComplete;
    expect(messages(el)[0].dataset.state).to.equal('sent');
    expect(server.visitorPosts).to.have.length(1);
  });

  it('a refused message offers no retry, but can be edited back into the composer or removed', async () => {
    const server = new MemoryTransport();
    const { el } = await openPanel(server);
    server.failNext('send', 'rejected', false, undefined, 413);
    server.failNext('send', 'rejected');
    await type(el, 'first');
    await settle();
    await type(el, 'second');
    await settle();
    await el.updateComplete;
    const [first, second] = messages(el);
    expect(first.dataset.state).to.equal('failed');
    expect(first.textContent).to.contain('Not sent: too long.');
    expect(second.textContent).to.contain('Not sent.');
    expect($(el, '[part="retry-message"]')).to.equal(null);
    first.querySelector<HTMLElement>('[part="edit-message"]')!.click();
    await el.updateComplete;
    const ta = $<HTMLTextAreaElement>(el, 'textarea')!;
    expect(ta.value).to.equal('first');
    expect(el.shadowRoot!.activeElement).to.equal(ta);
    messages(el)[0].querySelector<HTMLElement>('[part="remove-message"]')!.click();
    await el.updateComplete;
    expect(messages(el)).to.have.length(0);
    expect(server.visitorPosts).to.have.length(0);
    // Sent again as a new message once edited.
    ta.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, composed: true, cancelable: true }));
    await settle();
    await el.updateComplete;
    expect(server.visitorPosts.map((p) => p.text)).to.deep.equal(['first']);
  });

  it("counts near Mattermost's 16,383-character limit and refuses a longer message with the reason, keeping the text", async () => {
    const server = new MemoryTransport();
    const { el } = await openPanel(server);
    const ta = $<HTMLTextAreaElement>(el, 'textarea')!;
    const counter = $(el, '[part="counter"]')!;
    ta.value = 'x'.repeat(1000);
    ta.dispatchEvent(new Event('input'));
    await el.updateComplete;
    expect(counter.hidden).to.equal(true);
    // Code points, as Mattermost counts: 16,000 emoji are 32,000 UTF-16 units.
    ta.value = '😀'.repeat(16_000);
    ta.dispatchEvent(new Event('input'));
    await el.updateComplete;
    expect(counter.hidden).to.equal(false);
    expect(counter.textContent!.trim()).to.equal('383 characters left');
    expect(ta.getAttribute('aria-describedby')).to.equal(counter.id);
    ta.value = '😀'.repeat(16_390);
    ta.dispatchEvent(new Event('input'));
    await el.updateComplete;
    expect(counter.textContent!.trim()).to.equal('7 characters too many');
    expect(counter.getAttribute('role')).to.equal('none');
    ta.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, composed: true, cancelable: true }));
    await settle();
    await el.updateComplete;
    expect(server.visitorPosts).to.have.length(0);
    expect(messages(el)).to.have.length(0);
    expect(ta.value).to.have.length(16_390 * 2);
    expect(counter.getAttribute('role')).to.equal('alert');
    expect(ta.getAttribute('aria-invalid')).to.equal('true');
    await expect(el).shadowDom.to.be.accessible();
    ta.value = '😀'.repeat(16_383);
    ta.dispatchEvent(new Event('input'));
    await el.updateComplete;
    expect(ta.getAttribute('aria-invalid')).to.equal('false');
    ta.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, composed: true, cancelable: true }));
    await settle();
    expect(server.visitorPosts).to.have.length(1);
    expect(ta.value).to.equal('');
  });

  it('shows agent messages with their name and emits porthole-message', async () => {
    const { el, server, events } = await openPanel();
    server.agentPost('Hi, how can we help?');
    await settle();
    await el.updateComplete;
    const [m] = messages(el);
    expect(m.dataset.from).to.equal('agent');
    expect(m.textContent).to.contain('Alex').and.contain('Hi, how can we help?');
    const ev = events.find((e) => e.type === 'porthole-message');
    expect((ev!.detail as { text: string }).text).to.equal('Hi, how can we help?');
  });

  it('shows the typing indicator while an agent types', async () => {
    const { el, server } = await openPanel();
    expect($(el, '[part="typing"]')!.hidden).to.equal(true);
    server.agentTyping();
    await el.updateComplete;
    expect($(el, '[part="typing"]')!.hidden).to.equal(false);
    server.agentPost('here');
    await el.updateComplete;
    expect($(el, '[part="typing"]')!.hidden).to.equal(true);
  });

  it('renders markup in messages as text and never links javascript:', async () => {
    const { el, server } = await openPanel();
    server.agentPost('<img src=x onerror=alert(1)> javascript:alert(1) https://ok.example');
    await el.updateComplete;
    const [m] = messages(el);
    expect(m.querySelector('img')).to.equal(null);
    expect(m.textContent).to.contain('<img src=x onerror=alert(1)>');
    expect([...m.querySelectorAll('a')].map((a) => a.getAttribute('href'))).to.deep.equal(['https://ok.example/']);
  });

  it('loads older messages', async () => {
    const history = Array.from({ length: 35 }, (_, i) => ({ text: `m${i}` }));
    const { el } = await openPanel(new MemoryTransport({ history }));
    expect(messages(el)).to.have.length(30);
    $(el, '[part="load-older"]')!.click();
    await settle();
    await el.updateComplete;
    expect(messages(el)).to.have.length(35);
    expect(messages(el)[0].textContent).to.contain('m0');
    expect($(el, '[part="load-older"]')).to.equal(null);
  });

  it('keeps each message in its own element when older messages are inserted above (no re-render of the list)', async () => {
    const history = Array.from({ length: 35 }, (_, i) => ({ text: `m${i}` }));
    const { el } = await openPanel(new MemoryTransport({ history }));
    const before = new Map(messages(el).map((m) => [m.dataset.postId, m]));
    $(el, '[part="load-older"]')!.click();
    await settle();
    await el.updateComplete;
    for (const [postId, element] of before) {
      expect(element.isConnected, `the element of ${postId} is still in the list`).to.equal(true);
      expect(element.dataset.postId).to.equal(postId);
    }
  });

  it('resyncs after the socket drops and comes back, without duplicates', async () => {
    const { el, server, events } = await openPanel(new MemoryTransport({ history: [{ text: 'first' }] }));
    server.drop();
    await el.updateComplete;
    expect($(el, '[part="status"]')!.textContent).to.contain('Reconnecting');
    server.agentPost('while you were away');
    await el.updateComplete;
    expect(messages(el)).to.have.length(1);
    server.restore();
    await settle();
    await el.updateComplete;
    expect(messages(el).map((m) => m.querySelector('.text')!.textContent)).to.deep.equal(['first', 'while you were away']);
    const states = events.filter((e) => e.type === 'porthole-state-change').map((e) => (e.detail as { state: string }).state);
    expect(states).to.deep.equal(['connecting', 'online', 'reconnecting', 'online']);
    expect(events.filter((e) => e.type === 'porthole-message')).to.have.length(1);
  });

  it('queues messages while disconnected and sends them after the reconnect', async () => {
    const { el, server } = await openPanel();
    server.drop(true);
    server.down = true;
    await type(el, 'sent while offline');
    await settle();
    await el.updateComplete;
    expect(messages(el)[0].dataset.state).to.equal('sending');
    server.restore();
    await settle();
    await el.updateComplete;
    expect(server.visitorPosts.map((p) => p.text)).to.deep.equal(['sent while offline']);
    expect(messages(el).map((m) => m.dataset.state)).to.deep.equal(['sent']);
  });

  it('shows the fallback after auth retries fail, keeps the draft, and recovers by itself', async () => {
    let up = false;
    const getToken = (): Session => {
      if (!up) throw new Error('companion down');
      return testSession();
    };
    const { el, clock, events } = await openPanel(new MemoryTransport(), getToken, { fallbackHref: 'mailto:help@example.com' });
    await clock.tick(5000); // the auth controller's three tries
    await el.updateComplete;
    const fb = $(el, '[part="fallback"]')!;
    expect(fb).to.not.equal(null);
    expect(fb.textContent).to.contain('cannot reach');
    expect($<HTMLAnchorElement>(el, '[part="fallback-link"]')!.getAttribute('href')).to.equal('mailto:help@example.com');
    expect(events.some((e) => e.type === 'porthole-error' && (e.detail as { code: string }).code === 'host_callback')).to.equal(true);

    const ta = $<HTMLTextAreaElement>(el, 'textarea')!;
    ta.value = 'draft kept';
    await type(el, 'pending kept').then(() => undefined);
    ta.value = 'draft kept';
    // Still down: the retry button probes and fails, the fallback stays.
    $(el, '[part="retry"]')!.click();
    await clock.tick(5000);
    await el.updateComplete;
    expect($(el, '[part="fallback"]')).to.not.equal(null);
    expect(messages(el).map((m) => m.dataset.state)).to.deep.equal(['sending']);

    up = true;
    await clock.tick(60_000); // backoff probes continue by themselves
    await el.updateComplete;
    expect($(el, '[part="fallback"]')).to.equal(null);
    expect(ta.value).to.equal('draft kept');
    await settle();
    await el.updateComplete;
    expect(messages(el).map((m) => m.dataset.state)).to.deep.equal(['sent']);
  });

  it('shows the fallback when Mattermost is unreachable, then recovers', async () => {
    const server = new MemoryTransport();
    server.down = true;
    const { el, clock } = await openPanel(server);
    await clock.tick(15_000); // the first load and the probes fail; past the 10 s grace period the breaker opens
    await el.updateComplete;
    expect($(el, '[part="fallback"]')).to.not.equal(null);
    server.restore();
    await clock.tick(60_000);
    await el.updateComplete;
    expect($(el, '[part="fallback"]')).to.equal(null);
  });

  it('asks for a new session when Mattermost refuses the token, and carries on', async () => {
    const server = new MemoryTransport({ history: [{ text: 'earlier' }] });
    server.failNext('latest', 'auth');
    let sessions = 0;
    const { el, events } = await openPanel(server, () => (sessions++, testSession({ token: `tok-${sessions}` })));
    await settle();
    await el.updateComplete;
    expect(sessions).to.equal(2);
    expect(events.filter((e) => e.type === 'porthole-error').map((e) => (e.detail as { code: string }).code)).to.deep.equal([
      'auth_failed',
    ]);
    expect(messages(el).map((m) => m.textContent)).to.satisfy((t: string[]) => t.some((x) => x.includes('earlier')));
    expect($(el, '[part="fallback"]')).to.equal(null);
  });

  it('shows the fallback, not an empty chat, when Mattermost refuses the history', async () => {
    const server = new MemoryTransport({ history: [{ text: 'earlier' }] });
    server.failNext('latest', 'rejected');
    const { el, events } = await openPanel(server);
    await settle();
    await el.updateComplete;
    expect(events.some((e) => e.type === 'porthole-error' && (e.detail as { code: string }).code === 'request_rejected')).to.equal(true);
    expect($(el, '[part="fallback"]')).to.not.equal(null);
    $<HTMLButtonElement>(el, '[part="retry"]')!.click();
    await settle();
    await el.updateComplete;
    expect($(el, '[part="fallback"]')).to.equal(null);
    expect(messages(el)).to.have.length(1);
  });

  it('logout while a session is being acquired does not sign the visitor back in', async () => {
    let calls = 0;
    let answer!: (s: Session) => void;
    const { el, clock, events } = await openPanel(new MemoryTransport(), () => (calls++, new Promise<Session>((r) => (answer = r))));
    await el.logout();
    answer(testSession());
    await settle();
    await clock.tick(120_000);
    await settle();
    expect(calls).to.equal(1);
    expect(events.filter((e) => e.type === 'porthole-error')).to.deep.equal([]);
    expect($(el, '[part="fallback"]')).to.equal(null);
  });

  it('says it is loading until the first page arrives, then shows the empty conversation', async () => {
    const server = new MemoryTransport();
    const release = server.hold();
    const { el } = await openPanel(server);
    expect($(el, '.empty')!.textContent).to.equal('Loading the conversation…');
    expect($(el, '.empty')!.getAttribute('role')).to.equal('status');
    release();
    await settle();
    await el.updateComplete;
    expect($(el, '.empty')!.textContent).to.equal('Send us a message and we will answer here.');
  });

  it('says so plainly when the companion refuses who the visitor is (not "down")', async () => {
    const fetchOrig = window.fetch;
    window.fetch = async () => new Response('{"error":{"code":"identity_invalid"}}', { status: 401 });
    try {
      const clock = new FakeClock();
      configurePanel({ transportFactory: () => new MemoryTransport(), clock, storage: new MemoryStorage() });
      const el = await fixture<PortholePanelElement>(html`<porthole-panel token-url="https://site.example/v1/session"></porthole-panel>`);
      const errors: string[] = [];
      el.addEventListener('porthole-error', (e) => errors.push(e.detail.code));
      el.open = true;
      await settle();
      await el.updateComplete;
      expect(errors).to.include('auth_rejected');
      expect($(el, '[part="fallback"] p')!.textContent).to.contain('could not confirm who you are');
    } finally {
      window.fetch = fetchOrig;
    }
  });

  it('uses the locale strings', async () => {
    const { el } = await openPanel(undefined, undefined, { locale: 'de' });
    await el.updateComplete;
    expect($(el, 'h2')!.textContent).to.equal('Schreiben Sie uns');
    expect($(el, 'textarea')!.getAttribute('aria-label')).to.equal('Nachricht');
  });

  it('has no axe violations, open with messages and in the fallback state', async () => {
    const { el, server, clock } = await openPanel(new MemoryTransport({ history: [{ text: 'Hello https://example.com' }] }));
    server.failNext('send', 'rejected');
    await type(el, 'mine');
    await settle();
    server.agentTyping();
    await el.updateComplete;
    const axe = (window as unknown as { axe: typeof AxeCore }).axe;
    const run = async () => {
      const r = await axe.run(el.shadowRoot!.querySelector('section')!, { resultTypes: ['violations'] });
      return r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.html).join(' | ')}`);
    };
    expect(await run()).to.deep.equal([]);
    server.down = true;
    el.health.failure(true);
    await clock.tick(0);
    await el.updateComplete;
    expect($(el, '[part="fallback"]')).to.not.equal(null);
    expect(await run()).to.deep.equal([]);
  });
});
