import { expect } from '@open-wc/testing';
import { FakeClock } from '../testing/fake-clock.js';
import { TestHost } from '../testing/helpers.js';
import type { ChatMessage } from '../transport/transport.js';
import { FLASH_MS, Notifier, SOUND_GAP_MS } from './notifications.js';

const message = (text: string, userId = 'agent'): ChatMessage => ({
  id: `p-${text}`,
  userId,
  text,
  createAt: 1,
  updateAt: 1,
  deleted: false,
  edited: false,
});

/** A panel as the notifier sees it: open or not, with a launcher whose shadow root holds the button. */
class Host extends TestHost {
  open = false;
  launcher = document.createElement('div');
  conversation = { names: { agent: 'Ada' } as Record<string, string> };
  constructor() {
    super();
    this.launcher.attachShadow({ mode: 'open' }).innerHTML = '<div class="w"><button part="launcher">x</button></div>';
    document.body.append(this.launcher);
  }
}

/** Replaces a read-only browser property (a prototype getter) for one test. */
function stub<T extends object>(target: T, key: string, value: unknown): () => void {
  Object.defineProperty(target, key, { value, configurable: true });
  return () => void delete (target as Record<string, unknown>)[key];
}

/** An AudioContext that records what it is asked to play. */
class FakeAudio {
  static made = 0;
  static started = 0;
  static closed = 0;
  currentTime = 0;
  destination = {};
  constructor() {
    FakeAudio.made++;
  }
  resume = () => Promise.resolve();
  close = () => (FakeAudio.closed++, Promise.resolve());
  createGain = () => ({ gain: { setValueAtTime() {}, exponentialRampToValueAtTime() {} }, connect: (n: unknown) => n });
  createOscillator = () => ({ frequency: {}, connect: (n: unknown) => n, start: () => FakeAudio.started++, stop() {} });
}

describe('Notifier', () => {
  let host: Host;
  let clock: FakeClock;
  let notes: Notifier;
  let restore: Array<() => void>;
  const title = document.title;

  beforeEach(() => {
    host = new Host();
    clock = new FakeClock();
    restore = [];
    notes = new Notifier(host, clock);
    host.connect();
    document.title = 'Shop';
  });
  afterEach(() => {
    host.disconnect();
    host.launcher.remove();
    restore.forEach((r) => r());
    document.title = title;
  });

  const preview = () => host.launcher.shadowRoot!.querySelector<HTMLElement>('[part="preview"]');
  const hidden = (value: boolean) => restore.push(stub(document, 'hidden', value));

  describe('title', () => {
    it('alternates "(n) New message · <title>" with the title, counting the messages, and restores it exactly when cleared', async () => {
      notes.notify(message('one'), 'title');
      expect(document.title).to.equal('(1) New message · Shop');
      await clock.tick(FLASH_MS);
      expect(document.title).to.equal('Shop');
      notes.notify(message('two'), 'title');
      await clock.tick(FLASH_MS);
      expect(document.title).to.equal('(2) New message · Shop');
      notes.clear();
      expect(document.title).to.equal('Shop');
      expect(clock.pending).to.equal(0);
      notes.notify(message('three'), 'title');
      expect(document.title).to.equal('(1) New message · Shop', 'the count starts again');
    });

    it('does not fight the site: a title the site sets is the one flashed and restored, and is left alone at the end', async () => {
      notes.notify(message('one'), 'title');
      document.title = 'Cart'; // the site's router, meanwhile
      await clock.tick(FLASH_MS);
      expect(document.title).to.equal('(1) New message · Cart');
      await clock.tick(FLASH_MS);
      expect(document.title).to.equal('Cart');
      await clock.tick(FLASH_MS);
      notes.clear();
      expect(document.title).to.equal('Cart');
      notes.notify(message('two'), 'title');
      document.title = 'Checkout';
      notes.clear();
      expect(document.title).to.equal('Checkout', 'the site’s latest title stays');
    });

    it('with the chat open in a hidden tab: flashes until the tab is visible again', async () => {
      host.open = true;
      hidden(true);
      notes.notify(message('one'), 'title');
      expect(document.title).to.equal('(1) New message · Shop');
      notes.hostUpdated(); // the panel renders the message: still hidden, still flashing
      await clock.tick(FLASH_MS);
      expect(document.title).to.equal('Shop');
      await clock.tick(FLASH_MS);
      expect(document.title).to.equal('(1) New message · Shop');
      restore.pop()!();
      hidden(false);
      document.dispatchEvent(new Event('visibilitychange'));
      expect(document.title).to.equal('Shop');
      expect(clock.pending).to.equal(0);
    });

    it('a visible tab with the chat closed keeps flashing until the chat opens', async () => {
      hidden(false);
      notes.notify(message('one'), 'title');
      document.dispatchEvent(new Event('visibilitychange'));
      expect(document.title).to.equal('(1) New message · Shop');
      host.open = true;
      notes.hostUpdated();
      expect(document.title).to.equal('Shop');
    });

    it('nothing while the chat is open in a visible tab, and nothing not asked for', () => {
      hidden(false);
      host.open = true;
      notes.notify(message('one'), 'sound title preview');
      host.open = false;
      notes.notify(message('two'), 'preview');
      expect(document.title).to.equal('Shop');
      expect(clock.pending).to.equal(1, 'only the preview’s text');
    });
  });

  describe('preview', () => {
    it('shows the author and the first line as text beside the launcher, in a live region filled once it exists', async () => {
      notes.notify(message('\n  Hi! <img src=x onerror=alert(1)> Are you still there?\nSecond line'), 'preview');
      const p = preview()!;
      expect(p.parentElement!.className).to.equal('w');
      const region = p.querySelector('[role="status"]')!;
      expect(region.textContent).to.equal('', 'filled after the region is in the page');
      await clock.tick(50);
      expect(region.querySelector('b')!.textContent).to.equal('Ada');
      expect(region.querySelector('span')!.textContent).to.equal('Hi! <img src=x onerror=alert(1)> Are you still there?');
      expect(p.querySelector('img')).to.equal(null);
      expect(getComputedStyle(region.querySelector('span')!).textOverflow).to.equal('ellipsis');
    });

    it('a newer message replaces the text in the same bubble; an unknown author is the team', async () => {
      notes.notify(message('one'), 'preview');
      await clock.tick(50);
      notes.notify(message('two', 'someone'), 'preview');
      expect(host.launcher.shadowRoot!.querySelectorAll('[part="preview"]')).to.have.length(1);
      expect(preview()!.querySelector('[role="status"]')!.textContent).to.equal('Supporttwo');
      notes.notify({ ...message(''), files: [{ id: 'f', name: 'invoice.pdf', size: 1, type: 'application/pdf' }] }, 'preview');
      expect(preview()!.querySelector('span')!.textContent).to.equal('invoice.pdf');
    });

    it('a second message before the first is shown wins', async () => {
      notes.notify(message('one'), 'preview');
      notes.notify(message('two'), 'preview');
      await clock.tick(50);
      expect(preview()!.querySelector('span')!.textContent).to.equal('two');
    });

    it('clicking it opens the chat; the dismiss button removes it and gives focus back to the launcher', async () => {
      notes.notify(message('one'), 'preview');
      await clock.tick(50);
      preview()!.querySelector('p')!.click();
      expect(host.launcher.hasAttribute('open')).to.equal(true);
      const dismiss = preview()!.querySelector<HTMLButtonElement>('[part="preview-dismiss"]')!;
      expect(dismiss.getAttribute('aria-label')).to.equal('Dismiss');
      dismiss.focus();
      dismiss.click();
      expect(preview()).to.equal(null);
      expect(host.launcher.shadowRoot!.activeElement).to.equal(host.launcher.shadowRoot!.querySelector('[part="launcher"]'));
    });

    it('goes when the chat opens or the messages are read, and hides with hide-launcher', async () => {
      notes.notify(message('one'), 'preview');
      host.launcher.setAttribute('hide-launcher', '');
      expect(getComputedStyle(preview()!).display).to.equal('none');
      host.launcher.removeAttribute('hide-launcher');
      expect(getComputedStyle(preview()!).display).to.equal('flex');
      host.open = true;
      notes.hostUpdated();
      expect(preview()).to.equal(null);
      host.open = false;
      notes.notify(message('two'), 'preview');
      notes.clear();
      expect(preview()).to.equal(null);
      await clock.tick(50); // the pending fill of a removed bubble is harmless
    });

    it('no preview for a message that arrives while open in a hidden tab (the log has it)', () => {
      host.open = true;
      hidden(true);
      notes.notify(message('one'), 'preview');
      expect(preview()).to.equal(null);
    });
  });

  describe('sound', () => {
    beforeEach(() => {
      FakeAudio.made = FakeAudio.started = FakeAudio.closed = 0;
      restore.push(stub(window, 'AudioContext', FakeAudio));
    });

    it('plays only once the visitor has interacted with the page, at most once per burst', async () => {
      restore.push(stub(navigator, 'userActivation', { hasBeenActive: false }));
      notes.notify(message('one'), 'sound');
      expect(FakeAudio.made).to.equal(0, 'no context before a gesture (autoplay policy)');
      restore.push(stub(navigator, 'userActivation', { hasBeenActive: true }));
      notes.notify(message('two'), 'sound');
      notes.notify(message('three'), 'sound');
      expect(FakeAudio.started).to.equal(1);
      await clock.tick(SOUND_GAP_MS);
      notes.notify(message('four'), 'sound');
      expect([FakeAudio.made, FakeAudio.started]).to.deep.equal([1, 2]);
      host.disconnect();
      expect(FakeAudio.closed).to.equal(1);
    });

    it('never throws: no Web Audio, or a refusing one', () => {
      restore.push(stub(navigator, 'userActivation', { hasBeenActive: true }));
      restore.push(
        stub(window, 'AudioContext', function () {
          throw new DOMException('refused', 'NotAllowedError');
        }),
      );
      expect(() => notes.notify(message('one'), 'sound title')).to.not.throw();
      expect(document.title).to.equal('(1) New message · Shop', 'the other ways still work');
    });
  });
});
