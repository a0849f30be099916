import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { ChatMessage, Transport } from '../transport/transport.js';

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
 * changed since the last change it saw. Never renders.
 *
 * @example
 * const conversation = new ConversationController(this, { onReceived: (m) => … });
 * conversation.attach(transport, session.userId);
 * await conversation.load();
 */
export class ConversationController implements ReactiveController {
  #host: ReactiveControllerHost;
  #o: ConversationOptions;
  #t?: Transport;
  #self = '';
  #off?: () => void;
  #list: ChatMessage[] = [];
  #names: Record<string, string> = {};
  #asked = new Set<string>();
  #last = 0;
  #loaded = false;
  #more = false;
  #gen = 0;
  #typing = false;
  #typingTimer?: ReturnType<typeof setTimeout>;
  #connected = false;
  #older?: Promise<void>;
  #resyncing?: Promise<void>;
  /** Live events that arrived while the first page was loading, merged right after it. */
  #early: { m: ChatMessage; live: boolean }[] = [];

  constructor(host: ReactiveControllerHost, options: ConversationOptions = {}) {
    this.#host = host;
    this.#o = options;
    host.addController(this);
  }

  /** Messages, oldest first, without deleted ones. */
  get messages(): readonly ChatMessage[] {
    return this.#list;
  }
  /** Older messages can be loaded. */
  get hasMore(): boolean {
    return this.#more;
  }
  /** The first page arrived. */
  get loaded(): boolean {
    return this.#loaded;
  }
  /** Someone on the team is typing. */
  get typing(): boolean {
    return this.#typing;
  }
  /** Display names by user id, as far as known. */
  get names(): Readonly<Record<string, string>> {
    return this.#names;
  }

  /** Uses `t` for the conversation of `selfId` from now on. */
  attach(t: Transport | undefined, selfId = ''): void {
    this.#unsubscribe();
    this.#gen++;
    this.#t = t;
    this.#self = selfId;
    this.#list = [];
    this.#early = [];
    this.#resyncing = this.#older = undefined; // runs of the old transport are discarded
    this.#last = 0;
    this.#loaded = this.#more = false;
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
    this.#gen++;
    document.removeEventListener('visibilitychange', this.#onVisible);
    window.removeEventListener('pageshow', this.#onPageShow);
    this.#setTyping(false);
  }

  /** Loads the latest page (or resyncs when already loaded). */
  async load(): Promise<void> {
    if (this.#loaded) return this.resync();
    const { t, gen } = this.#run();
    const page = await t.latest(this.#o.perPage ?? 30);
    if (gen !== this.#gen) return;
    this.#loaded = true;
    this.#more = page.hasMore;
    this.merge(page.messages, false);
    const early = this.#early;
    this.#early = [];
    for (const e of early) this.merge([e.m], e.live);
  }

  /** Loads the page before the oldest message shown. */
  loadOlder(): Promise<void> {
    return (this.#older ??= this.#loadOlder().finally(() => (this.#older = undefined)));
  }

  async #loadOlder(): Promise<void> {
    const first = this.#list[0];
    if (!first) return this.load();
    const { t, gen } = this.#run();
    const page = await t.before(first, this.#o.perPage ?? 30);
    if (gen !== this.#gen) return;
    this.#more = page.hasMore;
    this.merge(page.messages, false);
  }

  /**
   * Fetches everything created, edited or deleted since the last change seen. Calls while one is
   * running (reconnect, tab return and health probe can coincide) share it.
   */
  resync(): Promise<void> {
    return (this.#resyncing ??= this.#resync().finally(() => (this.#resyncing = undefined)));
  }

  async #resync(): Promise<void> {
    if (!this.#loaded) return this.load();
    const { t, gen } = this.#run();
    // Mattermost answers `since` with `UpdateAt > since`: a post changed in the same millisecond
    // as the last one seen would be missed, so ask from one millisecond earlier (ids de-duplicate).
    const list = await t.since(Math.max(0, this.#last - 1));
    if (gen === this.#gen) this.merge(list, true);
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
    const byId = new Map(this.#list.map((m) => [m.id, m]));
    const clientIds = new Set(this.#list.map((m) => m.clientId));
    const fresh: ChatMessage[] = [];
    for (const m of incoming) {
      if (cursor) this.#last = Math.max(this.#last, m.updateAt, m.createAt);
      if (m.deleted) {
        byId.delete(m.id);
        continue;
      }
      const old = byId.get(m.id);
      if (!old && m.clientId && clientIds.has(m.clientId)) continue;
      if (!old && live && m.userId !== this.#self) fresh.push(m);
      byId.set(m.id, m);
      clientIds.add(m.clientId);
    }
    this.#list = [...byId.values()].sort((a, b) => a.createAt - b.createAt);
    if (fresh.length) this.#setTyping(false);
    this.#host.requestUpdate();
    for (const m of fresh) this.#o.onReceived?.(m);
    this.#fetchNames();
  }

  #run(): { t: Transport; gen: number } {
    if (!this.#t) throw new Error('ConversationController: attach(transport) before loading');
    return { t: this.#t, gen: this.#gen };
  }

  #fetchNames(): void {
    const ids = [...new Set(this.#list.map((m) => m.userId))].filter((u) => u !== this.#self && !this.#asked.has(u));
    if (!ids.length || !this.#t) return;
    ids.forEach((u) => this.#asked.add(u));
    const gen = this.#gen;
    this.#t.names(ids).then(
      (n) => {
        if (gen !== this.#gen) return;
        this.#names = { ...this.#names, ...n };
        this.#host.requestUpdate();
      },
      () => ids.forEach((u) => this.#asked.delete(u)),
    );
  }

  #subscribe(): void {
    if (!this.#t || this.#off) return;
    this.#off = this.#t.subscribe((e) => {
      if (e.type === 'typing') this.#setTyping(true);
      else if (e.type === 'status') return;
      else if (this.#loaded) this.merge([e.message], e.type === 'posted');
      else this.#early.push({ m: e.message, live: e.type === 'posted' });
    });
  }

  #unsubscribe(): void {
    this.#off?.();
    this.#off = undefined;
  }

  #setTyping(on: boolean): void {
    clearTimeout(this.#typingTimer);
    if (on) this.#typingTimer = setTimeout(() => this.#setTyping(false), this.#o.typingTimeout ?? 6000);
    if (on === this.#typing) return;
    this.#typing = on;
    this.#host.requestUpdate();
  }

  #background(p: Promise<void>): void {
    p.catch((e) => this.#o.onError?.(e));
  }

  #onVisible = (): void => {
    if (document.visibilityState === 'visible' && this.#loaded) this.#background(this.resync());
  };

  #onPageShow = (e: PageTransitionEvent): void => {
    if (e.persisted && this.#loaded) this.#background(this.resync());
  };
}
