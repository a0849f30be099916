// The panel's side of the launcher: the unread count and its event, the button's label and icon,
// the opt-in notifications (`notify`), and the "New messages" pill.
import { expect, fixture, html } from '@open-wc/testing';
import '../element/define.js';
import type { PortholeChatElement } from '../element/porthole-chat.js';
import { FakeClock, settle } from '../testing/fake-clock.js';
import { MemoryStorage, testSession } from '../testing/helpers.js';
import { MemoryTransport } from '../transport/memory-transport.js';
import { configurePanel, type PortholePanelElement } from './porthole-panel.js';

const CHAT = 'M2 3h20v15H9l-5 4v-4H2z';

describe('the panel and the launcher', () => {
  let server: MemoryTransport;
  let clock: FakeClock;
  const title = document.title;

  async function chat(attrs = ''): Promise<{ el: PortholeChatElement; counts: number[] }> {
    server = new MemoryTransport({ names: { agent: 'Ada' } });
    clock = new FakeClock();
    configurePanel({ transportFactory: () => server, clock, storage: new MemoryStorage() });
    const el = await fixture<PortholeChatElement>(html`<porthole-chat></porthole-chat>`);
    if (attrs) el.setAttribute('notify', attrs);
    el.getToken = () => testSession();
    const counts: number[] = [];
    el.addEventListener('porthole-unread-change', (e) => counts.push(e.detail.count));
    await el.open();
    await settle();
    await panel(el).updateComplete;
    return { el, counts };
  }
  const panel = (el: PortholeChatElement) => el.shadowRoot!.querySelector('porthole-panel')!;
  const button = (el: PortholeChatElement) => el.shadowRoot!.querySelector<HTMLButtonElement>('[part="launcher"]')!;
  const preview = (el: PortholeChatElement) => el.shadowRoot!.querySelector<HTMLElement>('[part="preview"]');
  async function closeAndReceive(el: PortholeChatElement, ...texts: string[]) {
    el.close();
    await panel(el).updateComplete;
    for (const t of texts) server.agentPost(t);
    await settle();
    await panel(el).updateComplete;
  }

  // The notifications' chunk, loaded once here, so that a test's settle() covers its import().
  before(() => import('./notifications.js'));
  afterEach(() => {
    configurePanel();
    document.title = title;
  });

  it('counts unread messages in porthole-unread-change and unreadCount, and 0 once opened', async () => {
    const { el, counts } = await chat();
    await closeAndReceive(el, 'one', 'two');
    expect(counts).to.deep.equal([1, 2]);
    expect(el.unreadCount).to.equal(2);
    expect(panel(el).unread).to.equal(2);
    await el.open();
    await settle();
    expect(counts).to.deep.equal([1, 2, 0]);
    expect(el.unreadCount).to.equal(0);
    server.agentPost('seen at once');
    await settle();
    expect(counts).to.deep.equal([1, 2, 0], 'no event for a message the visitor sees');
  });

  it('markRead() (read in another tab) clears the count and the notifications', async () => {
    const { el, counts } = await chat('title preview');
    await closeAndReceive(el, 'one');
    expect(preview(el)).to.not.equal(null);
    panel(el).markRead();
    await panel(el).updateComplete;
    expect(counts).to.deep.equal([1, 0]);
    expect(preview(el)).to.equal(null);
    expect(document.title).to.equal(title);
    expect(button(el).querySelector('[part~="badge"]')).to.equal(null);
    expect(button(el).getAttribute('aria-label')).to.equal('Open chat');
  });

  it('labels the button and swaps its icon with the open state, in the panel’s language', async () => {
    const { el } = await chat();
    const path = () => button(el).querySelector('path')!.getAttribute('d');
    expect(button(el).getAttribute('aria-label')).to.equal('Close chat');
    expect(path()).to.not.equal(CHAT);
    await closeAndReceive(el, 'one');
    expect(button(el).getAttribute('aria-label')).to.equal('Open chat, 1 unread message');
    expect(path()).to.equal(CHAT);
    el.setAttribute('locale', 'de');
    await settle();
    await panel(el).updateComplete;
    expect(button(el).getAttribute('aria-label')).to.equal('Chat öffnen, 1 ungelesene Nachricht');
  });

  it('notify="title preview": the lazy chunk flashes the title and shows the preview; opening stops both', async () => {
    const { el } = await chat('title preview');
    document.title = 'Shop';
    await closeAndReceive(el, 'Hello there\nsecond line');
    expect(document.title).to.equal('(1) New message · Shop');
    await clock.tick(50);
    expect(preview(el)!.querySelector('[role="status"]')!.textContent).to.equal('AdaHello there');
    preview(el)!.querySelector('p')!.click();
    await settle();
    await panel(el).updateComplete;
    expect(el.isOpen).to.equal(true);
    expect(preview(el)).to.equal(null);
    expect(document.title).to.equal('Shop');
  });

  it('without notify nothing loads, and notify is read at each message', async () => {
    const { el } = await chat();
    document.title = 'Shop';
    await closeAndReceive(el, 'one');
    expect(document.title).to.equal('Shop');
    expect(preview(el)).to.equal(null);
    el.setAttribute('notify', 'preview');
    server.agentPost('two');
    await settle();
    expect(preview(el)).to.not.equal(null);
    expect(document.title).to.equal('Shop');
  });
});

describe('the "New messages" pill', () => {
  let server: MemoryTransport;

  async function scrolledUp(): Promise<{ el: PortholePanelElement; log: HTMLElement }> {
    server = new MemoryTransport({ history: Array.from({ length: 30 }, (_, i) => ({ text: `Earlier message ${i}` })) });
    configurePanel({ transportFactory: () => server, clock: new FakeClock(), storage: new MemoryStorage() });
    const el = await fixture<PortholePanelElement>(html`<porthole-panel .getToken=${() => testSession()}></porthole-panel>`);
    el.open = true;
    await settle();
    await el.updateComplete;
    const log = el.shadowRoot!.querySelector<HTMLElement>('[part="log"]')!;
    expect(log.scrollHeight).to.be.greaterThan(log.clientHeight * 2, 'the history overflows the log');
    log.scrollTop = 0;
    log.dispatchEvent(new Event('scroll'));
    return { el, log };
  }
  const pill = (el: PortholePanelElement) => el.shadowRoot!.querySelector<HTMLButtonElement>('[part="new-messages"]');
  const atBottom = (log: HTMLElement) => log.scrollHeight - log.scrollTop - log.clientHeight < 1;

  afterEach(() => configurePanel());

  it('shows when a message arrives while the visitor is scrolled up; a click goes to the bottom and focuses the log', async () => {
    const { el, log } = await scrolledUp();
    server.agentPost('A new answer');
    await settle();
    await el.updateComplete;
    expect(log.scrollTop).to.equal(0, 'the reading position stays');
    expect(pill(el)!.textContent!.replace(/\s+/g, ' ').trim()).to.equal('New messages ↓');
    expect(pill(el)!.querySelector('[aria-hidden="true"]')!.textContent).to.equal('↓');
    pill(el)!.click();
    await el.updateComplete;
    expect(atBottom(log)).to.equal(true);
    expect(el.shadowRoot!.activeElement).to.equal(log);
    expect(pill(el)).to.equal(null);
  });

  it('goes when the visitor scrolls to the bottom', async () => {
    const { el, log } = await scrolledUp();
    server.agentPost('A new answer');
    await settle();
    await el.updateComplete;
    log.scrollTop = log.scrollHeight;
    log.dispatchEvent(new Event('scroll'));
    await el.updateComplete;
    expect(pill(el)).to.equal(null);
  });

  it('not at the bottom (the log follows), not for the visitor’s own message, not for older pages', async () => {
    const { el, log } = await scrolledUp();
    await el.send('my own message');
    await settle();
    await el.updateComplete;
    expect(pill(el)).to.equal(null);
    log.scrollTop = log.scrollHeight;
    log.dispatchEvent(new Event('scroll'));
    server.agentPost('A new answer');
    await settle();
    await el.updateComplete;
    expect(pill(el)).to.equal(null);
    expect(atBottom(log)).to.equal(true);
  });
});
