import {
  TransportError,
  type ChatMessage,
  type ChatPage,
  type ConnectionState,
  type Transport,
  type TransportErrorKind,
  type TransportEvent,
} from './transport.js';

type Op = 'latest' | 'before' | 'since' | 'send' | 'names';

/** Options of the in-memory backend. */
export interface MemoryTransportOptions {
  /** The visitor's user id (default `visitor`). */
  userId?: string;
  /** Messages already in the channel, oldest first. */
  history?: Array<Partial<ChatMessage> & { text: string }>;
  /** Display names by user id. */
  names?: Record<string, string>;
  /**
   * Emulate Mattermost's `pending_post_id` de-duplication (repeats of a client id within this
   * many ms return the first post). 0 turns it off to prove the widget does not rely on it.
   */
  dedupeWindow?: number;
}

/**
 * An in-memory chat backend for unit tests and Storybook. It holds the channel's posts and
 * plays the other side: agents posting and typing, the socket dropping and coming back, the
 * service going down, calls failing.
 *
 * @example
 * const server = new MemoryTransport({ history: [{ text: 'Hi! How can we help?', userId: 'agent' }] });
 * panel.transportFactory = () => server;
 * server.agentPost('Hello');
 */
export class MemoryTransport implements Transport {
  /** Every post in the channel, oldest first (including deleted ones). */
  readonly posts: ChatMessage[] = [];
  /** Calls made, in order, e.g. `send:<clientId>`, `since:123`, `typing`. */
  readonly calls: string[] = [];
  /** Current socket state. */
  state: ConnectionState | 'closed' = 'closed';
  /** While true every REST call fails with a network error and the socket cannot connect. */
  down = false;
  readonly userId: string;
  #l = new Set<(e: TransportEvent) => void>();
  #fail: Array<{ op: Op; kind: TransportErrorKind; commit: boolean }> = [];
  #hold?: Promise<void>;
  #n = 0;
  #t = 0;
  #names: Record<string, string>;
  #window: number;
  #firstSeen = new Map<string, { post: ChatMessage; at: number }>();

  constructor(options: MemoryTransportOptions = {}) {
    this.userId = options.userId ?? 'visitor';
    this.#names = { agent: 'Alex', ...options.names };
    this.#window = options.dedupeWindow ?? 30000;
    for (const h of options.history ?? []) this.#add(h.text, h.userId ?? 'agent', h.clientId);
  }

  // ── the other side ──────────────────────────────────────────────────────────────────────

  /** An agent posts; delivered live unless the socket is down (then found by a resync). */
  agentPost(text: string, userId = 'agent'): ChatMessage {
    const m = this.#add(text, userId);
    this.#live({ type: 'posted', message: m });
    return m;
  }

  /** An agent edits a post. */
  agentEdit(id: string, text: string): void {
    const i = this.posts.findIndex((p) => p.id === id);
    this.posts[i] = { ...this.posts[i], text, edited: true, updateAt: this.#tick() };
    this.#live({ type: 'edited', message: this.posts[i] });
  }

  /** A post is deleted. */
  agentDelete(id: string): void {
    const i = this.posts.findIndex((p) => p.id === id);
    this.posts[i] = { ...this.posts[i], deleted: true, updateAt: this.#tick() };
    this.#live({ type: 'deleted', message: this.posts[i] });
  }

  /** An agent is typing. */
  agentTyping(userId = 'agent'): void {
    this.#live({ type: 'typing', userId });
  }

  /** The socket drops: `reconnecting`, or `offline` when `offline` is true. Live events are lost. */
  drop(offline = false): void {
    this.#status(offline ? 'offline' : 'reconnecting');
  }

  /** The socket comes back (`online`). */
  restore(): void {
    this.down = false;
    this.#status('online');
  }

  /** The next call of `op` fails with `kind`; with `commit` the post is stored anyway (lost ack). */
  failNext(op: Op, kind: TransportErrorKind = 'network', commit = false): void {
    this.#fail.push({ op, kind, commit });
  }

  /** Calls wait until the returned function is called (to observe in-flight states). */
  hold(): () => void {
    let release!: () => void;
    this.#hold = new Promise((r) => (release = r));
    return () => {
      this.#hold = undefined;
      release();
    };
  }

  /** Live posts by the visitor, excluding deleted ones. */
  get visitorPosts(): ChatMessage[] {
    return this.posts.filter((p) => p.userId === this.userId && !p.deleted);
  }

  // ── Transport ───────────────────────────────────────────────────────────────────────────

  connect(): void {
    this.#status('connecting');
    queueMicrotask(() => this.#status(this.down ? 'offline' : 'online'));
  }

  disconnect(): void {
    this.state = 'closed';
  }

  setToken(): void {
    this.calls.push('setToken');
  }

  async latest(perPage: number): Promise<ChatPage> {
    await this.#call('latest');
    const live = this.posts.filter((p) => !p.deleted);
    return { messages: live.slice(-perPage), hasMore: live.length > perPage };
  }

  async before(oldest: Pick<ChatMessage, 'id' | 'createAt'>, perPage: number): Promise<ChatPage> {
    await this.#call('before');
    const live = this.posts.filter((p) => !p.deleted);
    const end = live.findIndex((p) => p.id === oldest.id);
    const start = Math.max(0, end - perPage);
    return { messages: live.slice(start, end), hasMore: start > 0 };
  }

  async since(since: number): Promise<ChatMessage[]> {
    await this.#call(`since:${since}`);
    return this.posts.filter((p) => p.updateAt > since);
  }

  async send({ clientId, text }: { clientId: string; text: string }): Promise<ChatMessage> {
    const f = await this.#call(`send:${clientId}`, true);
    const seen = this.#firstSeen.get(clientId);
    let m: ChatMessage;
    if (seen && this.#tNow() - seen.at < this.#window) m = seen.post;
    else {
      m = this.#add(text, this.userId, clientId);
      this.#firstSeen.set(clientId, { post: m, at: this.#tNow() });
      this.#live({ type: 'posted', message: m });
    }
    if (f) throw new TransportError(f.kind, `simulated ${f.kind} failure after commit`);
    return m;
  }

  typing(): void {
    this.calls.push('typing');
  }

  async names(userIds: string[]): Promise<Record<string, string>> {
    await this.#call('names');
    return Object.fromEntries(userIds.filter((u) => this.#names[u]).map((u) => [u, this.#names[u]]));
  }

  subscribe(listener: (event: TransportEvent) => void): () => void {
    this.#l.add(listener);
    return () => this.#l.delete(listener);
  }

  // ── internals ───────────────────────────────────────────────────────────────────────────

  #tNow(): number {
    return Date.now();
  }

  #tick(): number {
    // Server clock: real time, strictly increasing.
    return (this.#t = Math.max(Date.now(), this.#t + 1));
  }

  #add(text: string, userId: string, clientId?: string): ChatMessage {
    const t = this.#tick();
    const m: ChatMessage = { id: `p${++this.#n}`, clientId, userId, text, createAt: t, updateAt: t, deleted: false, edited: false };
    this.posts.push(m);
    return m;
  }

  async #call(name: string, commitable = false): Promise<{ kind: TransportErrorKind } | undefined> {
    this.calls.push(name);
    await this.#hold;
    await Promise.resolve();
    if (this.down) throw new TransportError('network', 'simulated: service down');
    const op = name.split(':')[0];
    const i = this.#fail.findIndex((f) => f.op === op);
    if (i < 0) return undefined;
    const [f] = this.#fail.splice(i, 1);
    if (commitable && f.commit) return f;
    throw new TransportError(f.kind, `simulated ${f.kind} failure`);
  }

  #live(e: TransportEvent): void {
    if (this.state === 'online') for (const l of this.#l) l(e);
  }

  #status(s: ConnectionState): void {
    this.state = s;
    for (const l of this.#l) l({ type: 'status', status: s });
  }
}
