import { html, LitElement, type PropertyValues, type TemplateResult } from 'lit';
import { guard } from 'lit/directives/guard.js';
import { repeat } from 'lit/directives/repeat.js';
import type { AuthController, GetToken } from '../controllers/auth-controller.js';
import { systemClock, type Clock } from '../controllers/clock.js';
import type { ConnectionController } from '../controllers/connection-controller.js';
import type { ConversationController } from '../controllers/conversation-controller.js';
import type { HealthController } from '../controllers/health-controller.js';
import type { OutboxController } from '../controllers/outbox-controller.js';
import { SessionController } from '../controllers/session-controller.js';
import { AvatarController } from '../controllers/avatar-controller.js';
import { AvailabilityController, companionAvailability } from '../controllers/availability-controller.js';
import { renderAvatar } from '../render/avatar.js';
import { dayLabel, renderDay, renderTime } from '../render/timeline.js';
import { emit } from '../events/emit.js';
import { direction, loadStrings, strings, type StringOverrides } from '../i18n/index.js';
import { MAX_MESSAGE_RUNES } from '../protocol/limits.js';
import { renderMessage, type MessageActions } from '../render/message.js';
import { MarkdownController } from '../render/markdown/loader.js';
import type { ChatMessage, TransportFactory } from '../transport/transport.js';
import { styles } from './porthole-panel.styles.js';
import { showLauncherState } from './unread-badge.js';
import type { Notifier } from './notifications.js';
import type { AttachmentTray } from './attachments.js';
import type { ContactForm } from './contact-form.js';
import type { SheetController } from '../controllers/sheet-controller.js';
import type { PageReporter } from './page-reports.js';
import type { PortholeUpdate } from '../element/update.js';

/** Defaults every panel created afterwards uses (tests and Storybook inject a memory transport). */
export interface PanelDefaults {
  /** Builds the transport for a session; undefined: the transport of the session's mode, loaded on first use. */
  transportFactory?: TransportFactory;
  clock: Clock;
  /** Outbox storage; null keeps the queue in memory only. */
  storage?: Storage | null;
}

const defaults: PanelDefaults = { clock: systemClock };

/** Changes the defaults of panels created from now on; call without arguments to reset. */
export function configurePanel(
  changes: Partial<PanelDefaults> = { transportFactory: undefined, clock: systemClock, storage: undefined },
): void {
  Object.assign(defaults, changes);
}

/** The `<porthole-chat>` element as the panel sees it. */
export type PanelLauncher = HTMLElement & { close(): void };

/**
 * The chat panel: a labelled dialog with the conversation, the composer, the typing indicator
 * and the fallback UI. Loaded lazily by `<porthole-chat>`, which creates it in its shadow root,
 * forwards its configuration and re-dispatches nothing: the panel emits the public events on
 * the launcher directly. Usable alone (Storybook, tests) with `transportFactory`. The session
 * itself (auth, transport, conversation, outbox, health) is the session controller's.
 */
export class PortholePanelElement extends LitElement {
  static override styles = styles;
  static override properties = {
    open: { type: Boolean, reflect: true },
    tokenUrl: { attribute: 'token-url' },
    heading: {},
    locale: {},
    strings: { attribute: false },
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
  /** `en`, `fr`, `de`, `es`, `pt`, `it`, `nl`, `ar` or `he` (right to left: `ar`, `he`); English for any other. */
  declare locale?: string;
  /** The site's texts over the locale's (the launcher forwards its `strings`); checked, and reported in the console when wrong. */
  declare strings?: StringOverrides;
  /** Contact link of the fallback UI. */
  declare fallbackHref?: string;
  /** Host function returning the session response (signed-in users). */
  declare getToken?: GetToken;
  /** Builds the transport for a session (default: the transport of the session's mode; direct: Mattermost). */
  declare transportFactory?: TransportFactory;
  /** The launcher: public events are dispatched on it, close requests go to it. */
  launcher?: PanelLauncher;
  /** Shown in the empty log instead of "Loading…" (the conversation menu sets it after a deletion). */
  notice?: string;

  /** The visitor's session: auth, transport, renewal and the failure policy. */
  readonly session: SessionController;
  /** Re-renders the messages once the markdown chunk arrives. */
  readonly #markdown = new MarkdownController(this);

  #typingAt = 0;
  /** Length of the composer's text in code points (exact near the limit), and whether a send was refused for it. */
  #chars = 0;
  #tooLong = false;
  #stick = true;
  #clock: Clock;
  /** Messages from the team that arrived while the panel was closed. */
  #unread = 0;
  /** The opt-in notifications (the launcher's `notify`), once their lazy chunk is loaded. */
  #notes?: Notifier;
  /** The last message's id, and whether one arrived while the visitor was scrolled up ("New messages" pill). */
  #last?: string;
  #pill = false;
  /** The contact form (offline part), once its lazy chunk is loaded. */
  #contact?: ContactForm;
  /** mobile sheet: the scroll lock and visual viewport, once the panel has opened as a sheet (a lazy chunk). */
  #sheet?: SheetController;
  /** The attachment tray (files), once its lazy chunk is loaded. */
  #files?: AttachmentTray;
  // SPA life cycle
  /** Page reports (the launcher's `report-pages`), once their lazy chunk is loaded. */
  #pages?: PageReporter;
  /** The visitor's name from `update({ name })`, sent with session requests. */
  #name?: string;
  // Agents and availability
  /** Agents' faces as blob: URLs, for the panel's life. */
  readonly #avatars = new AvatarController(this, () => this.session.transport);
  /** Whether the team is around, asked while the panel is open. */
  readonly #availability: AvailabilityController;
  /** The transport the availability is asked through (undefined: closed or no session yet). */
  #availableVia?: unknown;

  constructor() {
    super();
    this.open = false;
    this.transportFactory = defaults.transportFactory;
    const clock = (this.#clock = defaults.clock);
    this.session = new SessionController(this, {
      clock,
      storage: defaults.storage,
      tokenUrl: () => this.tokenUrl,
      getToken: () => this.getToken,
      // Another tab of this visitor opened or read the chat.
      onRead: () => this.markRead(),
      // The visitor logged out there: here too, as logout() (closed, nothing unread).
      onLogout: () => (this.#close(), this.markRead()),
      name: () => this.#name,
      transportFactory: () => this.transportFactory,
      onReceived: (m) => {
        // Read where it arrives open: the visitor's other tabs clear their count (onRead).
        if (!this.open) this.#setUnread(this.#unread + 1);
        else this.session.read();
        this.#notify(m);
        emit(this.#target, 'porthole-message', m);
      },
      onSent: (m) => emit(this.#target, 'porthole-message-sent', m),
      onStateChange: (state) => emit(this.#target, 'porthole-state-change', { state }),
      onError: (code, message) => emit(this.#target, 'porthole-error', { code, message }),
    });
    this.#availability = new AvailabilityController(this, {
      clock,
      source: () => {
        const t = this.session.transport;
        // Direct mode: the companion's route next to token-url (the transport talks to Mattermost only).
        const url = this.tokenUrl;
        if (t?.availability) return (signal) => t.availability!(signal);
        if (url) return companionAvailability(url);
        return undefined;
      },
    });
  }

  /** Gets and renews the session (companion or host `getToken()`). */
  get auth(): AuthController {
    return this.session.auth;
  }
  /** The live connection's state. */
  get connection(): ConnectionController {
    return this.session.connection;
  }
  /** The messages, pages, live events and typing. */
  get conversation(): ConversationController {
    return this.session.conversation;
  }
  /** The visitor's unconfirmed messages. */
  get outbox(): OutboxController {
    return this.session.outbox;
  }
  /** The circuit breaker behind the fallback UI. */
  get health(): HealthController {
    return this.session.health;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    // Re-export the inner parts so the page can style them as porthole-chat::part(…), with those the
    // lazy conversation menu (privacy-menu.ts) forwards from its own shadow root once it exists.
    this.setAttribute(
      'exportparts',
      'panel,header,menu-button,privacy-menu,privacy-item,privacy-confirm,privacy-error,privacy-status,close,log,new-messages,message,message-text,link,code,code-block,quote,list,table,heading,retry-message,edit-message,remove-message,counter,load-older,typing,status,fallback,offline-notice,contact-form,contact-input,contact-error,contact-submit,contact-skip,contact-thanks,retry,fallback-link,composer,input,send,attach,attachments,attachment,progress,cancel-upload,upload-error,retry-upload,remove-upload,files,file,file-preview,file-link,file-size,availability,avatar,time,day',
    );
  }

  /** Starts the session and the conversation (once). Opening the panel does it. */
  activate(): void {
    this.session.start();
    this.#reportPage();
  }

  /** Queues `text`, with the uploaded `files` if any (starting the session if needed); resolves once queued. */
  async send(text: string, files?: Array<{ id: string; name: string }>): Promise<void> {
    this.outbox.enqueue(text, files, this.#contact?.take());
    this.activate();
  }

  /** Revokes the session, forgets the queue and the conversation. */
  logout(): Promise<void> {
    return this.session.logout();
  }

  /**
   * SPA life cycle (the launcher's `update()`): a new session for a changed identity or name (another
   * visitor starts over), and the page reported with `report-pages`. Rejects with a TypeError on bad input.
   * Its checks are a lazy chunk (../element/update.js), loaded with the first call.
   */
  async applyUpdate(changes?: PortholeUpdate): Promise<void> {
    const { identity, name, page } = (await import('../element/update.js')).parseUpdate(changes);
    if (name !== undefined) this.#name = name;
    this.#reportPage(page);
    if (identity || name !== undefined) await this.session.renew();
  }

  /**
   * SPA life cycle (the launcher's `shutdown()`): ends the session and forgets the visitor (the
   * companion's cookie, the widget's storage and queue); the next open starts a new visitor.
   */
  async shutdown(): Promise<void> {
    this.#pages?.reset();
    this.#name = this.notice = this.#contact = undefined;
    this.#files?.uploads.clear();
    this.markRead();
    const input = this.#input;
    if (input) input.value = '';
    this.#count();
    await this.session.shutdown();
    this.requestUpdate();
  }

  /** Page reports: with `report-pages` on the launcher (read now), the reporter chunk reports `page` (default: this page). */
  #reportPage(page?: PortholeUpdate['page']): void {
    if (!this.launcher?.hasAttribute('report-pages')) return;
    void import('./page-reports.js').then(
      (m) => {
        this.#pages ??= new m.PageReporter(this, this.session, this.#clock, () => !!this.launcher?.hasAttribute('report-pages'));
        this.#pages.report(page);
      },
      (err) => emit(this.#target, 'porthole-error', { code: 'load_failed', message: String(err) }),
    );
  }

  get #target(): EventTarget {
    return this.launcher ?? this;
  }

  get #self(): string | undefined {
    return this.session.current?.userId;
  }

  /** Messages from the team the visitor has not seen (they arrived while the panel was closed). */
  get unread(): number {
    return this.#unread;
  }

  /** The visitor has seen the messages (the panel opened, here or in another tab): clears the count and the notifications. */
  markRead(): void {
    this.#setUnread(0);
    this.#notes?.clear();
  }

  #setUnread(count: number): void {
    if (count === this.#unread) return;
    this.#unread = count;
    this.#paint();
    emit(this.#target, 'porthole-unread-change', { count });
  }

  /** The launcher's button shows the open state and the unread count (see unread-badge.ts). */
  #paint(): void {
    showLauncherState(this.launcher?.shadowRoot, this.open, this.#unread, strings(this.locale, this.strings));
  }

  /** The opt-in notifications of a message from the team (./notifications.js, loaded on first use). */
  #notify(m: ChatMessage): void {
    const notify = this.launcher?.getAttribute('notify');
    if (notify && (!this.open || document.hidden))
      void import('./notifications.js').then(
        (n) => (this.#notes ??= new n.Notifier(this, this.#clock)).notify(m, notify),
        (err) => emit(this.#target, 'porthole-error', { code: 'load_failed', message: String(err) }),
      );
  }

  /** "New messages": scrolls the log to the bottom and moves focus there, as the pill goes. */
  #toBottom = (): void => {
    const log = this.#log!;
    log.scrollTop = log.scrollHeight;
    log.focus({ preventScroll: true });
    this.#scrolled();
  };

  /** The pill goes once the visitor is at the bottom of the log. */
  #scrolled = (): void => {
    const log = this.#log!;
    if (this.#pill && log.scrollHeight - log.scrollTop - log.clientHeight < 40) {
      this.#pill = false;
      this.requestUpdate();
    }
  };

  /**
   * The conversation menu's button toggles the menu (a click, Enter, Space). The menu is a lazy
   * chunk (./privacy-menu.js) that puts itself below the header and handles the rest.
   */
  #menu = ({ target }: Event): void =>
    // (The target is read now: once the click is dispatched, a target inside a shadow root is cleared.)
    void import('./privacy-menu.js').then(
      (m) => m.toggleMenu(this, target as HTMLElement),
      (err) => emit(this.#target, 'porthole-error', { code: 'load_failed', message: String(err) }),
    );

  #close = (): void => (this.launcher ? this.launcher.close() : void (this.open = false));

  // Files: the attach button, a drop of files on the panel or a paste of files loads the
  // attachment tray (./attachments.js) on first use; without the session's `uploads`, none is offered.
  #attach(files?: File[]): void {
    if (!this.session.current?.uploads) return;
    void import('./attachments.js').then(
      (m) => {
        this.#files ??= new m.AttachmentTray(this);
        if (files) this.#files.add(files);
        else this.#files.pick();
        this.requestUpdate();
      },
      (err) => emit(this.#target, 'porthole-error', { code: 'load_failed', message: String(err) }),
    );
  }

  #drag = (e: DragEvent): void => {
    if (this.session.current?.uploads && e.dataTransfer?.types.includes('Files')) e.preventDefault();
  };

  #drop = (e: DragEvent): void => {
    const files = [...(e.dataTransfer?.files ?? [])];
    if (!files.length || !this.session.current?.uploads) return;
    e.preventDefault();
    this.#attach(files);
  };

  #paste = (e: ClipboardEvent): void => {
    const files = [...(e.clipboardData?.files ?? [])];
    if (!files.length || !this.session.current?.uploads) return;
    // Text pasted along with the files (an image copied from a document) still goes into the composer.
    if (!e.clipboardData!.types.includes('text/plain')) e.preventDefault();
    this.#attach(files);
  };

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
    this.#count();
    const now = this.#clock.now();
    if (now - this.#typingAt < 3000) return;
    this.#typingAt = now;
    this.session.transport?.typing();
  };

  /** Counts the composer's text; near Mattermost's limit in code points, as the server counts. */
  #count(): void {
    const value = this.#input?.value ?? '';
    const chars = value.length > MAX_MESSAGE_RUNES - 500 ? [...value].length : value.length;
    if (chars === this.#chars) return;
    this.#chars = chars;
    this.#tooLong &&= chars > MAX_MESSAGE_RUNES;
    this.requestUpdate();
  }

  #submit = (e?: Event): void => {
    e?.preventDefault();
    const input = this.#input;
    const attached = this.#files?.uploads.items.length;
    if (!input || !(input.value.trim() || attached)) return;
    this.#count();
    // Refused here, with the reason, rather than by the server after a round trip; the text stays.
    if (this.#chars > MAX_MESSAGE_RUNES) {
      this.#tooLong = true;
      this.requestUpdate();
      return;
    }
    // Files go with the message once uploaded: while one uploads or has failed, nothing goes (the tray says why).
    const files = attached ? this.#files!.take() : undefined;
    if (attached && !files) return;
    void this.send(input.value, files);
    input.value = '';
    this.#count();
  };

  #older = async (): Promise<void> => {
    const log = this.#log;
    const heightBefore = log?.scrollHeight ?? 0;
    await this.session.loadOlder();
    await this.updateComplete;
    // Keep what the visitor was reading in place.
    if (log) log.scrollTop += log.scrollHeight - heightBefore;
  };

  /** The buttons of a failed message: retry (where it can help), edit (back into the composer), remove. */
  #actions: MessageActions = {
    retry: (clientId) => this.outbox.retry(clientId),
    edit: (clientId) => {
      const text = this.outbox.edit(clientId);
      const input = this.#input;
      if (text === undefined || !input) return;
      input.value = input.value ? `${text}\n${input.value}` : text;
      this.#count();
      input.focus();
    },
    remove: (clientId) => this.outbox.remove(clientId),
    file: (id, signal) => this.session.transport?.file(id, signal) ?? Promise.reject(new Error('not connected')),
  };

  get #input(): HTMLTextAreaElement | null {
    return this.renderRoot.querySelector('textarea');
  }
  get #log(): HTMLElement | null {
    return this.renderRoot.querySelector('.log');
  }

  /**
   * Every update waits for the locale's strings (a chunk, but for English) and the site's overrides:
   * the panel never shows another language first. The language asked for (the launcher's `locale`,
   * else the page's) tells the console once when it falls back to English.
   */
  protected override async scheduleUpdate(): Promise<void> {
    const l = this.launcher;
    await loadStrings(this.locale, this.strings, l ? l.getAttribute('locale') || document.documentElement.lang : this.locale);
    super.scheduleUpdate();
  }

  protected override willUpdate(): void {
    const log = this.#log;
    this.#stick = !log || log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    // A message from the team below the visitor's reading position: the "New messages" pill.
    const last = this.conversation.messages.at(-1);
    if (last?.id !== this.#last) {
      this.#pill ||= !this.#stick && !!this.#last && last?.userId !== this.#self;
      this.#last = last?.id;
    }
  }

  protected override updated(changed: PropertyValues<this>): void {
    // Offline part: the contact form's chunk, only when the team is not online and the site asks for fields.
    const a = this.#availability.value;
    if (!this.#contact && a?.fields.length && a.state !== 'online')
      void import('./contact-form.js').then(
        (m) => {
          this.#contact ??= new m.ContactForm(this);
          this.requestUpdate();
        },
        (err) => emit(this.#target, 'porthole-error', { code: 'load_failed', message: String(err) }),
      );
    if (changed.has('open') && this.open) {
      this.markRead();
      this.session.read();
      this.outbox.persist = true;
      this.activate();
      this.#input?.focus();
      // mobile sheet: open as a full-screen sheet (the styles' media query), the sheet controller (a lazy
      // chunk) locks the page's scroll and follows the visual viewport from now on.
      if (!this.#sheet && getComputedStyle(this).position == 'fixed')
        void import('../controllers/sheet-controller.js').then(
          (m) => (this.#sheet ??= new m.SheetController(this)),
          (err) => emit(this.#target, 'porthole-error', { code: 'load_failed', message: String(err) }),
        );
      // The accent's contrast (./contrast.js warns below 4.5:1), loaded only for colours other than the defaults;
      // a failed load only loses the warning.
      const send = this.renderRoot.querySelector('.send');
      const s = send && getComputedStyle(send);
      if (s && s.color + s.backgroundColor != 'rgb(255, 255, 255)rgb(26, 86, 219)')
        void import('./contrast.js').then(
          (m) => m.checkAccentContrast(this, send),
          () => {},
        );
    }
    // Availability: asked while open, again once the session's transport is there.
    const via = this.open ? this.session.transport : undefined;
    if (via !== this.#availableVia) {
      this.#availableVia = via;
      if (via) this.#availability.start();
      else this.#availability.stop();
    }
    const log = this.#log;
    if (log && this.#stick) log.scrollTop = log.scrollHeight;
    this.#paint();
  }

  protected override render(): TemplateResult {
    const labels = strings(this.locale, this.strings);
    const conversation = this.conversation;
    const shown = new Set(conversation.messages.map((m) => m.clientId));
    const pending = this.outbox.items.filter((item) => !shown.has(item.clientId));
    const href = this.fallbackHref && /^(https?|mailto|tel):/i.test(this.fallbackHref) ? this.fallbackHref : undefined;
    const team = this.#availability.value;
    const now = this.#clock.now();
    const typer = conversation.typingUserIds.map((id) => conversation.names[id]).find(Boolean);
    // lang: the widget's words are read with its locale's voice, whatever the page's language; dir: its own, whatever the page's.
    // The header is no banner landmark (the page has its own): role none.
    return html`<section
      part="panel"
      role="dialog"
      aria-labelledby="t"
      lang=${this.locale || 'en'}
      dir=${direction(this.locale)}
      @keydown=${this.#onKey}
      @dragover=${this.#drag}
      @drop=${this.#drop}
    >
      <header part="header" role="none">
        <h2 id="t">${this.heading || labels.title}</h2>
        ${
          // Only with a session and a companion to ask (the launcher's `no-privacy-menu` hides it by CSS).
          this.session.current && (this.session.current.mode == 'gateway' || this.tokenUrl)
            ? html`<button part="menu-button" class="x" aria-haspopup="menu" aria-label=${labels.menu} @click=${this.#menu}>⋮</button>`
            : ''
        }
        <button part="close" class="x" aria-label=${labels.close} @click=${this.#close}>×</button>
      </header>
      ${
        team
          ? html`<p part="availability" class="avl" role="status" data-state=${team.state}>
              <span class="dot" aria-hidden="true"></span
              >${labels.availability[team.state]}${team.expectedReply ? ` · ${team.expectedReply}` : ''}
            </p>`
          : ''
      }
      ${
        this.health.open && this.session.chatServerDown
          ? html`<p part="offline-notice" class="status" role="status">${labels.offlineNotice}</p>`
          : this.health.open
            ? html`<div part="fallback" class="fallback" role="alert">
                <p>${this.session.refused ? labels.refused : labels.fallback}</p>
                <button
                  part="retry"
                  aria-busy=${this.health.retrying}
                  aria-disabled=${this.health.retrying}
                  @click=${() => this.health.retrying || this.health.retry()}
                >
                  ${this.health.retrying ? labels.retrying : labels.retry}
                </button>
                ${href ? html`<a part="fallback-link" href=${href} target="_blank" rel="noopener">${labels.contact}</a>` : ''}
                <p class="retried" role="status">
                  ${this.health.retrying ? labels.retrying : this.health.retryFailed ? labels.retryFailed : ''}
                </p>
              </div>`
            : this.connection.reported === 'reconnecting'
              ? html`<p part="status" class="status" role="status">${labels.reconnecting}</p>`
              : ''
      }
      <div part="log" class="log" role="log" aria-live="polite" aria-label=${labels.log} tabindex="0" @scroll=${this.#scrolled}>
        ${conversation.hasMore ? html`<button part="load-older" class="older" @click=${this.#older}>${labels.loadOlder}</button>` : ''}
        ${
          conversation.messages.length || pending.length
            ? ''
            : this.notice || (!conversation.loaded && !this.health.open)
              ? html`<p class="empty" role="status">${this.notice || labels.loading}</p>`
              : html`<p class="empty">${labels.empty}</p>`
        }
        ${repeat(
          conversation.messages,
          // Keyed by post id: a page of older messages is inserted above the others instead of
          // re-using every element for a different post (which re-rendered the whole list).
          (m) => m.id,
          (m, i) => {
            // A day separator above the first message of each day (the visitor's days), inside the
            // message's own item, so a new separator re-renders that message only.
            const day = dayLabel(m.createAt, conversation.messages[i - 1]?.createAt, now, labels, this.locale);
            const agent = m.userId !== this.#self;
            const face = agent ? this.#avatars.url(m.userId) : undefined;
            // A new message re-renders only itself: the others are skipped while their message
            // object (replaced on edit), author name, face, day and strings are the same.
            return guard([m, conversation.names[m.userId], labels, this.#markdown.version, day, face], () => [
              day ? renderDay(day, m.createAt) : '',
              renderMessage(
                {
                  id: m.id,
                  clientId: m.clientId,
                  text: m.text,
                  from: m.userId === this.#self ? 'visitor' : 'agent',
                  author: conversation.names[m.userId],
                  state: 'sent',
                  edited: m.edited,
                  files: m.files,
                  avatar: agent ? renderAvatar(conversation.names[m.userId], face) : undefined,
                  time: renderTime(m.createAt, this.locale),
                },
                labels,
                this.#actions,
              ),
            ]);
          },
        )}
        ${pending.map((item) =>
          renderMessage(
            {
              clientId: item.clientId,
              text: item.text,
              from: 'visitor',
              state: item.state,
              failure: item.failure,
              fileNames: item.fileNames,
            },
            labels,
            this.#actions,
          ),
        )}
      </div>
      ${
        this.#pill
          ? html`<button part="new-messages" class="nm" @click=${this.#toBottom}>
              ${labels.newMessages} <span aria-hidden="true">↓</span>
            </button>`
          : ''
      }
      <p part="typing" class="typing" ?hidden=${!conversation.typing}>${typer ? labels.typingName(typer) : labels.typing}</p>
      ${this.#contact?.render(this.#availability.value, conversation.messages.some((m) => m.userId === this.#self) || pending.length > 0)}
      <form part="composer" @submit=${this.#submit}>
        ${this.#files?.render()}
        <textarea
          dir="auto"
          part="input"
          rows="2"
          aria-label=${labels.input}
          placeholder=${labels.placeholder}
          aria-describedby="n"
          aria-invalid=${this.#tooLong}
          @keydown=${this.#onInputKey}
          @input=${this.#onInput}
          @paste=${this.#paste}
        ></textarea>
        <p
          part="counter"
          id="n"
          class="meta ${this.#tooLong ? 'err' : ''}"
          role=${this.#tooLong ? 'alert' : 'none'}
          ?hidden=${this.#chars <= MAX_MESSAGE_RUNES - 500}
        >
          ${this.#chars > MAX_MESSAGE_RUNES ? labels.charsOver(this.#chars - MAX_MESSAGE_RUNES) : labels.charsLeft(MAX_MESSAGE_RUNES - this.#chars)}
        </p>
        ${
          this.session.current?.uploads
            ? html`<button part="attach" type="button" class="x" aria-label=${labels.attach} @click=${() => this.#attach()}>📎</button>`
            : ''
        }
        <button part="send" class="send" type="submit">${labels.send}</button>
      </form>
    </section>`;
  }
}

if (!customElements.get('porthole-panel')) customElements.define('porthole-panel', PortholePanelElement);

declare global {
  interface HTMLElementTagNameMap {
    'porthole-panel': PortholePanelElement;
  }
}
