import type { GetToken } from '../controllers/auth-controller.js';
import { emit } from '../events/emit.js';
import { LAUNCHER_LABEL, matchLocale, type Locale } from '../i18n/locales.js';
import type { PortholePanelElement } from '../panel/porthole-panel.js';
import type { StringOverrides } from '../i18n/index.js';
import type { PortholeUpdate } from './update.js';
import type { ConnectionState } from '../transport/transport.js';

// The launcher is all a page pays for before the visitor acts (2 KB brotli budget): a plain
// custom element, hand-written validation, no Lit. The panel chunk loads on first use.

const CSS =
  '.w{position:fixed;bottom:20px;right:20px;z-index:var(--porthole-z-index,2147483000)}' +
  '.bottom-left{right:auto;left:20px}' +
  'button{width:56px;height:56px;padding:15px;border:0;border-radius:50%;background:var(--porthole-accent,#1a56db);color:var(--porthole-on-accent,#fff);cursor:pointer;box-shadow:0 4px 14px #0003}' +
  'button:focus-visible{outline:3px solid var(--porthole-accent,#1a56db);outline-offset:3px}' +
  'svg{display:block;fill:currentColor}' +
  'porthole-panel{position:absolute;bottom:72px;right:0}' +
  // `no-privacy-menu`: a style, not code, so the attribute works whenever it is set or removed.
  ':host([no-privacy-menu]) porthole-panel::part(menu-button){display:none}' +
  '.bottom-left porthole-panel{right:auto;left:0}' +
  // `hide-launcher`: the site opens the chat with its own button; on a phone the open sheet covers the page.
  ':host([hide-launcher]) button{display:none}@media(max-width:480px),(max-height:480px){:host([open]) button{display:none}}';

let sheet: CSSStyleSheet | undefined;

// In Node (server rendering, tests) there is no DOM: a stand-in base lets the module load (the tag is
// then never defined, see define.ts), so importing the package there does not throw.
const HTMLElement = globalThis.HTMLElement ?? (class {} as typeof globalThis.HTMLElement);

const PROPS = ['getToken', 'tokenUrl', 'position', 'locale', 'fallbackHref', 'isOpen', 'noPrivacyMenu', 'strings'] as const;

/**
 * Attributes that need no launcher code: styles above hide the menu button (`no-privacy-menu`) and the launcher
 * (`hide-launcher`) while they are set, and the panel reads `notify` and `report-pages` when it needs them.
 */
const PASSIVE = ['no-privacy-menu', 'hide-launcher', 'notify', 'report-pages'];

function invalid(name: string, value: unknown, allowed: string): void {
  console.error(`<porthole-chat>: invalid ${name} ${JSON.stringify(value)}, expected ${allowed}; kept the last valid value`);
}

function isUrl(value: string, schemes: RegExp): boolean {
  try {
    return schemes.test(new URL(value, location.href).protocol);
  } catch {
    return false;
  }
}

/**
 * A website chat whose conversations live in Mattermost. Shows a launcher button; the chat
 * panel (Lit, lazily loaded) opens on the first click, on `open()`, or ahead of time with
 * `preload`. Before the visitor acts it makes no request, sets no cookie and writes no storage.
 *
 * @summary Chat launcher and lazily loaded chat panel, backed by Mattermost.
 *
 * @attr {string} title - The dialog's title. Default: the locale's "Chat with us" (also the native `title` property).
 * @attr {boolean} no-privacy-menu - Hide the panel's conversation menu ("Download transcript", "Delete conversation"), for sites that offer their own privacy flow.
 * @attr {"" | "idle"} preload - Load the panel's code when the browser is idle, before the visitor acts (no session, no request to the companion).
 * @attr {boolean} hide-launcher - Hides the launcher button (with its badge and preview), for sites with their own button: open the chat with `open()` / `toggle()` or the `open` attribute.
 * @attr {string} notify - Opt-in notifications of a team message while the chat is closed or the tab hidden: space-separated `sound`, `title` (the tab title flashes), `preview` (a bubble with the message's first line beside the launcher).
 * @attr {boolean} report-pages - Gateway mode: once the visitor has a conversation, tells the team the page they are on (on open, SPA navigations, `update()`), debounced; read at each report. Loads a lazy chunk.
 *
 * @event {CustomEvent<undefined>} porthole-open - The panel opened.
 * @event {CustomEvent<undefined>} porthole-close - The panel closed.
 * @event {CustomEvent<ChatMessage>} porthole-message - A message from the team arrived.
 * @event {CustomEvent<ChatMessage>} porthole-message-sent - The server accepted a visitor's message.
 * @event {CustomEvent<{ state: ConnectionState }>} porthole-state-change - The connection state changed (`connecting`, `online`, `reconnecting`, `offline`); never repeats a state, `offline` only while the fallback or the offline notice shows.
 * @event {CustomEvent<{ code: PortholeErrorCode, message: string }>} porthole-error - Auth, network, a send, loading the panel, or a transcript download or deletion (`privacy_failed`) failed.
 * @event {CustomEvent<{ count: number }>} porthole-unread-change - The unread count changed: a message from the team arrived while the chat was closed, or it was opened (`count` 0). `unreadCount` holds the last `count`.
 * @event {CustomEvent<{ conversationId: string }>} porthole-conversation-erased - The visitor deleted the conversation from the conversation menu; the widget is back to a new visitor's state.
 *
 * @csspart launcher - The round launcher button.
 * @csspart badge - The unread count on the launcher (messages that arrived while the panel was closed).
 * @csspart preview - With `notify="preview"`: the bubble beside the closed launcher with the author and the first line of the latest message; clicking it opens the chat (hidden with `hide-launcher`).
 * @csspart preview-dismiss - The preview bubble's dismiss button.
 * @csspart new-messages - The "New messages ↓" button over the log, when a message from the team arrives while the visitor is scrolled up.
 * @csspart panel - The chat dialog.
 * @csspart header - The dialog's header.
 * @csspart menu-button - The header's conversation menu button (hidden with `no-privacy-menu`).
 * @csspart privacy-menu - The conversation menu (once opened): "Download transcript", "Delete conversation".
 * @csspart privacy-item - An item of the conversation menu.
 * @csspart privacy-confirm - The "Delete this conversation?" confirmation.
 * @csspart privacy-error - Why a transcript download or a deletion failed, with Retry where it can help.
 * @csspart privacy-status - "Preparing your transcript…".
 * @csspart close - The close button.
 * @csspart log - The message list.
 * @csspart message - One message (`data-post-id`, `data-client-id`, `data-state`, `data-from`).
 * @csspart message-text - A message's text.
 * @csspart link - A link inside a message.
 * @csspart code - Inline code in a message (markdown).
 * @csspart code-block - A code block in a message (markdown).
 * @csspart quote - A blockquote in a message (markdown).
 * @csspart list - A bullet or numbered list in a message (markdown).
 * @csspart table - A table in a message (markdown).
 * @csspart heading - A heading in a message (markdown; `role="heading"`).
 * @csspart retry-message - Retry button of a message that failed to send (only where a retry can help).
 * @csspart edit-message - Takes a failed message back into the composer.
 * @csspart remove-message - Drops a failed message.
 * @csspart counter - Character counter under the input, near Mattermost's 16,383-character limit.
 * @csspart load-older - The "load older messages" button.
 * @csspart typing - The typing indicator ("Ada is typing…").
 * @csspart availability - Under the header: whether the team is around, a dot and the expected-reply text (`data-state`).
 * @csspart avatar - An agent's face (profile image or initials) before their name.
 * @csspart time - A message's time (`<time>`; the full date as its title).
 * @csspart day - A day separator: Today, Yesterday or a date.
 * @csspart status - The connection status line.
 * @csspart fallback - What shows when the service is unreachable.
 * @csspart retry - The fallback's retry button.
 * @csspart fallback-link - The fallback's contact link (`fallback-href`).
 * @csspart offline-notice - Gateway mode, Mattermost down: says messages are saved and answered here (instead of the fallback).
 * @csspart contact-form - The pre-chat / offline contact form (fields from the companion's `PORTHOLE_CONTACT_FIELDS`), shown while the team is not online, before the visitor's first message.
 * @csspart contact-input - A field of the contact form.
 * @csspart contact-error - What is wrong with a field of the contact form.
 * @csspart contact-submit - The contact form's Continue button.
 * @csspart contact-skip - The contact form's Skip button.
 * @csspart contact-thanks - What the visitor is told once the contact form is sent.
 * @csspart composer - The form holding the input and the send button.
 * @csspart input - The message textarea.
 * @csspart send - The send button.
 * @csspart attach - The composer's paperclip button (only when the companion accepts uploads).
 * @csspart attachments - The files attached to the message being written.
 * @csspart attachment - One attached file (`data-state`: uploading, done, failed).
 * @csspart progress - An upload's labelled progress bar.
 * @csspart cancel-upload - Stops an upload in flight.
 * @csspart upload-error - Why an attached file cannot go.
 * @csspart retry-upload - Retries a failed upload (only where it can help).
 * @csspart remove-upload - Removes an attached file.
 * @csspart files - The files of a message.
 * @csspart file - One file of a message.
 * @csspart file-preview - An image file's preview (a `blob:` URL in a box sized before it loads).
 * @csspart file-link - A download link with the file's name and size.
 * @csspart file-size - The size inside a download link.
 *
 * @cssproperty --porthole-accent - Accent colour (launcher, send button, visitor messages). Default `#1a56db`.
 * @cssproperty --porthole-on-accent - Text colour on the accent. Default `#fff`.
 * @cssproperty --porthole-font - Font shorthand. Default `15px/1.4 system-ui, sans-serif`.
 * @cssproperty --porthole-radius - Corner radius of the panel and messages. Default `12px`.
 * @cssproperty --porthole-z-index - Stacking order of the widget. Default `2147483000`.
 * @cssproperty --porthole-color-scheme - The panel's `color-scheme`: `light dark` follows the visitor's `prefers-color-scheme`, `light` or `dark` forces one. Default `light dark`.
 * @cssproperty --porthole-surface - Background of the panel and the input. Default `#fff` (dark: `#161b22`).
 * @cssproperty --porthole-text - Text colour in the panel. Default `#1f2328` (dark: `#f0f6fc`).
 * @cssproperty --porthole-muted - Secondary text (names, states, typing) and the input's border. Default `#57606a` (dark: `#9198a1`).
 * @cssproperty --porthole-bubble - Background of the team's messages. Default `#eef0f3` (dark: `#262c36`).
 * @cssproperty --porthole-border - Separator above the composer. Default `#d0d7de` (dark: `#30363d`).
 * @cssproperty --porthole-badge - Background of the unread count. Default `#d1242f`.
 * @cssproperty --porthole-code-bg - Background of code in messages. Default `rgb(127 127 127 / 0.15)`.
 * @cssproperty --porthole-quote-border - The bar beside a quote in a message. Default `#d0d7de` (dark: `#30363d`).
 * @cssproperty --porthole-table-border - Cell borders of a table in a message. Default `#d0d7de` (dark: `#30363d`).
 * @cssproperty --porthole-avatar-size - Size of an agent's face. Default `20px`.
 * @cssproperty --porthole-online - Availability dot, an agent online. Default `#2da44e`.
 * @cssproperty --porthole-away - Availability dot, the team away. Default `#d4a72c`.
 * @cssproperty --porthole-offline - Availability dot, nobody online, closed or unreachable. Default `#8c959f`.
 * @cssproperty --porthole-button-bg - Background of the panel's secondary buttons (retry, fallback-link, retry-message, edit-message, remove-message, load-older). Default `--porthole-surface`'s value.
 * @cssproperty --porthole-button-text - Text of those buttons. Default `--porthole-text`'s value.
 * @cssproperty --porthole-button-border - Border colour of those buttons. Default `--porthole-border`'s value.
 * @cssproperty --porthole-button-radius - Corners of those buttons. Default `8px`.
 * @cssproperty --porthole-button-padding - Padding of those buttons. Default `4px 12px`.
 * @cssproperty --porthole-button-hover-bg - Background of those buttons on hover. Default `--porthole-bubble`'s value.
 *
 * @example
 * ```html
 * <porthole-chat token-url="/porthole/v1/session" title="Talk to us"></porthole-chat>
 * ```
 */
export class PortholeChatElement extends HTMLElement {
  /** @internal Custom element protocol: the attributes above. */
  static readonly observedAttributes = [
    'token-url',
    'title',
    'position',
    'open',
    'locale',
    'fallback-href',
    'preload',
    // PASSIVE:
    'no-privacy-menu',
    'hide-launcher',
    'notify',
    'report-pages',
  ];

  #button: HTMLButtonElement;
  /** The fixed-position box holding the button and, once loaded, the panel. */
  #box: HTMLDivElement;
  #panel?: PortholePanelElement;
  #load?: Promise<PortholePanelElement>;
  #tokenUrl?: string;
  #title?: string;
  #pos = 'bottom-right';
  #locale?: Locale;
  #fallback?: string;
  #getToken?: GetToken;
  #state: ConnectionState | 'idle' = 'idle';
  #unread = 0;
  #strings?: StringOverrides;

  constructor() {
    super();
    this.addEventListener('porthole-state-change', (e) => (this.#state = e.detail.state));
    this.addEventListener('porthole-unread-change', (e) => (this.#unread = e.detail.count));
    const root = this.attachShadow({ mode: 'open' });
    // A constructable stylesheet rather than <style>: no `style-src 'unsafe-inline'` needed.
    root.adoptedStyleSheets = [(sheet ??= new CSSStyleSheet())];
    if (!sheet.cssRules.length) sheet.replaceSync(CSS);
    const box = (this.#box = document.createElement('div'));
    const button = (this.#button = document.createElement('button'));
    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('aria-hidden', 'true');
    path.setAttribute('d', 'M2 3h20v15H9l-5 4v-4H2z');
    svg.append(path);
    button.append(svg);
    button.setAttribute('part', 'launcher');
    button.setAttribute('aria-expanded', 'false');
    button.addEventListener('click', () => void this.toggle());
    box.append(button);
    root.append(box);
    this.#sync();
  }

  /** @internal Custom element lifecycle, called by the browser. */
  connectedCallback(): void {
    // Properties set before the element was upgraded shadow the accessors: re-apply them.
    for (const key of PROPS)
      if (Object.hasOwn(this, key)) {
        const value = this[key];
        delete this[key];
        (this as Record<string, unknown>)[key] = value;
      }
  }

  /** @internal Custom element lifecycle, called by the browser. */
  attributeChangedCallback(name: string, _old: string | null, value: string | null): void {
    if (PASSIVE.includes(name)) return;
    if (name === 'open') {
      value === null ? this.#hide() : void this.#show();
      return;
    }
    if (name === 'preload') {
      if (value === '' || value === 'idle') (window.requestIdleCallback ?? setTimeout)(() => this.#ensure().catch(() => {}));
      else if (value !== null) invalid('preload', value, '"" or "idle"');
      return;
    }
    if (name === 'title') this.#title = value ?? undefined;
    else if (name === 'position') {
      if (value === null || value === 'bottom-right' || value === 'bottom-left') this.#pos = value ?? 'bottom-right';
      else invalid('position', value, '"bottom-right" or "bottom-left"');
    } else if (name === 'locale')
      // An unknown language shows English; the panel says so once in the console (src/i18n/index.ts).
      this.#locale = value === null ? undefined : (matchLocale(value) ?? 'en');
    else if (value === null || isUrl(value, name === 'token-url' ? /^https?:$/ : /^(https?|mailto|tel):$/)) {
      if (name === 'token-url') this.#tokenUrl = value ?? undefined;
      else this.#fallback = value ?? undefined;
    } else invalid(name, value, 'an http(s)' + (name === 'token-url' ? '' : ', mailto: or tel:') + ' URL');
    this.#sync();
  }

  /**
   * URL of the companion's session endpoint (`POST` to start, `DELETE` to end). Attribute `token-url`.
   * @attr token-url
   */
  get tokenUrl(): string | null {
    return this.#tokenUrl ?? null;
  }
  set tokenUrl(value: string | null) {
    this.#attr('token-url', value);
  }

  /**
   * Corner of the launcher: `bottom-right` (default) or `bottom-left`.
   * @attr position
   */
  get position(): string | null {
    return this.#pos;
  }
  set position(value: string | null) {
    this.#attr('position', value);
  }

  /**
   * Language of the widget: `en`, `fr`, `de`, `es`, `pt`, `it`, `nl`, `ar` or `he` (region subtags ignored; `ar`, `he` right to left). Any other shows English, and the console says so once. Default: the page's `lang`, else `en`.
   * @attr locale
   */
  get locale(): string | null {
    return this.#locale ?? null;
  }
  set locale(value: string | null) {
    this.#attr('locale', value);
  }

  /**
   * Where the fallback UI sends visitors when the chat is unreachable (http(s), mailto: or tel:). Attribute `fallback-href`.
   * @attr fallback-href
   */
  get fallbackHref(): string | null {
    return this.#fallback ?? null;
  }
  set fallbackHref(value: string | null) {
    this.#attr('fallback-href', value);
  }

  /** The live connection's state: `idle` until the chat first opens (and again after `logout()` or `shutdown()`), then `connecting`, `online`, `reconnecting` or `offline`. Read-only. */
  get connectionState(): ConnectionState | 'idle' {
    return this.#state;
  }

  /** Messages from the team the visitor has not seen (they arrived while the chat was closed); `porthole-unread-change` tells when it changes. Read-only. */
  get unreadCount(): number {
    return this.#unread;
  }

  /**
   * Overrides any of the widget's texts, over the locale's: `{ title: 'Ask us', send: 'Go' }` (keys as in
   * `Strings`, functions for the counted ones; the lazy parts' texts under `privacy`, `attachments` and `contactForm`, see
   * docs/api.md, "Locales and texts"). Unknown keys and wrong types are reported in the console and ignored.
   */
  get strings(): StringOverrides | undefined {
    return this.#strings;
  }
  set strings(value: StringOverrides | undefined | null) {
    this.#strings = value ?? undefined;
    this.#sync();
  }

  /**
   * Whether the panel is open; mirrors the `open` attribute. (A property named `open` would
   * clash with the `open()` method: use the attribute or this property.)
   * @attr open
   */
  get isOpen(): boolean {
    return this.hasAttribute('open');
  }
  set isOpen(value: boolean) {
    this.toggleAttribute('open', !!value);
  }

  /**
   * Whether the panel's conversation menu ("Download transcript", "Delete conversation") is hidden,
   * for sites that offer their own privacy flow; mirrors the boolean `no-privacy-menu` attribute.
   * @attr no-privacy-menu
   */
  get noPrivacyMenu(): boolean {
    return this.hasAttribute('no-privacy-menu');
  }
  set noPrivacyMenu(value: boolean) {
    this.toggleAttribute('no-privacy-menu', !!value);
  }

  /**
   * For signed-in users: a function returning (or resolving to) the companion's session
   * response `{ serverUrl, token, expiresAt, userId, channelId }`. Used instead of `token-url`
   * to get a session; `token-url` still receives the `DELETE` on `logout()`.
   */
  get getToken(): GetToken | undefined {
    return this.#getToken;
  }
  set getToken(fn: GetToken | undefined | null) {
    if (fn != null && typeof fn !== 'function') invalid('getToken', typeof fn, 'a function or null');
    else {
      this.#getToken = fn ?? undefined;
      this.#sync();
    }
  }

  /** Opens the panel, loading it first if needed. Resolves once it is loaded. */
  open(): Promise<void> {
    this.toggleAttribute('open', true);
    return this.#ensure().then(() => {});
  }

  /** Closes the panel. */
  close(): void {
    this.removeAttribute('open');
  }

  /** Opens the panel when closed, closes it when open. */
  toggle(): Promise<void> {
    if (!this.isOpen) return this.open();
    this.close();
    return Promise.resolve();
  }

  /**
   * Sends `text` as the visitor. Loads the panel (and starts a session) if needed; resolves
   * once the message is queued — delivery is reported by `porthole-message-sent`.
   * @throws TypeError when `text` is not a non-empty string.
   */
  send(text: string): Promise<void> {
    if (typeof text !== 'string' || !text.trim())
      throw new TypeError(`<porthole-chat>.send(text): expected a non-empty string, received ${JSON.stringify(text) ?? typeof text}`);
    return this.#ensure().then((panel) => panel.send(text));
  }

  /** Ends the visitor's session (revokes the token, forgets the queue) and closes the panel. */
  async logout(): Promise<void> {
    this.close();
    await this.#panel?.logout();
    this.#state = 'idle'; // no live connection until the chat opens again
  }

  /**
   * Tells the widget what changed in a single-page app ({@link PortholeUpdate}): `identity: true` when the signed-in
   * visitor may have changed (a new session is asked for; another visitor starts over), `name` (sent with the session
   * request), `page` (reported with `report-pages`; `update()` alone is a page change). Does nothing before the chat
   * was first opened. Rejects with a TypeError saying what was expected and received on bad input.
   */
  update(changes?: PortholeUpdate): Promise<void> {
    return Promise.resolve(this.#panel?.applyUpdate(changes));
  }

  /**
   * Ends the visitor's session and forgets the visitor on this browser: the companion expires its visitor cookie,
   * the widget wipes its storage and queue, and the next chat is a new visitor's (Intercom's `shutdown`).
   */
  async shutdown(): Promise<void> {
    this.close();
    await (await this.#ensure()).shutdown();
    this.#state = 'idle';
  }

  #attr(name: string, value: string | null): void {
    value == null ? this.removeAttribute(name) : this.setAttribute(name, value);
  }

  #sync(): void {
    const locale = this.#locale ?? matchLocale(document.documentElement.lang) ?? 'en';
    this.#box.className = 'w ' + this.#pos;
    const panel = this.#panel;
    // Once loaded, the panel labels the button (open or closed, unread messages).
    if (!panel) return this.#button.setAttribute('aria-label', LAUNCHER_LABEL[locale]);
    panel.strings = this.#strings;
    panel.tokenUrl = this.#tokenUrl;
    panel.heading = this.#title;
    panel.locale = locale;
    panel.fallbackHref = this.#fallback;
    panel.getToken = this.#getToken;
  }

  #ensure(): Promise<PortholePanelElement> {
    return (this.#load ??= import('../panel/porthole-panel.js').then(
      () => {
        const panel = (this.#panel = document.createElement('porthole-panel'));
        panel.id = 'panel';
        panel.launcher = this;
        this.#sync();
        this.#box.prepend(panel);
        this.#button.setAttribute('aria-controls', 'panel');
        return panel;
      },
      (e) => {
        this.#load = undefined;
        emit(this, 'porthole-error', { code: 'load_failed', message: `could not load the chat panel: ${String(e)}` });
        throw e;
      },
    ));
  }

  async #show(): Promise<void> {
    this.#button.setAttribute('aria-expanded', 'true');
    let panel: PortholePanelElement;
    try {
      panel = await this.#ensure();
    } catch {
      this.removeAttribute('open');
      return;
    }
    if (!this.isOpen || panel.open) return;
    panel.open = true;
    emit(this, 'porthole-open');
  }

  #hide(): void {
    this.#button.setAttribute('aria-expanded', 'false');
    const panel = this.#panel;
    if (!panel?.open) return;
    const inside = this.shadowRoot!.activeElement === panel;
    panel.open = false;
    if (inside) this.#button.focus();
    emit(this, 'porthole-close');
  }
}
