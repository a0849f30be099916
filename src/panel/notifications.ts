import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { Clock } from '../controllers/clock.js';
import { strings, type StringOverrides, type Strings } from '../i18n/index.js';
import type { ChatMessage } from '../transport/transport.js';

// The opt-in notifications (the launcher's `notify` attribute): a lazy chunk, loaded by the panel
// with the first message from the team that arrives while the chat is closed or the tab hidden.

const sheet = new CSSStyleSheet();
sheet.replaceSync(
  '.pv{position:absolute;bottom:68px;right:0;display:flex;align-items:flex-start;gap:4px;width:max-content;max-width:min(280px,calc(100vw - 40px));padding:8px 4px 8px 12px;box-sizing:border-box;border-radius:var(--porthole-radius,12px);background:var(--porthole-surface,#fff);color:var(--porthole-text,#1f2328);font:var(--porthole-font,15px/1.4 system-ui,sans-serif);box-shadow:0 4px 14px #0003;animation:pv .3s}' +
    '.bottom-left .pv{right:auto;left:0}' +
    '.pv p{margin:0;min-width:0;cursor:pointer}' +
    '.pv b,.pv span{display:block;overflow:hidden;white-space:nowrap;text-overflow:ellipsis}' +
    '.pv b{font-size:.8em}' +
    '.pv button{width:24px;height:24px;padding:0;flex:none;border:0;border-radius:50%;background:none;box-shadow:none;color:inherit;font:inherit;line-height:1}' +
    // `hide-launcher`: the site has its own button, and no bubble of ours beside it.
    ':host([hide-launcher]) .pv{display:none}' +
    '@keyframes pv{from{opacity:0;transform:translateY(8px)}}' +
    '@media(prefers-reduced-motion:reduce){.pv{animation:none}}',
);

/** How long each of the title's two states shows, in ms. */
export const FLASH_MS = 1000;
/** At most one sound in this many ms (a burst of messages is one sound). */
export const SOUND_GAP_MS = 2000;

/** What the notifier needs from the panel. */
export interface NotifierHost extends ReactiveControllerHost {
  /** Whether the chat is open. */
  readonly open: boolean;
  /** The `<porthole-chat>` element: the preview goes in its shadow root, beside the launcher button. */
  readonly launcher?: HTMLElement;
  /** The panel's language and the site's texts. */
  readonly locale?: string;
  readonly strings?: StringOverrides;
  /** Authors' display names, by user id. */
  readonly conversation: { readonly names: Record<string, string> };
}

/** The first line of a message with text, else its first file's name. */
const firstLine = (m: ChatMessage): string =>
  m.text
    .split('\n')
    .map((l) => l.trim())
    .find(Boolean) ??
  m.files?.[0]?.name ??
  '';

/**
 * Tells the visitor about a message from the team while the chat is closed or the tab hidden, in
 * the ways the launcher's `notify` attribute asks for (space-separated): `sound`, a short tone
 * (Web Audio; only once the visitor has interacted with the page, as browsers allow); `title`,
 * the tab's title alternating with "(2) New message · <title>" until the visitor sees the chat;
 * `preview`, a bubble beside the closed launcher (`part="preview"`) with the author and the
 * message's first line, which opens the chat when clicked, and a dismiss button
 * (`part="preview-dismiss"`). Everything stops, and the title is restored, when the chat opens
 * (or is read in another tab: `clear()`), and when the tab becomes visible with the chat open.
 *
 * @example
 * const notes = new Notifier(panel, clock);
 * notes.notify(message, launcher.getAttribute('notify') ?? '');
 */
export class Notifier implements ReactiveController {
  readonly #host: NotifierHost;
  readonly #clock: Clock;
  #audio?: AudioContext;
  #soundAt = -Infinity;
  /** Messages since the title began to flash. */
  #count = 0;
  #timer?: unknown;
  /** The page's own title (the last one the site set), and the one the notifier set last. */
  #base = '';
  #shown = '';
  #preview?: HTMLElement;

  constructor(host: NotifierHost, clock: Clock) {
    this.#host = host;
    this.#clock = clock;
    host.addController(this);
  }

  /** Notifies of `m` in the ways `notify` (the attribute's value) lists; nothing while the chat is open in a visible tab. */
  notify(m: ChatMessage, notify: string): void {
    const open = this.#host.open;
    if (open && !document.hidden) return;
    const ways = notify.split(/\s+/);
    if (ways.includes('sound')) this.#sound();
    if (ways.includes('title')) {
      this.#count++;
      if (this.#timer === undefined) {
        this.#base = this.#shown = document.title;
        document.addEventListener('visibilitychange', this.#visibility);
        this.#flash();
      }
    }
    if (ways.includes('preview') && !open) this.#show(m);
  }

  /** The visitor has seen the messages: stops the title and removes the preview. */
  clear(): void {
    this.#stopFlash();
    this.#hidePreview();
  }

  /** @internal */
  hostUpdated(): void {
    if (!this.#host.open) return;
    this.#hidePreview();
    if (!document.hidden) this.#stopFlash();
  }

  /** @internal */
  hostDisconnected(): void {
    this.clear();
    void this.#audio?.close().catch(() => {});
    this.#audio = undefined;
  }

  get #labels(): Strings {
    return strings(this.#host.locale, this.#host.strings);
  }

  #sound(): void {
    // Browsers block audio until the visitor has interacted with the page (autoplay policies):
    // before that, no sound rather than a suspended context and a console warning.
    const now = this.#clock.now();
    if (!navigator.userActivation?.hasBeenActive || now - this.#soundAt < SOUND_GAP_MS) return;
    this.#soundAt = now;
    try {
      const ctx = (this.#audio ??= new AudioContext());
      void ctx.resume().catch(() => {});
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      const t = ctx.currentTime;
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.15, t);
      gain.gain.exponentialRampToValueAtTime(0.001, t + 0.3);
      osc.connect(gain).connect(ctx.destination);
      osc.start(t);
      osc.stop(t + 0.3);
    } catch {
      // No Web Audio, or it refused: a notification is never worth an error.
    }
  }

  #flash = (): void => {
    // The site changed its title meanwhile (a SPA's route): that is the title to come back to.
    if (document.title !== this.#shown) this.#base = document.title;
    const alert = `(${this.#count}) ${this.#labels.newMessage}${this.#base ? ` · ${this.#base}` : ''}`;
    document.title = this.#shown = this.#shown === alert ? this.#base : alert;
    this.#timer = this.#clock.setTimeout(this.#flash, FLASH_MS);
  };

  #visibility = (): void => {
    if (!document.hidden && this.#host.open) this.#stopFlash();
  };

  #stopFlash(): void {
    if (this.#timer === undefined) return;
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    document.removeEventListener('visibilitychange', this.#visibility);
    // Restored exactly, unless the site has set a title of its own since the last flash.
    if (document.title === this.#shown) document.title = this.#base;
    this.#count = 0;
  }

  #show(m: ChatMessage): void {
    const root = this.#host.launcher?.shadowRoot;
    const box = root?.querySelector('[part~="launcher"]')?.parentElement;
    if (!root || !box) return;
    const labels = this.#labels;
    const who = document.createElement('b');
    const line = document.createElement('span');
    who.textContent = this.#host.conversation.names[m.userId] || labels.team;
    line.textContent = firstLine(m);
    let p = this.#preview?.querySelector('p');
    if (this.#preview && p) return p.replaceChildren(who, line);
    if (!root.adoptedStyleSheets.includes(sheet)) root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
    const preview = (this.#preview = document.createElement('div'));
    preview.className = 'pv';
    preview.setAttribute('part', 'preview');
    // A polite live region that exists before its text does, so screen readers announce the text
    // (a region inserted with its content is often not announced): author and line in one change.
    // The panel's own log is hidden while the chat is closed, so nothing else says it.
    p = document.createElement('p');
    p.setAttribute('role', 'status');
    p.addEventListener('click', () => this.#host.launcher?.toggleAttribute('open', true));
    const dismiss = document.createElement('button');
    dismiss.setAttribute('part', 'preview-dismiss');
    dismiss.setAttribute('aria-label', labels.dismiss);
    dismiss.textContent = '×';
    dismiss.addEventListener('click', () => {
      this.#hidePreview();
      root.querySelector<HTMLElement>('[part~="launcher"]')?.focus();
    });
    preview.append(p, dismiss);
    box.append(preview);
    // (Unless a newer message has filled it already.)
    const region = p;
    this.#clock.setTimeout(() => region.firstChild || region.replaceChildren(who, line), 50);
  }

  #hidePreview(): void {
    this.#preview?.remove();
    this.#preview = undefined;
  }
}
