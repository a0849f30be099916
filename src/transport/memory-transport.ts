import { abortable } from './abort.js';
import {
  TransportError,
  type Availability,
  type ChatFile,
  type ChatMessage,
  type ChatPage,
  type ConnectionState,
  type ContactDetails,
  type QueuedSend,
  type Transport,
  type TransportErrorKind,
  type TransportEvent,
} from './transport.js';

type Op = 'latest' | 'before' | 'since' | 'send' | 'names' | 'upload' | 'file';

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
  /**
   * When false, `connect()` leaves the socket `connecting` until `restore()`: the time between the
   * first history read and the socket's registration, when posts reach neither (default true:
   * `online` on the next microtask).
   */
  autoOnline?: boolean;
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
  /**
   * Offline part: the companion answers but Mattermost does not. Reads fail 503
   * `mattermost_unavailable`, sends answer `{queued}`; `chatServerBack()` posts what was queued.
   */
  chatServerDown = false;
  #queued: Array<{ clientId: string; text: string; createAt: number }> = [];
  /** The contact form's fields each send carried (offline part). */
  readonly contacts: Array<{ clientId: string; contact: ContactDetails }> = [];
  readonly userId: string;
  #listeners = new Set<(e: TransportEvent) => void>();
  #failures: Array<{ op: Op; kind: TransportErrorKind; commit: boolean; retryAfter?: number; status?: number }> = [];
  #autoOnline: boolean;
  #hold?: Promise<void>;
  /** Posts created so far: the next post id. */
  #postCount = 0;
  /** The server clock's last reading (creation and update times are strictly increasing). */
  #serverTime = 0;
  #names: Record<string, string>;
  #dedupeWindow: number;
  /** The socket refused the token: it stays down until `setToken()`. */
  #refused = false;
  #firstSeen = new Map<string, { post: ChatMessage; at: number }>();
  // Agents and availability
  /** Agents' profile images by user id (none: initials). */
  readonly avatars = new Map<string, Blob>();
  /** What `availability()` answers; set it to play the team coming and going. */
  team: Availability = { state: 'online', fields: [], emailReplies: false };
  /** Files of the conversation (uploaded by the visitor or added for agents), with their bytes. */
  readonly files = new Map<string, { file: ChatFile; blob: Blob }>();
  /**
   * How uploads progress: in this many steps, one per `uploadStep` ms (0: each step on the next
   * macrotask). Storybook slows it down to show the bar.
   */
  uploadSteps = 4;
  uploadStep = 0;
  /** When set, an upload stops at this fraction (0…1) until `releaseUpload()` (to observe progress). */
  uploadPause?: number;
  #paused = new Set<() => void>();

  constructor(options: MemoryTransportOptions = {}) {
    this.userId = options.userId ?? 'visitor';
    this.#names = { agent: 'Alex', ...options.names };
    this.#dedupeWindow = options.dedupeWindow ?? 30000;
    this.#autoOnline = options.autoOnline ?? true;
    for (const past of options.history ?? []) this.#add(past.text, past.userId ?? 'agent', past.clientId);
  }

  // ── the other side ──────────────────────────────────────────────────────────────────────

  /**
   * Registers a file of the conversation (an agent's, say) with its bytes; returns its ChatFile
   * to pass to `agentPost`.
   */
  addFile(blob: Blob, name: string, extra: Partial<ChatFile> = {}): ChatFile {
    const type = blob.type || 'application/octet-stream';
    const file: ChatFile = { id: `f${this.files.size + 1}`, name, size: blob.size, type, ...extra };
    this.files.set(file.id, { file, blob });
    return file;
  }

  /** Lets an upload stopped at `uploadPause` go on. */
  releaseUpload(): void {
    this.uploadPause = undefined;
    for (const go of this.#paused) go();
    this.#paused.clear();
  }

  /** An agent posts (with `files`, see `addFile`); delivered live unless the socket is down (then found by a resync). */
  agentPost(text: string, userId = 'agent', files?: ChatFile[]): ChatMessage {
    const message = this.#add(text, userId, undefined, files);
    this.#live({ type: 'posted', message });
    return message;
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

  /**
   * The server refuses the token on the socket (gateway mode's close 4401): `reconnecting` and a
   * `refused` event; the socket comes back `online` with the next `setToken()`.
   */
  refuse(reason = 'token_invalid'): void {
    this.#refused = true;
    this.#status('reconnecting');
    for (const listener of this.#listeners) listener({ type: 'refused', reason });
  }

  /** Offline part: Mattermost is back; what was queued is posted in order (live, and found by a resync). */
  chatServerBack(): void {
    this.chatServerDown = false;
    for (const q of this.#queued.splice(0)) {
      const message = this.#add(q.text, this.userId, q.clientId);
      this.#firstSeen.set(q.clientId, { post: message, at: Date.now() });
      this.#live({ type: 'posted', message });
    }
  }

  /** The socket comes back (`online`). */
  restore(): void {
    this.down = this.#refused = false;
    this.#status('online');
  }

  /**
   * The next call of `op` fails with `kind`; with `commit` the post is stored anyway (lost ack).
   * `retryAfter` (ms) is the error's, as a `rate_limited` answer's `Retry-After` would give it;
   * `status` the HTTP status the error carries (413: too long).
   */
  failNext(op: Op, kind: TransportErrorKind = 'network', commit = false, retryAfter?: number, status?: number): void {
    this.#failures.push({ op, kind, commit, retryAfter, status });
  }

  /** Calls wait until the returned function is called (to observe in-flight states); an abort still ends them. */
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
    if (this.#autoOnline) queueMicrotask(() => this.#status(this.down ? 'offline' : 'online'));
  }

  disconnect(): void {
    this.state = 'closed';
  }

  setToken(): void {
    this.calls.push('setToken');
    if (!this.#refused) return;
    this.#refused = false;
    this.#status('online');
  }

  async latest(perPage: number, signal?: AbortSignal): Promise<ChatPage> {
    await this.#call('latest', signal);
    const live = this.posts.filter((p) => !p.deleted);
    return { messages: live.slice(-perPage), hasMore: live.length > perPage };
  }

  async before(oldest: Pick<ChatMessage, 'id' | 'createAt'>, perPage: number, signal?: AbortSignal): Promise<ChatPage> {
    await this.#call('before', signal);
    const live = this.posts.filter((p) => !p.deleted);
    const end = live.findIndex((p) => p.id === oldest.id);
    const start = Math.max(0, end - perPage);
    return { messages: live.slice(start, end), hasMore: start > 0 };
  }

  async since(since: number, signal?: AbortSignal): Promise<ChatMessage[]> {
    await this.#call(`since:${since}`, signal);
    return this.posts.filter((p) => p.updateAt > since);
  }

  async send(
    { clientId, text, fileIds, contact }: { clientId: string; text: string; fileIds?: string[]; contact?: ContactDetails },
    signal?: AbortSignal,
  ): Promise<ChatMessage | QueuedSend> {
    const lostAck = await this.#call(`send:${clientId}`, signal, true);
    if (contact) this.contacts.push({ clientId, contact });
    if (this.chatServerDown && !this.#firstSeen.has(clientId)) {
      let q = this.#queued.find((m) => m.clientId === clientId);
      if (!q) this.#queued.push((q = { clientId, text, createAt: Date.now() }));
      return { queued: { clientId, createAt: q.createAt } };
    }
    // As the companion: only files uploaded in this conversation can be attached.
    const files = fileIds?.map((id) => this.files.get(id)?.file);
    if (files?.some((f) => !f))
      throw new TransportError('rejected', 'simulated: invalid_request (a file id not of this conversation)', 400);
    const seen = this.#firstSeen.get(clientId);
    let message: ChatMessage;
    if (seen && Date.now() - seen.at < this.#dedupeWindow) message = seen.post;
    else {
      message = this.#add(text, this.userId, clientId, files as ChatFile[] | undefined);
      this.#firstSeen.set(clientId, { post: message, at: Date.now() });
      this.#live({ type: 'posted', message });
    }
    if (lostAck) throw new TransportError(lostAck.kind, `simulated ${lostAck.kind} failure after commit`, undefined, lostAck.retryAfter);
    return message;
  }

  typing(): void {
    this.calls.push('typing');
  }

  async upload(file: File, onProgress: (sent: number, total: number) => void, signal?: AbortSignal): Promise<ChatFile> {
    await this.#call(`upload:${file.name}`, signal);
    const steps = Math.max(1, this.uploadSteps);
    for (let i = 1; i <= steps; i++) {
      if (this.uploadPause !== undefined && i / steps > this.uploadPause)
        await abortable(new Promise<void>((r) => this.#paused.add(r)), signal);
      await abortable(new Promise((r) => setTimeout(r, this.uploadStep)), signal);
      if (this.down) throw new TransportError('network', 'simulated: service down');
      onProgress(Math.round((file.size * i) / steps), file.size);
    }
    return this.addFile(file, file.name);
  }

  async file(fileId: string, signal?: AbortSignal): Promise<Blob> {
    await this.#call(`file:${fileId}`, signal);
    const entry = this.files.get(fileId);
    if (!entry) throw new TransportError('rejected', 'simulated: not_found', 404);
    return entry.blob;
  }

  // Agents and availability
  async avatar(userId: string, signal?: AbortSignal): Promise<Blob | undefined> {
    await this.#call(`avatar:${userId}`, signal);
    return this.avatars.get(userId);
  }

  async availability(signal?: AbortSignal): Promise<Availability> {
    await this.#call('availability', signal);
    return { ...this.team };
  }

  async names(userIds: string[], signal?: AbortSignal): Promise<Record<string, string>> {
    await this.#call('names', signal);
    return Object.fromEntries(userIds.filter((id) => this.#names[id]).map((id) => [id, this.#names[id]]));
  }

  subscribe(listener: (event: TransportEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  // ── internals ───────────────────────────────────────────────────────────────────────────

  #tick(): number {
    // Server clock: real time, strictly increasing.
    return (this.#serverTime = Math.max(Date.now(), this.#serverTime + 1));
  }

  #add(text: string, userId: string, clientId?: string, files?: ChatFile[]): ChatMessage {
    const at = this.#tick();
    const message: ChatMessage = {
      id: `p${++this.#postCount}`,
      clientId,
      userId,
      text,
      createAt: at,
      updateAt: at,
      deleted: false,
      edited: false,
      ...(files?.length ? { files } : {}),
    };
    this.posts.push(message);
    return message;
  }

  /**
   * One REST call: recorded, held while `hold()` is on, then failed as `down` or `failNext` say.
   * Rejects with the signal's reason once `signal` aborts. A `commitable` call (send) that is to
   * fail after committing returns the failure for the caller to throw once the post is stored.
   */
  async #call(
    name: string,
    signal?: AbortSignal,
    commitable = false,
  ): Promise<{ kind: TransportErrorKind; retryAfter?: number } | undefined> {
    this.calls.push(name);
    await abortable(this.#hold ?? Promise.resolve(), signal);
    await Promise.resolve();
    signal?.throwIfAborted();
    if (this.down) throw new TransportError('network', 'simulated: service down');
    if (this.chatServerDown && /^(latest|before|since)/.test(name))
      throw new TransportError('unavailable', 'simulated: 503 mattermost_unavailable', 503, undefined, 'mattermost_unavailable');
    const op = name.split(':')[0];
    const index = this.#failures.findIndex((f) => f.op === op);
    if (index < 0) return undefined;
    const [failure] = this.#failures.splice(index, 1);
    if (commitable && failure.commit) return failure;
    throw new TransportError(failure.kind, `simulated ${failure.kind} failure`, failure.status, failure.retryAfter);
  }

  #live(event: TransportEvent): void {
    if (this.state === 'online') for (const listener of this.#listeners) listener(event);
  }

  #status(status: ConnectionState): void {
    this.state = status;
    for (const listener of this.#listeners) listener({ type: 'status', status });
  }
}
