// The chat on a small screen (issue 12): below 480 px of width or height the open panel is a
// full-screen sheet over the visual viewport; the page behind it does not scroll and is left where
// it was; targets are 44 px and the input's font 16 px; nothing is clipped at 400 % zoom.
import { expect, fixture, html } from '@open-wc/testing';
import { setViewport } from '@web/test-runner-commands';
import '../element/define.js';
import type { PortholeChatElement } from '../element/porthole-chat.js';
import { configurePanel, type PortholePanelElement } from '../panel/porthole-panel.js';
import { FakeClock, settle } from '../testing/fake-clock.js';
import { MemoryStorage, testSession } from '../testing/helpers.js';
import { MemoryTransport } from '../transport/memory-transport.js';

const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));

/** Resizes the page and waits until the window has the new size (and a frame has been laid out). */
async function viewport(width: number, height: number) {
  await setViewport({ width, height });
  while (innerWidth !== width || innerHeight !== height) await frame();
  await frame();
}

const history = (n: number) => Array.from({ length: n }, (_, i) => ({ text: `Message ${i + 1}`, userId: i % 2 ? 'agent' : 'visitor' }));

interface Ctx {
  el: PortholeChatElement;
  panel: PortholePanelElement;
  server: MemoryTransport;
  clock: FakeClock;
}

/** A tall page scrolled to y = 500, with the chat open on it. */
async function openChat(server = new MemoryTransport({ history: history(30) }), session = testSession()): Promise<Ctx> {
  const clock = new FakeClock();
  configurePanel({ transportFactory: () => server, clock, storage: new MemoryStorage() });
  const page = await fixture<HTMLElement>(
    html`<div style="height: 4000px">
      <porthole-chat .getToken=${() => session} token-url="https://site.example/session"></porthole-chat>
    </div>`,
  );
  scrollTo(0, 500);
  const el = page.querySelector('porthole-chat')!;
  await el.open();
  const panel = el.shadowRoot!.querySelector('porthole-panel')!;
  await panel.updateComplete;
  // The controller's chunk (loaded when the panel opens as a sheet): once this import resolves, the panel's has.
  await import('./sheet-controller.js');
  await settle();
  await panel.updateComplete;
  await frame();
  return { el, panel, server, clock };
}

const $ = <T extends HTMLElement = HTMLElement>(panel: PortholePanelElement, sel: string) => panel.shadowRoot!.querySelector<T>(sel)!;
const rect = (e: Element) => {
  const { top, left, width, height } = e.getBoundingClientRect();
  return { top, left, width, height };
};
/** `e` lies inside the viewport and is what a tap at its centre reaches (nothing covers or clips it). */
function reachable(panel: PortholePanelElement, e: HTMLElement) {
  const r = e.getBoundingClientRect();
  expect(r.top, `${e.getAttribute('part')} top`).to.be.at.least(0);
  expect(r.left, `${e.getAttribute('part')} left`).to.be.at.least(0);
  expect(r.bottom, `${e.getAttribute('part')} bottom`).to.be.at.most(innerHeight);
  expect(r.right, `${e.getAttribute('part')} right`).to.be.at.most(innerWidth);
  expect(r.width * r.height).to.be.greaterThan(0);
  // Its centre and the middle of each edge, 4 px in (clear of rounded corners).
  const [x, y] = [(r.left + r.right) / 2, (r.top + r.bottom) / 2];
  for (const [px, py] of [
    [x, y],
    [r.left + 4, y],
    [r.right - 4, y],
    [x, r.top + 4],
    [x, r.bottom - 4],
  ])
    expect(panel.shadowRoot!.elementFromPoint(px, py)?.getAttribute('part'), `what a tap at ${px},${py} reaches`).to.equal(
      e.getAttribute('part'),
    );
}

describe('SheetController: the panel as a full-screen sheet on a small screen', () => {
  afterEach(async () => {
    configurePanel();
    document.documentElement.style.overflow = '';
    await viewport(800, 600);
  });

  it('at 375×667 fills the screen over a hidden launcher, locks the page and restores overflow and scroll position on close', async () => {
    await viewport(375, 667);
    document.documentElement.style.overflow = 'auto';
    const { el, panel } = await openChat();
    expect(rect(panel)).to.deep.equal({ top: 0, left: 0, width: 375, height: 667 });
    expect(rect($(panel, 'section'))).to.deep.equal({ top: 0, left: 0, width: 375, height: 667 });
    expect(getComputedStyle(el.shadowRoot!.querySelector('[part~="launcher"]')!).display).to.equal('none');
    expect(document.documentElement.style.overflow).to.equal('hidden');
    expect(scrollY).to.equal(500);
    // The page moves under the sheet meanwhile (iOS scrolls it to show the focused input above the keyboard).
    scrollTo(0, 900);
    el.close();
    await panel.updateComplete;
    expect(document.documentElement.style.overflow).to.equal('auto');
    expect(scrollY).to.equal(500);
    // Reopened, it locks again; removed from the page while open, it unlocks.
    await el.open();
    await panel.updateComplete;
    expect(document.documentElement.style.overflow).to.equal('hidden');
    el.remove();
    expect(document.documentElement.style.overflow).to.equal('auto');
  });

  it('makes every target at least 44×44 px and the input font at least 16 px', async () => {
    await viewport(375, 667);
    const server = new MemoryTransport({ history: history(60) });
    const { panel, clock } = await openChat(server, testSession({ mode: 'gateway', uploads: { maxBytes: 1e6, types: ['image/png'] } }));
    server.failNext('send', 'rejected');
    await panel.send('mine');
    await settle();
    await panel.updateComplete;
    const textarea = $(panel, 'textarea');
    expect(parseFloat(getComputedStyle(textarea).fontSize)).to.be.at.least(16);
    const targets = () =>
      [...panel.shadowRoot!.querySelectorAll('button')].map((b) => {
        const { width, height } = b.getBoundingClientRect();
        return { part: b.getAttribute('part'), small: width < 44 || height < 44 };
      });
    const conversation = targets();
    expect(conversation.map((t) => t.part)).to.include.members(['menu-button', 'close', 'load-older', 'remove-message', 'attach', 'send']);
    expect(conversation.filter((t) => t.small)).to.deep.equal([]);
    // The fallback's "Try again".
    server.down = true;
    panel.health.failure(true);
    await clock.tick(0);
    await panel.updateComplete;
    const fallback = targets();
    expect(fallback.map((t) => t.part)).to.include('retry');
    expect(fallback.filter((t) => t.small)).to.deep.equal([]);
  });

  it('follows the visual viewport: with the keyboard up the composer stays above it; no listener is left after close', async () => {
    await viewport(375, 667);
    // A stand-in for the browser's visualViewport (headless Chromium shows no on-screen keyboard).
    const listeners = new Set<string>();
    const fake = Object.assign(new EventTarget(), { offsetTop: 0, offsetLeft: 0, width: 375, height: 667, scale: 1 });
    const add = fake.addEventListener.bind(fake);
    const remove = fake.removeEventListener.bind(fake);
    fake.addEventListener = (type: string, fn: EventListenerOrEventListenerObject | null) => (listeners.add(type), add(type, fn));
    fake.removeEventListener = (type: string, fn: EventListenerOrEventListenerObject | null) => (listeners.delete(type), remove(type, fn));
    const real = Object.getOwnPropertyDescriptor(window, 'visualViewport');
    Object.defineProperty(window, 'visualViewport', { value: fake, configurable: true });
    try {
      const { el, panel } = await openChat();
      expect([...listeners].sort()).to.deep.equal(['resize', 'scroll']);
      // The keyboard takes the bottom 367 px and the browser scrolls the visual viewport by 120 px.
      Object.assign(fake, { height: 300, offsetTop: 120 });
      fake.dispatchEvent(new Event('resize'));
      fake.dispatchEvent(new Event('scroll'));
      expect(rect(panel)).to.deep.equal({ top: 120, left: 0, width: 375, height: 300 });
      const composer = $(panel, 'form').getBoundingClientRect();
      expect(composer.bottom).to.be.at.most(420);
      expect($(panel, '.log').clientHeight).to.be.greaterThan(60);
      // The keyboard goes down.
      Object.assign(fake, { height: 667, offsetTop: 0 });
      fake.dispatchEvent(new Event('resize'));
      expect(rect(panel)).to.deep.equal({ top: 0, left: 0, width: 375, height: 667 });
      el.close();
      await panel.updateComplete;
      expect([...listeners]).to.deep.equal([]);
      expect(panel.style.getPropertyValue('--vh')).to.equal('');
    } finally {
      if (real) Object.defineProperty(window, 'visualViewport', real);
      else delete (window as { visualViewport?: unknown }).visualViewport;
    }
  });

  it('on a desktop window stays the floating card and leaves the page alone', async () => {
    await viewport(1280, 800);
    const { el, panel } = await openChat();
    const r = rect(panel);
    expect(r.width).to.equal(380);
    expect(r.height).to.equal(560);
    expect(getComputedStyle(el.shadowRoot!.querySelector('[part~="launcher"]')!).display).to.not.equal('none');
    expect(document.documentElement.style.overflow).to.equal('');
    expect(parseFloat(getComputedStyle($(panel, 'textarea')).fontSize)).to.equal(15);
  });

  it('follows a resized window while open: no sheet, no lock; a sheet again, locked again', async () => {
    await viewport(375, 667);
    const { panel } = await openChat();
    expect(document.documentElement.style.overflow).to.equal('hidden');
    await viewport(1280, 800);
    expect(document.documentElement.style.overflow).to.equal('');
    expect(scrollY).to.equal(500);
    expect(rect(panel).width).to.equal(380);
    await viewport(375, 667);
    expect(document.documentElement.style.overflow).to.equal('hidden');
    expect(rect(panel)).to.deep.equal({ top: 0, left: 0, width: 375, height: 667 });
  });

  it('in landscape (667×375) is a sheet with a compact header and composer, and the log scrolls', async () => {
    await viewport(667, 375);
    const { el, panel } = await openChat();
    expect(rect(panel)).to.deep.equal({ top: 0, left: 0, width: 667, height: 375 });
    // The launcher would cover the composer (the launcher's `(max-height: 480px)` rule).
    expect(getComputedStyle(el.shadowRoot!.querySelector('[part~="launcher"]')!).display).to.equal('none');
    expect($(panel, 'header').getBoundingClientRect().height).to.be.at.most(48);
    expect($(panel, 'form').getBoundingClientRect().height).to.be.at.most(56);
    const log = $(panel, '.log');
    expect(log.clientHeight).to.be.at.least(200);
    expect(log.scrollHeight).to.be.greaterThan(log.clientHeight);
    log.scrollTop = 0;
    expect(log.scrollTop).to.equal(0);
    log.scrollTop = log.scrollHeight;
    expect(log.scrollTop).to.be.greaterThan(0);
  });

  it('at 400 % zoom (320×256) clips nothing: the input and the send button are reachable and work, the log scrolls', async () => {
    await viewport(320, 256);
    const { panel, server } = await openChat();
    expect(rect(panel)).to.deep.equal({ top: 0, left: 0, width: 320, height: 256 });
    for (const part of ['input', 'send', 'close']) reachable(panel, $(panel, `[part="${part}"]`));
    const log = $(panel, '.log');
    expect(log.clientHeight).to.be.at.least(80);
    expect(log.scrollHeight).to.be.greaterThan(log.clientHeight);
    const input = $<HTMLTextAreaElement>(panel, 'textarea');
    input.value = 'Hello at 400 %';
    input.dispatchEvent(new Event('input'));
    $(panel, '[part="send"]').click();
    await settle();
    await panel.updateComplete;
    expect(server.visitorPosts.at(-1)?.text).to.equal('Hello at 400 %');
  });
});
