import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { ChatMessage, Transport } from '../transport/transport.js';

type SharedRun = 'load' | 'older' | 'resync';

export interface ConversationOptions {
  /** Messages per page (default 30). */
  perPage?: number;
  /** A message from someone else arrived live or through a resync (not history). */
  onReceived?: (m: ChatMessage) => void;
  /** A REST call failed. */
  onError?: (e: unknown) => void;
  /** How long a typing indicator lasts without news, ms (default 6000). */
  typingTimeout?: number;
}

/**
 * The conversation's messages: the latest page, older pages on demand, live posts, edits,
 * deletions and typing, de-duplicated by post id and by client id. After every reconnect, tab
 * return (`visibilitychange`) and bfcache restore (`pageshow` persisted) it resyncs everything
 * changed since the last change it saw. Attaching another transport (or the host going away)
 * aborts the runs of the old one: their requests are cancelled and their results discarded
 * (they reject with an AbortError). Never renders.
 *
 * @example
 * const conversation = new ConversationController(this, { onReceived: (m) => … });
 * conversation.attach(transport, session.userId);
 * await conversation.load();
 */
export class ConversationController implements ReactiveController {
  #host: ReactiveControllerHost;
  #options: ConversationOptions;
  #transport?: Transport;
  #selfId = '';
  #unlisten?: () => void;
  #messages: ChatMessage[] = [];
  #names: Record<string, string> = {};
  #asked = new Set<string>();
  /** The newest creation or change seen through the conversation's own feed: where a resync starts. */
  #cursor = 0;
  #loaded = false;
  #hasMore = false;
  /** Aborted when another transport is attached or the host goes away: the runs of the old one. */
  #runs = new AbortController();
  /** Runs that overlapping callers share (the first page, the older page, a resync). */
  #shared = new Map<SharedRun, Promise<void>>();
  #typing = false;
  /** Who is typing (user ids, first typer first), while `typing`. */
  #typers: string[] = [];
  #typingTimer?: ReturnType<typeof setTimeout>;
  #connected = false;
  /** Live events that arrived while the first page was loading, merged right after it. */
  #early: { message: ChatMessage; live: boolean }[] = [];

  constructor(host: ReactiveControllerHost, options: ConversationOptions = {}) {
    this.#host = host;
    this.#options = options;
    host.addController(this);
  }

  /** Messages, oldest first, without deleted ones. */
  get messages(): readonly ChatMessage[] {
    return this.#messages;
  }
  /** Older messages can be loaded. */
  get hasMore(): boolean {
    return this.#hasMore;
  }
  /** The first page arrived. */
  get loaded(): boolean {
    return this.#loaded;
  }
  /** Someone on the team is typing. */
  get typing(): boolean {
    return this.#typing;
  }
  /** The user ids of who is typing, while `typing` (the panel names them). */
  get typingUserIds(): readonly string[] {
    return this.#typers;
  }
  /** Display names by user id, as far as known. */
  get names(): Readonly<Record<string, string>> {
    return this.#names;
  }

  /** Uses `transport` for the conversation of `selfId` from now on; the old transport's runs are aborted. */
  attach(transport: Transport | undefined, selfId = ''): void {
    this.#unsubscribe();
    this.#abortRuns();
    this.#transport = transport;
    this.#selfId = selfId;
    this.#messages = [];
    this.#early = [];
    this.#cursor = 0;
    this.#loaded = this.#hasMore = false;
    if (this.#connected) this.#subscribe();
    this.#host.requestUpdate();
  }

  hostConnected(): void {
    this.#connected = true;
    this.#subscribe();
    document.addEventListener('visibilitychange', this.#onVisible);
    window.addEventListener('pageshow', this.#onPageShow);
  }

  hostDisconnected(): void {
    this.#connected = false;
    this.#unsubscribe();
    this.#abortRuns();
    document.removeEventListener('visibilitychange', this.#onVisible);
    window.removeEventListener('pageshow', this.#onPageShow);
    this.#setTyping(false);
  }

  /** Loads the latest page (or resyncs when already loaded). */
  load(): Promise<void> {
    return this.#loaded ? this.resync() : this.#share('load', () => this.#loadLatest());
  }

  async #loadLatest(): Promise<void> {
    const { transport, signal } = this.#run();
    const page = await transport.latest(this.#options.perPage ?? 30, signal);
    signal.throwIfAborted();
    this.#loaded = true;
    this.#hasMore = page.hasMore;
    this.merge(page.messages, false);
    const early = this.#early;
    this.#early = [];
    for (const e of early) this.merge([e.message], e.live);
  }

  /** Loads the page before the oldest message shown. */
  loadOlder(): Promise<void> {
    return this.#share('older', () => this.#loadOlder());
  }

  async #loadOlder(): Promise<void> {
    const oldest = this.#messages[0];
    if (!oldest) return this.load();
    const { transport, signal } = this.#run();
    const page = await transport.before(oldest, this.#options.perPage ?? 30, signal);
    signal.throwIfAborted();
    this.#hasMore = page.hasMore;
    this.merge(page.messages, false);
  }

  /**
   * Fetches everything created, edited or deleted since the last change seen. Calls while one is
   * running (reconnect, tab return and health probe can coincide) share it.
   */
  resync(): Promise<void> {
    return this.#share('resync', () => this.#resync());
  }

  async #resync(): Promise<void> {
    if (!this.#loaded) return this.load();
    const { transport, signal } = this.#run();
    // Mattermost answers `since` with `UpdateAt > since`: a post changed in the same millisecond
    // as the last one seen would be missed, so ask from one millisecond earlier (ids de-duplicate).
    const changed = await transport.since(Math.max(0, this.#cursor - 1), signal);
    signal.throwIfAborted();
    this.merge(changed, true);
  }

  /**
   * Adds, replaces or removes messages. `live` ones from others are reported to `onReceived`.
   * A message whose client id is already shown under another post id is a duplicate of a
   * resend and is dropped.
   *
   * `cursor` (default true) moves the point the next resync starts from. Pass false for messages
   * that did not come through the conversation's own feed (the outbox's REST answer): the socket
   * may be down, and moving the cursor past them would skip what others posted meanwhile.
   */
  merge(incoming: readonly ChatMessage[], live: boolean, cursor = true): void {
    const byId = new Map(this.#messages.map((m) => [m.id, m]));
    const clientIds = new Set(this.#messages.map((m) => m.clientId));
    const fresh: ChatMessage[] = [];
    for (const m of incoming) {
      if (cursor) this.#cursor = Math.max(this.#cursor, m.updateAt, m.createAt);
      if (m.deleted) {
        byId.delete(m.id);
        continue;
      }
      const old = byId.get(m.id);
      if (!old && m.clientId && clientIds.has(m.clientId)) continue;
      if (!old && live && m.userId !== this.#selfId) fresh.push(m);
      byId.set(m.id, m);
      clientIds.add(m.clientId);
    }
    this.#messages = [...byId.values()].sort((a, b) => a.createAt - b.createAt);
    if (fresh.length) this.#setTyping(false);
    this.#host.requestUpdate();
    for (const m of fresh) this.#options.onReceived?.(m);
    this.#fetchNames();
  }

  /** The attached transport and the signal of its runs. */
  #run(): { transport: Transport; signal: AbortSignal } {
    if (!this.#transport) throw new Error('ConversationController: attach(transport) before loading');
    return { transport: this.#transport, signal: this.#runs.signal };
  }

  /** `work`, or the same work already running for an overlapping caller. */
  #share(key: SharedRun, work: () => Promise<void>): Promise<void> {
    const pending = this.#shared.get(key);
    if (pending) return pending;
    const run = work().finally(() => this.#shared.get(key) === run && this.#shared.delete(key));
    this.#shared.set(key, run);
    return run;
  }

  #abortRuns(): void {
    this.#runs.abort();
    this.#runs = new AbortController();
    this.#shared.clear();
  }

  #fetchNames(): void {
    const ids = [...new Set([...this.#messages.map((m) => m.userId), ...this.#typers])].filter(
      (id) => id !== this.#selfId && !this.#asked.has(id),
    );
    if (!ids.length || !this.#transport) return;
    ids.forEach((id) => this.#asked.add(id));
    const { signal } = this.#runs;
    this.#transport
      .names(ids, signal)
      .then((found) => {
        signal.throwIfAborted();
        this.#names = { ...this.#names, ...found };
        this.#host.requestUpdate();
      })
      // Not found, failed or aborted: ask again with the next message from them.
      .catch(() => ids.forEach((id) => this.#asked.delete(id)));
  }

  #subscribe(): void {
    if (!this.#transport || this.#unlisten) return;
    this.#unlisten = this.#transport.subscribe((e) => {
      if (e.type === 'typing') this.#setTyping(true, e.userId);
      else if (e.type === 'status' || e.type === 'refused') return;
      else if (this.#loaded) this.merge([e.message], e.type === 'posted');
      else this.#early.push({ message: e.message, live: e.type === 'posted' });
    });
  }

  #unsubscribe(): void {
    this.#unlisten?.();
    this.#unlisten = undefined;
  }

  #setTyping(on: boolean, userId?: string): void {
    clearTimeout(this.#typingTimer);
    if (on) this.#typingTimer = setTimeout(() => this.#setTyping(false), this.#options.typingTimeout ?? 6000);
    const typers = on ? (userId && !this.#typers.includes(userId) ? [...this.#typers, userId] : this.#typers) : [];
    if (typers !== this.#typers) {
      this.#typers = typers;
      this.#host.requestUpdate();
      if (on) this.#fetchNames();
    }
    if (on === this.#typing) return;
    this.#typing = on;
    this.#host.requestUpdate();
  }

  #background(work: Promise<void>): void {
    work.catch((e) => this.#options.onError?.(e));
  }

  #onVisible = (): void => {
    if (document.visibilityState === 'visible' && this.#loaded) this.#background(this.resync());
  };

  #onPageShow = (e: PageTransitionEvent): void => {
    if (e.persisted && this.#loaded) this.#background(this.resync());
  };
}
