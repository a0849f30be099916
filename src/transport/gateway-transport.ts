import {
  agentsResponseSchema,
  availabilityResponseSchema,
  LiveCloseCode,
  messagesResponseSchema,
  sendAnswerSchema,
  serverFrameSchema,
  wireFileSchema,
  type WireMessage,
} from '../protocol/gateway.js';
import { LiveSocket, type LiveSocketTimers } from './live-socket.js';
import { fetchBlob } from './upload.js';
import {
  parseRetryAfter,
  TransportError,
  type ChatFile,
  type Availability,
  type ChatMessage,
  type ChatPage,
  type ContactDetails,
  type QueuedSend,
  type Session,
  type Transport,
  type TransportEvent,
} from './transport.js';

/** Options mainly for tests. */
export interface GatewayTransportOptions {
  /** WebSocket constructor (defaults to the browser's). */
  WebSocket?: typeof WebSocket;
  /** fetch (defaults to the browser's). */
  fetch?: typeof fetch;
  /** Interval of `ping` frames that detect dead sockets, ms (default 25000). */
  pingInterval?: number;
  /** While the socket is down: how often to ask `GET /healthz` whether the companion is back, ms (default 1000). */
  probeInterval?: number;
  /**
   * Timers and jitter of the live socket's pings and probes, and the jitter of its backoff (default:
   * the browser's); reconnecting-websocket's own waits use the page's `setTimeout`.
   */
  timers?: LiveSocketTimers;
}

/** A schema as the transport uses it (zod/mini's `safeParse`). */
interface Schema<T> {
  safeParse(value: unknown): { success: true; data: T } | { success: false };
}

/** Most `since` pages one resync asks for before giving up on a companion whose `hasMore` never ends. */
const SINCE_MAX_PAGES = 20;

/**
 * Gateway mode: the companion's visitor API (`/v1/messages`, `/v1/typing`, `/v1/agents`) with the
 * visitor's Porthole token as a bearer, and one `/v1/live` WebSocket kept up by
 * {@link LiveSocket}. The browser talks only to the companion, never to Mattermost, and nothing
 * here comes from @mattermost/client. The token never goes into a URL: the socket's first frame is
 * `{"type":"auth","token"}`, and a refreshed token is presented the same way on the open socket.
 * Every response and frame is validated with the schemas of src/protocol/gateway.ts; a frame that
 * fails them is ignored.
 *
 * When the companion refuses the token on the socket (close 4401, or 4403 after a re-auth with
 * another conversation's token) the socket stays closed and reports `reconnecting`, a `refused`
 * event says so — the session controller renews the session at once, as for a 401, so a visitor
 * who is only reading gets live messages again — and until then every REST call fails with a
 * TransportError `auth` (status 401) without asking. The renewal's `setToken()` reconnects at once.
 *
 * @example
 * const transport = new GatewayTransport(session); // session.mode === 'gateway'
 * transport.subscribe((e) => console.log(e));
 * transport.connect();
 * const { messages } = await transport.latest(30, signal);
 */
export class GatewayTransport implements Transport {
  #session: Session;
  #options: GatewayTransportOptions;
  /** The companion's base URL, without a trailing slash. */
  #base: string;
  #live?: LiveSocket;
  #listeners = new Set<(e: TransportEvent) => void>();
  /** Why the companion refused the current token on the socket (its close reason), until `setToken`. */
  #refused?: string;

  constructor(session: Session, options: GatewayTransportOptions = {}) {
    this.#session = session;
    this.#options = options;
    this.#base = session.serverUrl.replace(/\/+$/, '');
  }

  setToken(token: string): void {
    this.#session = { ...this.#session, token };
    this.#refused = undefined;
    // Open: present it on this socket (the companion answers `ready` again). Held after a
    // refusal: reconnect with it now. Connecting: the socket's first frame will carry it.
    if (!this.#auth()) this.#live?.resume();
  }

  async latest(perPage: number, signal?: AbortSignal): Promise<ChatPage> {
    return this.#request(`/v1/messages?per_page=${perPage}`, messagesResponseSchema, signal);
  }

  async before(oldest: Pick<ChatMessage, 'id' | 'createAt'>, perPage: number, signal?: AbortSignal): Promise<ChatPage> {
    // The companion pages the thread by (create time, id): no sibling of the cursor is skipped.
    return this.#request(`/v1/messages?before=${encodeURIComponent(oldest.id)}&per_page=${perPage}`, messagesResponseSchema, signal);
  }

  async since(since: number, signal?: AbortSignal): Promise<ChatMessage[]> {
    const byId = new Map<string, ChatMessage>();
    let cursor = Math.max(0, Math.floor(since));
    for (let page = 0; page < SINCE_MAX_PAGES; page++) {
      const { messages, hasMore } = await this.#request(`/v1/messages?since=${cursor}`, messagesResponseSchema, signal);
      for (const m of messages) byId.set(m.id, m);
      // The next page starts from the newest change seen, minus 1 ms in case a sibling changed in
      // the same millisecond was cut off (what is seen twice is merged by id); no progress: done.
      const newest = Math.max(...messages.map((m) => m.updateAt));
      const next = newest - 1 > cursor ? newest - 1 : newest;
      if (!hasMore || !(next > cursor)) break;
      cursor = next;
    }
    return [...byId.values()].sort((a, b) => a.createAt - b.createAt);
  }

  async send(
    { clientId, text, fileIds, contact }: { clientId: string; text: string; fileIds?: string[]; contact?: ContactDetails },
    signal?: AbortSignal,
  ): Promise<ChatMessage | QueuedSend> {
    // The companion is idempotent by clientId: a repeat returns the message it stored the first time.
    const init = {
      method: 'POST',
      body: JSON.stringify({ clientId, text, ...(fileIds?.length ? { fileIds } : {}), ...(contact ? { contact } : {}) }),
    };
    // 202 {queued}: Mattermost is down; the companion stored the message (store and forward).
    const answer = await this.#request('/v1/messages', sendAnswerSchema, signal, init);
    return 'queued' in answer ? answer : answer.message;
  }

  async upload(file: File, onProgress: (sent: number, total: number) => void, signal?: AbortSignal): Promise<ChatFile> {
    const what = 'POST /v1/files';
    if (this.#refused)
      throw new TransportError('auth', `${what}: the companion refused this token on /v1/live; a new session is needed`, 401);
    const headers = {
      Authorization: `Bearer ${this.#session.token}`,
      'Content-Type': file.type || 'application/octet-stream',
      'X-Porthole-File-Name': encodeURIComponent(file.name),
    };
    // File transfer code is a lazy chunk: loaded with the first upload or file shown.
    const { uploadError, xhrUpload } = await import('./xhr-upload.js');
    const answer = await xhrUpload(this.#base + '/v1/files', headers, file, onProgress, signal, what);
    if (answer.status !== 201) throw uploadError(what, answer);
    const parsed = wireFileSchema.safeParse((answer.body as { file?: unknown } | undefined)?.file);
    if (!parsed.success)
      throw new TransportError(
        'invalid',
        `${what} answered 201 without {file: {id, name, size, type}} (received ${describe(answer.body)})`,
        201,
      );
    return parsed.data;
  }

  // Agents and availability
  avatar(userId: string, signal?: AbortSignal): Promise<Blob | undefined> {
    return fetchBlob(
      `${this.#base}/v1/agents/${encodeURIComponent(userId)}/image`,
      this.#session.token,
      signal,
      'GET /v1/agents/:id/image',
      this.#options.fetch,
    ).catch(notFound);
  }

  availability(signal?: AbortSignal): Promise<Availability> {
    return this.#request('/v1/availability', availabilityResponseSchema, signal);
  }

  file(fileId: string, signal?: AbortSignal): Promise<Blob> {
    const url = `${this.#base}/v1/files/${encodeURIComponent(fileId)}`;
    return fetchBlob(url, this.#session.token, signal, 'GET /v1/files/:id', this.#options.fetch);
  }

  reportPage(page: { url: string; title?: string }, signal?: AbortSignal): Promise<void> {
    return this.#request('/v1/conversation/page', undefined, signal, { method: 'POST', body: JSON.stringify(page) });
  }

  typing(): void {
    // Best effort: a failure (refused — then without asking —, limited, offline) is not worth a report.
    this.#request('/v1/typing', undefined, undefined, { method: 'POST' }).catch(() => {});
  }

  async names(userIds: string[], signal?: AbortSignal): Promise<Record<string, string>> {
    const { agents } = await this.#request('/v1/agents', agentsResponseSchema, signal);
    const out: Record<string, string> = {};
    for (const { userId, name } of agents) if (userIds.includes(userId) && name) out[userId] = name;
    return out;
  }

  subscribe(listener: (event: TransportEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  connect(): void {
    if (this.#live) return;
    const o = this.#options;
    const live = (this.#live = new LiveSocket({
      url: `${this.#base.replace(/^http/, 'ws')}/v1/live`,
      probeUrl: `${this.#base}/healthz`,
      WebSocket: o.WebSocket,
      fetch: o.fetch,
      timers: o.timers,
      pingInterval: o.pingInterval ?? 25000,
      probeInterval: o.probeInterval,
      onOpen: () => this.#auth(),
      onFrame: (data) => this.#frame(data),
      onStatus: (status) => this.#emit({ type: 'status', status }),
      ping: () => live.send('{"type":"ping"}'),
      onClose: (code, reason) => {
        if (code === LiveCloseCode.unauthorized || code === LiveCloseCode.wrongConversation) {
          // Presenting the same token again would be refused again: wait for a new one, and say
          // so once the socket is held (a listener may hand over the new token straight away).
          const refused = (this.#refused = reason || String(code));
          queueMicrotask(() => {
            if (this.#live === live && this.#refused === refused) this.#emit({ type: 'refused', reason: refused });
          });
          return 'hold';
        }
        // Restarting: the companion is back in a moment (the probe notices even sooner).
        // Anything else (1006, 1011, 4408, 4429, or 4400/1009, which a correct client never
        // causes): the usual backoff, so a misbehaving server is not hammered.
        return code === LiveCloseCode.restarting ? 'soon' : 'backoff';
      },
    }));
    live.open();
  }

  disconnect(): void {
    this.#live?.close();
    this.#live = undefined;
  }

  /** Presents the current token on the open socket; false when no socket is open. */
  #auth(): boolean {
    return !!this.#live?.send(JSON.stringify({ type: 'auth', token: this.#session.token }));
  }

  /**
   * One visitor API call: the token as a bearer (never in the URL), no cookies, the caller's
   * signal. Rejects with the signal's reason once it aborts (even when the answer already
   * arrived), otherwise with a TransportError classified by the status (401 `auth`, 429
   * `rate_limited` with the `Retry-After` wait, 5xx `unavailable`, other 4xx `rejected`), or
   * `invalid` when the body does not match `schema`.
   */
  async #request<T>(path: string, schema: Schema<T> | undefined, signal?: AbortSignal, init: RequestInit = {}): Promise<T> {
    signal?.throwIfAborted();
    const what = `${init.method ?? 'GET'} ${path.split('?')[0]}`;
    if (this.#refused)
      throw new TransportError(
        'auth',
        `${what}: the companion refused this token on /v1/live (${this.#refused}); a new session is needed`,
        401,
      );
    const headers: Record<string, string> = { Authorization: `Bearer ${this.#session.token}` };
    if (init.body) headers['Content-Type'] = 'application/json';
    let response: Response;
    let body: unknown;
    try {
      response = await (this.#options.fetch ?? fetch)(this.#base + path, { ...init, headers, credentials: 'omit', signal });
      body = await response.json().catch(() => undefined);
    } catch (e) {
      signal?.throwIfAborted();
      throw new TransportError('network', `${what}: the companion at ${this.#base} could not be reached (${(e as Error)?.message ?? e})`);
    }
    signal?.throwIfAborted();
    const { status } = response;
    if (!response.ok) {
      const error = (body as { error?: { code?: unknown; message?: unknown; requestId?: unknown } } | undefined)?.error;
      const detail = typeof error?.message === 'string' ? `${error.code}: ${error.message}` : 'no error body';
      // 429: the companion's per-conversation or per-address limit, not an outage; its
      // `Retry-After` (seconds) says when the same call may go again.
      throw new TransportError(
        status === 401 ? 'auth' : status === 429 ? 'rate_limited' : status >= 500 ? 'unavailable' : 'rejected',
        `${what} answered ${status} (${detail}${typeof error?.requestId === 'string' ? `; request ${error.requestId}` : ''})`,
        status,
        status === 429 ? parseRetryAfter(response.headers.get('Retry-After'), Date.now()) : undefined,
        typeof error?.code === 'string' ? error.code : undefined,
      );
    }
    if (!schema) return undefined as T;
    const parsed = schema.safeParse(body);
    if (!parsed.success)
      throw new TransportError(
        'invalid',
        `${what} answered ${status} with a body that is not the visitor API's (received ${describe(body)})`,
        status,
      );
    return parsed.data;
  }

  #emit(event: TransportEvent): void {
    for (const listener of this.#listeners) listener(event);
  }

  /** One `/v1/live` frame; anything that is not a valid frame is ignored. */
  #frame(data: unknown): void {
    let json: unknown;
    try {
      json = JSON.parse(data as string);
    } catch {
      return;
    }
    const parsed = serverFrameSchema.safeParse(json);
    if (!parsed.success) return;
    const frame = parsed.data;
    if (frame.type === 'ready') this.#live?.ready();
    else if (frame.type === 'pong') this.#live?.pong();
    else if (frame.type === 'typing') {
      if (frame.userId !== this.#session.userId) this.#emit(frame);
    } else this.#emit({ type: frame.type, message: toChat(frame.message, frame.type === 'deleted') });
  }
}

/** A 404 as "nothing to show"; other failures stay failures. */
export const notFound = (e: unknown): undefined => {
  if ((e as { status?: number })?.status === 404) return undefined;
  throw e;
};

/** A wire message as the widget's ChatMessage (the same fields; a deleted event's is always `deleted`). */
const toChat = (m: WireMessage, deleted: boolean): ChatMessage => (deleted ? { ...m, deleted } : m);

/** A short description of what a response held, for error messages. */
const describe = (body: unknown): string => (body === undefined ? 'no JSON' : JSON.stringify(body).slice(0, 80));
