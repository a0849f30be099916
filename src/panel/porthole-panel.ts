import { html, LitElement, type PropertyValues, type TemplateResult } from 'lit';
import { guard } from 'lit/directives/guard.js';
import { AuthController, AuthError, type GetToken } from '../controllers/auth-controller.js';
import { systemClock, type Clock } from '../controllers/clock.js';
import { ConnectionController } from '../controllers/connection-controller.js';
import { ConversationController } from '../controllers/conversation-controller.js';
import { HealthController } from '../controllers/health-controller.js';
import { OutboxController } from '../controllers/outbox-controller.js';
import { emit } from '../events/emit.js';
import type { PortholeErrorCode } from '../events/porthole-events.js';
import { strings } from '../i18n/index.js';
import { LAUNCHER_LABEL, matchLocale } from '../i18n/locales.js';
import { renderMessage } from '../render/message.js';
import { mattermostTransport } from '../transport/mattermost-transport.js';
import {
  isRetryable,
  TransportError,
  type ConnectionState,
  type Session,
  type Transport,
  type TransportFactory,
} from '../transport/transport.js';
import { styles } from './porthole-panel.styles.js';

/** Defaults every panel created afterwards uses (tests and Storybook inject a memory transport). */
export interface PanelDefaults {
  transportFactory: TransportFactory;
  clock: Clock;
  /** Outbox storage; null keeps the queue in memory only. */
  storage?: Storage | null;
}

const defaults: PanelDefaults = { transportFactory: mattermostTransport, clock: systemClock };

/** Changes the defaults of panels created from now on; call without arguments to reset. */
export function configurePanel(d: Partial<PanelDefaults> = { transportFactory: mattermostTransport, clock: systemClock, storage: undefined }): void {
  Object.assign(defaults, d);
}

/** The `<porthole-chat>` element as the panel sees it. */
export type PanelLauncher = HTMLElement & { close(): void };

/**
 * The chat panel: a labelled dialog with the conversation, the composer, the typing indicator
 * and the fallback UI. Loaded lazily by `<porthole-chat>`, which creates it in its shadow root,
 * forwards its configuration and re-dispatches nothing: the panel emits the public events on
 * the launcher directly. Usable alone (Storybook, tests) with `transportFactory`.
 */
export class PortholePanelElement extends LitElement {
  static override styles = styles;
  static override properties = {
    open: { type: Boolean, reflect: true },
    tokenUrl: { attribute: 'token-url' },
    heading: {},
    locale: {},
    fallbackHref: { attribute: 'fallback-href' },
    getToken: { attribute: false },
    transportFactory: { attribute: false },
  };

  /** Shown (the launcher sets it). */
  declare open: boolean;
  /** Companion session endpoint. */
  declare tokenUrl?: string;
  /** Dialog title; defaults to the locale's "Chat with us". */
  declare heading?: string;
  /** `en`, `fr` or `de`. */
  declare locale?: string;
  /** Contact link of the fallback UI. */
  declare fallbackHref?: string;
  /** Host function returning the session response (signed-in users). */
  declare getToken?: GetToken;
  /** Builds the transport for a session (default: Mattermost). */
  declare transportFactory: TransportFactory;
  /** The launcher: public events are dispatched on it, close requests go to it. */
  launcher?: PanelLauncher;

  readonly auth: AuthController;
  readonly connection: ConnectionController;
  readonly conversation: ConversationController;
  readonly outbox: OutboxController;
  readonly health: HealthController;

  #t?: Transport;
  #session?: Session;
  #started = false;
  #online = false;
  #typingAt = 0;
  #stick = true;
  #clock: Clock;
  /** The companion or the host refused who the visitor is (not an outage): say so, not "down". */
  #refused = false;
  /** Messages from the team that arrived while the panel was closed. */
  #unread = 0;
  /** When Mattermost last refused the token and a new one was asked for. */
  #renewedAt = -Infinity;
  /** Bumped by logout: work started before it must not sign the visitor back in. */
  #epoch = 0;

  constructor() {
    super();
    this.open = false;
    this.transportFactory = defaults.transportFactory;
    const clock = (this.#clock = defaults.clock);
    this.auth = new AuthController(this, {
      clock,
      tokenUrl: () => this.tokenUrl,
      getToken: () => this.getToken,
      onSession: (s) => this.#refreshed(s),
      onError: (e) => this.#error(e.code, e.message),
    });
    this.connection = new ConnectionController(this, (s, prev) => this.#state(s, prev));
    this.conversation = new ConversationController(this, {
      onReceived: (m) => {
        if (!this.open) this.#setUnread(this.#unread + 1);
        emit(this.#target, 'porthole-message', m);
      },
      onError: (e) => this.#failed(e),
    });
    this.outbox = new OutboxController(this, {
      clock,
      storage: defaults.storage,
      onSent: (m) => {
        this.conversation.merge([m], false, false);
        emit(this.#target, 'porthole-message-sent', m);
      },
      onError: (e) => this.#failed(e, 'send_failed'),
    });
    this.health = new HealthController(this, {
      clock,
      probe: () => this.#start(),
      onChange: (open) => {
        this.outbox.paused = open;
        if (open) emit(this.#target, 'porthole-state-change', { state: 'offline' });
      },
    });
  }

  override connectedCallback(): void {
    super.connectedCallback();
    // Re-export the inner parts so the page can style them as porthole-chat::part(…).
    this.setAttribute(
      'exportparts',
      'panel,header,close,log,message,message-text,link,retry-message,load-older,typing,status,fallback,retry,fallback-link,composer,input,send',
    );
  }

  /** Starts the session and the conversation (once). Opening the panel does it. */
  activate(): void {
    if (this.#started) return;
    this.#started = true;
    this.#start().catch((e) => this.#failed(e));
  }

  /** Queues `text` (starting the session if needed); resolves once queued. */
  async send(text: string): Promise<void> {
    this.outbox.enqueue(text);
    this.activate();
  }

  /** Revokes the session, forgets the queue and the conversation. */
  async logout(): Promise<void> {
    this.#epoch++;
    this.outbox.clear();
    this.connection.attach(undefined);
    this.conversation.attach(undefined);
    this.outbox.attach(undefined);
    this.#t = this.#session = undefined;
    this.#started = this.#online = false;
    this.health.success();
    await this.auth.logout();
  }

  get #target(): EventTarget {
    return this.launcher ?? this;
  }

  async #start(): Promise<void> {
    const epoch = this.#epoch;
    const s = this.auth.session ?? (await this.auth.acquire());
    if (epoch !== this.#epoch) return;
    if (!this.#t) this.#use(s);
    await this.conversation.load();
    // REST answering is not enough: without the socket nothing arrives live.
    if (this.connection.state === 'offline') throw new TransportError('network', 'the live connection is offline');
    this.#refused = false;
    this.health.success();
    this.outbox.flush();
  }

  #use(s: Session): void {
    this.#session = s;
    const t = (this.#t = this.transportFactory(s));
    this.connection.attach(t);
    this.conversation.attach(t, s.userId);
    this.outbox.attach(t, s.userId);
  }

  #refreshed(s: Session): void {
    if (!this.#t) return;
    // Same visitor and conversation: swap the token. Otherwise start over with the new one.
    const old = this.#session;
    if (old && (s.userId !== old.userId || s.channelId !== old.channelId || s.serverUrl !== old.serverUrl)) {
      this.#online = false;
      this.#use(s);
      this.conversation.load().catch((e) => this.#failed(e));
    } else this.#t.setToken(s.token);
  }

  get #self(): string | undefined {
    return this.#session?.userId;
  }

  #state(state: ConnectionState, _prev: ConnectionState): void {
    emit(this.#target, 'porthole-state-change', { state });
    if (state === 'online') {
      // Every reconnect: fetch what the socket missed.
      if (this.#online) this.conversation.resync().catch((e) => this.#failed(e));
      this.#online = true;
      this.health.success();
      this.outbox.flush();
    } else if (state === 'offline') this.health.failure(true);
  }

  #failed(e: unknown, code?: PortholeErrorCode): void {
    // Work cancelled on purpose (logout, disconnect) is not a failure.
    if ((e as { name?: string } | null)?.name === 'AbortError') return;
    if (e instanceof TransportError && e.kind === 'auth') {
      // Mattermost no longer takes the token (revoked, expired early, the visitor logged out in
      // another tab): get a new one and carry on. Twice within a minute means something is wrong.
      this.#error('auth_failed', e.message);
      const now = this.#clock.now();
      if (now - this.#renewedAt < 60000) return this.health.failure(true);
      this.#renewedAt = now;
      const epoch = this.#epoch;
      this.auth
        .acquire()
        .then(() => (epoch === this.#epoch ? this.#start() : undefined))
        .catch((err) => this.#failed(err));
      return;
    }
    if (e instanceof AuthError) {
      this.#refused = e.code === 'auth_rejected';
      this.#error(e.code, e.message);
      this.health.failure(true);
      return;
    }
    const retryable = isRetryable(e);
    this.#error(retryable ? 'network' : (code ?? 'request_rejected'), e instanceof Error ? e.message : String(e));
    if (retryable) this.health.failure();
    // A refused request that is not one message (history, resync): the conversation cannot be
    // shown as it is, so say so and offer a retry rather than an empty chat.
    else if (!code) this.health.failure(true);
  }

  /**
   * Shows the unread count on the launcher's button. The launcher itself stays tiny: this chunk
   * adds the badge (and its style) to the launcher's shadow root when there is something to show.
   */
  #setUnread(n: number): void {
    if (n === this.#unread && n > 0) return;
    this.#unread = n;
    const root = this.launcher?.shadowRoot;
    const button = root?.querySelector<HTMLButtonElement>('[part~="launcher"]');
    if (!root || !button) return;
    if (!root.adoptedStyleSheets.includes(badgeSheet)) root.adoptedStyleSheets = [...root.adoptedStyleSheets, badgeSheet];
    let badge = button.querySelector<HTMLElement>('[part~="badge"]');
    const label = LAUNCHER_LABEL[matchLocale(this.locale ?? '') ?? 'en'];
    if (!n) {
      badge?.remove();
      button.setAttribute('aria-label', label);
      return;
    }
    if (!badge) {
      badge = document.createElement('span');
      badge.setAttribute('part', 'badge');
      badge.setAttribute('aria-hidden', 'true');
      button.append(badge);
    }
    badge.textContent = n > 99 ? '99+' : String(n);
    button.setAttribute('aria-label', `${label}, ${strings(this.locale).unread(n)}`);
  }

  #error(code: PortholeErrorCode, message: string): void {
    emit(this.#target, 'porthole-error', { code, message });
  }

  #close = (): void => (this.launcher ? this.launcher.close() : void (this.open = false));

  #onKey = (e: KeyboardEvent): void => {
    if (e.key === 'Escape') {
      e.stopPropagation();
      this.#close();
    }
  };

  #onInputKey = (e: KeyboardEvent): void => {
    // Enter sends, Shift+Enter adds a line; never while an IME composition is in progress.
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      this.#submit();
    }
  };

  #onInput = (): void => {
    const now = this.#clock.now();
    if (now - this.#typingAt < 3000) return;
    this.#typingAt = now;
    this.#t?.typing();
  };

  #submit = (e?: Event): void => {
    e?.preventDefault();
    const ta = this.#input;
    if (!ta?.value.trim()) return;
    void this.send(ta.value);
    ta.value = '';
  };

  #older = async (): Promise<void> => {
    const log = this.#log;
    const h = log?.scrollHeight ?? 0;
    try {
      await this.conversation.loadOlder();
    } catch (e) {
      this.#failed(e);
    }
    await this.updateComplete;
    // Keep what the visitor was reading in place.
    if (log) log.scrollTop += log.scrollHeight - h;
  };

  #retry = (clientId: string): void => this.outbox.retry(clientId);

  get #input(): HTMLTextAreaElement | null {
    return this.renderRoot.querySelector('textarea');
  }
  get #log(): HTMLElement | null {
    return this.renderRoot.querySelector('.log');
  }

  protected override willUpdate(): void {
    const log = this.#log;
    this.#stick = !log || log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has('open') && this.open) {
      this.#setUnread(0);
      this.outbox.persist = true;
      this.activate();
      this.#input?.focus();
    }
    const log = this.#log;
    if (log && this.#stick) log.scrollTop = log.scrollHeight;
  }

  protected override render(): TemplateResult {
    const s = strings(this.locale);
    const c = this.conversation;
    const shown = new Set(c.messages.map((m) => m.clientId));
    const pending = this.outbox.items.filter((i) => !shown.has(i.clientId));
    const href = this.fallbackHref && /^(https?|mailto|tel):/i.test(this.fallbackHref) ? this.fallbackHref : undefined;
    return html`<section part="panel" role="dialog" aria-labelledby="t" @keydown=${this.#onKey}>
      <header part="header">
        <h2 id="t">${this.heading || s.title}</h2>
        <button part="close" class="x" aria-label=${s.close} @click=${this.#close}>×</button>
      </header>
      ${this.health.open
        ? html`<div part="fallback" class="fallback" role="alert">
            <p>${this.#refused ? s.refused : s.fallback}</p>
            <button part="retry" @click=${() => this.health.retry()}>${s.retry}</button>
            ${href ? html`<a part="fallback-link" href=${href} target="_blank" rel="noopener">${s.contact}</a>` : ''}
          </div>`
        : this.connection.state === 'reconnecting'
          ? html`<p part="status" class="status" role="status">${s.reconnecting}</p>`
          : ''}
      <div part="log" class="log" role="log" aria-live="polite" aria-labelledby="t" tabindex="0">
        ${c.hasMore ? html`<button part="load-older" class="older" @click=${this.#older}>${s.loadOlder}</button>` : ''}
        ${c.messages.length || pending.length
          ? ''
          : !c.loaded && !this.health.open
            ? html`<p class="empty" role="status">${s.loading}</p>`
            : html`<p class="empty">${s.empty}</p>`}
        ${c.messages.map((m) =>
          // A new message re-renders only itself: the others are skipped while their message
          // object (replaced on edit), author name and strings are the same.
          guard([m, c.names[m.userId], s], () =>
            renderMessage(
              {
                id: m.id,
                clientId: m.clientId,
                text: m.text,
                from: m.userId === this.#self ? 'visitor' : 'agent',
                author: c.names[m.userId],
                state: 'sent',
                edited: m.edited,
              },
              s,
              this.#retry,
            ),
          ),
        )}
        ${pending.map((i) => renderMessage({ clientId: i.clientId, text: i.text, from: 'visitor', state: i.state }, s, this.#retry))}
      </div>
      <p part="typing" class="typing" ?hidden=${!c.typing}>${s.typing}</p>
      <form part="composer" @submit=${this.#submit}>
        <textarea part="input" rows="2" aria-label=${s.input} placeholder=${s.placeholder} @keydown=${this.#onInputKey} @input=${this.#onInput}></textarea>
        <button part="send" class="send" type="submit">${s.send}</button>
      </form>
    </section>`;
  }
}

const badgeSheet = new CSSStyleSheet();
badgeSheet.replaceSync(
  'button{position:relative}[part~=badge]{position:absolute;top:-4px;right:-4px;min-width:20px;height:20px;padding:0 5px;box-sizing:border-box;border-radius:10px;background:var(--porthole-badge,#d1242f);color:#fff;font:600 12px/20px system-ui,sans-serif;text-align:center}',
);

if (!customElements.get('porthole-panel')) customElements.define('porthole-panel', PortholePanelElement);

declare global {
  interface HTMLElementTagNameMap {
    'porthole-panel': PortholePanelElement;
  }
}
