import C4 from '@mattermost/client/lib/client4';
import { LiveSocket } from './live-socket.js';
import { fetchBlob } from './upload.js';
import {
  TransportError,
  type ChatFile,
  type ChatMessage,
  type ChatPage,
  type ContactDetails,
  type Session,
  type Transport,
  type TransportEvent,
} from './transport.js';
import { oldestPostId, safeJson, toChatFile, toMessage, toMessages, toPage, wsFrame } from './wire.js';

// @mattermost/client is CommonJS with `exports.default`; depending on the bundler's interop the
// default import is the class or the module object.
const Client4 = ((C4 as unknown as { default?: typeof C4 }).default ?? C4) as typeof C4;

/** How many pages of system posts only `before()` walks past in one call before answering empty. */
const MAX_EMPTY_PAGES = 10;

/** Options mainly for tests. */
export interface MattermostTransportOptions {
  /** WebSocket constructor (defaults to the browser's). */
  WebSocket?: typeof WebSocket;
  /** Interval of application-level pings that detect dead sockets, ms. */
  pingInterval?: number;
  /** While the socket is down: how often to ask `GET /api/v4/system/ping` whether the server is back, ms (default 1000). */
  probeInterval?: number;
}

/**
 * A failed Client4 call as a TransportError, classified by its HTTP status (none: the network).
 * Mattermost's 429 stays `unavailable`, not `rate_limited`: Client4's ClientError carries the status
 * but not the response headers, so its `Retry-After` (and `X-RateLimit-Reset`) cannot be read here.
 */
function classify(e: unknown): TransportError {
  const status = (e as { status_code?: number } | null)?.status_code;
  const message = (e as Error | null)?.message ?? String(e);
  return new TransportError(
    !status ? 'network' : status === 401 ? 'auth' : status === 429 || status >= 500 ? 'unavailable' : 'rejected',
    message,
    status,
  );
}

type Client = InstanceType<typeof Client4>;

/**
 * The production transport: Mattermost's REST API through Client4 with the visitor's token,
 * and one WebSocket to `/api/v4/websocket` kept up by {@link LiveSocket}. The token never
 * goes into a URL: the socket authenticates with an `authentication_challenge` after it opens
 * (browsers cannot set headers on a WebSocket). Mattermost answers a refused token there by
 * dropping the connection, with no close code and no `FAIL` reply — the same as a lost network —
 * so this transport never says `refused`: a refused REST call (401) renews the session.
 */
export class MattermostTransport implements Transport {
  #client = new Client4();
  #session: Session;
  /** The live socket (reconnects, probes, status): see live-socket.ts. */
  #live?: LiveSocket;
  #seq = 0;
  #listeners = new Set<(e: TransportEvent) => void>();
  #options: MattermostTransportOptions;
  /** The signal for the request Client4 is building right now (see `#request`). */
  #signal?: AbortSignal;

  constructor(session: Session, options: MattermostTransportOptions = {}) {
    this.#session = session;
    this.#options = options;
    const client = this.#client;
    client.setUrl(session.serverUrl.replace(/\/+$/, ''));
    client.setToken(session.token);
    // Token auth only: never send the site's or Mattermost's cookies along.
    client.setIncludeCookies(false);
    // Client4's methods take no AbortSignal, but every request's fetch options come from
    // getOptions(), which each method calls synchronously, before its first await.
    const getOptions = client.getOptions.bind(client);
    client.getOptions = (init) => {
      const options = getOptions(init);
      return this.#signal ? { ...options, signal: this.#signal } : options;
    };
  }

  setToken(token: string): void {
    this.#session = { ...this.#session, token };
    this.#client.setToken(token);
  }

  /**
   * One Client4 call whose fetch gets `signal`: set only while `call` runs synchronously, so it
   * reaches exactly that call's request. Rejects with the signal's reason once it aborts (even
   * when the response already arrived), otherwise with a classified TransportError.
   */
  async #request<T>(call: (client: Client) => Promise<T>, signal?: AbortSignal): Promise<T> {
    signal?.throwIfAborted();
    let pending: Promise<T>;
    this.#signal = signal;
    try {
      pending = call(this.#client);
    } finally {
      this.#signal = undefined;
    }
    try {
      const result = await pending;
      signal?.throwIfAborted();
      return result;
    } catch (e) {
      signal?.throwIfAborted();
      throw classify(e);
    }
  }

  async latest(perPage: number, signal?: AbortSignal): Promise<ChatPage> {
    const channel = this.#session.channelId;
    return toPage(await this.#request((c) => c.getPosts(channel, 0, perPage, false), signal), channel, perPage);
  }

  async before(oldest: Pick<ChatMessage, 'id' | 'createAt'>, perPage: number, signal?: AbortSignal): Promise<ChatPage> {
    const channel = this.#session.channelId;
    // A full page of system posts only (joins, header changes…) shows nothing and says there is
    // more: go on from its oldest post, or "load older" would ask for the same page for ever.
    let cursor = oldest.id;
    let page: ChatPage;
    for (let pages = 0; ; pages++) {
      const raw = await this.#request((c) => c.getPostsBefore(channel, cursor, 0, perPage, false), signal);
      page = toPage(raw, channel, perPage);
      const next = oldestPostId(raw);
      if (page.messages.length || !page.hasMore || !next || next === cursor || pages >= MAX_EMPTY_PAGES) break;
      cursor = next;
    }
    // Mattermost pages with `CreateAt < (the cursor's CreateAt)`: posts created in the same
    // millisecond as the cursor that the previous page cut off are never returned. Everything
    // after the newest post of this page is the cursor, those siblings and what is already
    // shown, so ask for it; with no older page, look for the siblings from just before the cursor.
    const newest = page.messages.at(-1);
    const extra = newest
      ? toMessages(await this.#request((c) => c.getPostsAfter(channel, newest.id, 0, perPage, false), signal), channel)
      : toMessages(await this.#request((c) => c.getPostsSince(channel, oldest.createAt - 1, false), signal), channel).filter(
          (m) => m.createAt === oldest.createAt,
        );
    const siblings = extra.filter((m) => m.createAt === oldest.createAt && m.id !== oldest.id);
    return { ...page, messages: [...page.messages, ...siblings] };
  }

  async since(since: number, signal?: AbortSignal): Promise<ChatMessage[]> {
    const channel = this.#session.channelId;
    return toMessages(await this.#request((c) => c.getPostsSince(channel, since, false), signal), channel);
  }

  async send(
    { clientId, text, fileIds, contact }: { clientId: string; text: string; fileIds?: string[]; contact?: ContactDetails },
    signal?: AbortSignal,
  ): Promise<ChatMessage> {
    const channel = this.#session.channelId;
    // Direct mode: the contact form's fields go first in the visitor's own post (agents read it there; the visitor too).
    const given = [contact?.name, contact?.email].filter(Boolean).join(' · ');
    const post = {
      channel_id: channel,
      message: given ? `(${given})\n${text}` : text,
      // Files the visitor uploaded to this channel (Mattermost attaches only the uploader's own).
      ...(fileIds?.length ? { file_ids: fileIds } : {}),
      // pending_post_id de-duplicates repeats for ~30 s on the server; the prop survives for
      // good so a late resend can be checked against the channel first.
      pending_post_id: clientId,
      props: { porthole_client_id: clientId },
    } as unknown as Parameters<Client['createPost']>[0];
    const message = toMessage(await this.#request((c) => c.createPost(post), signal), channel);
    if (!message) throw new TransportError('invalid', 'expected the created post in the response');
    return message;
  }

  // Files: Mattermost's own file API with the visitor's token (Client4 reports no upload progress).
  // Its `FileSettings.MaxFileSize` is the hard limit here; the session's `uploads` only check early.

  async upload(file: File, onProgress: (sent: number, total: number) => void, signal?: AbortSignal): Promise<ChatFile> {
    const base = this.#session.serverUrl.replace(/\/+$/, '');
    const q = `channel_id=${encodeURIComponent(this.#session.channelId)}&filename=${encodeURIComponent(file.name)}`;
    const what = 'POST /api/v4/files';
    // File transfer code is a lazy chunk: loaded with the first upload or file shown.
    const { uploadError, xhrUpload } = await import('./xhr-upload.js');
    const auth = { Authorization: `Bearer ${this.#session.token}` };
    const answer = await xhrUpload(`${base}/api/v4/files?${q}`, auth, file, onProgress, signal, what);
    if (answer.status !== 201) throw uploadError(what, answer);
    const info = toChatFile((answer.body as { file_infos?: unknown[] } | undefined)?.file_infos?.[0]);
    if (!info) throw new TransportError('invalid', `${what} answered 201 without a file info ({file_infos: [{id, name, size}]})`, 201);
    return info;
  }

  // Agents and availability (the availability is the companion's: see availability-controller.ts)
  avatar(userId: string, signal?: AbortSignal): Promise<Blob | undefined> {
    const base = this.#session.serverUrl.replace(/\/+$/, '');
    return fetchBlob(
      `${base}/api/v4/users/${encodeURIComponent(userId)}/image`,
      this.#session.token,
      signal,
      'GET /api/v4/users/:id/image',
    ).catch((e: unknown) => {
      // 404 (no such user) or 403 (Mattermost's UserCanSeeOtherUser): nothing to show.
      if ((e as { status?: number })?.status === 404 || (e as { status?: number })?.status === 403) return undefined;
      throw e;
    });
  }

  file(fileId: string, signal?: AbortSignal): Promise<Blob> {
    const base = this.#session.serverUrl.replace(/\/+$/, '');
    return fetchBlob(`${base}/api/v4/files/${encodeURIComponent(fileId)}`, this.#session.token, signal, 'GET /api/v4/files/:id');
  }

  async names(userIds: string[], signal?: AbortSignal): Promise<Record<string, string>> {
    const users = (await this.#request((c) => c.getProfilesByIds(userIds), signal)) as unknown;
    const out: Record<string, string> = {};
    if (Array.isArray(users))
      for (const user of users) {
        if (!user || typeof user.id !== 'string') continue;
        const full = [user.first_name, user.last_name].filter((part) => typeof part === 'string' && part).join(' ');
        const name = (typeof user.nickname === 'string' && user.nickname) || full || user.username;
        if (typeof name === 'string' && name) out[user.id] = name;
      }
    return out;
  }

  typing(): void {
    this.#send('user_typing', { channel_id: this.#session.channelId, parent_id: '' });
  }

  subscribe(listener: (event: TransportEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  connect(): void {
    if (this.#live) return;
    const base = this.#session.serverUrl.replace(/\/+$/, '');
    const live = (this.#live = new LiveSocket({
      url: base.replace(/^http/, 'ws') + '/api/v4/websocket',
      // Unauthenticated and cheap: tells when the server is back while the socket is down.
      probeUrl: `${base}/api/v4/system/ping`,
      WebSocket: this.#options.WebSocket,
      pingInterval: this.#options.pingInterval ?? 30000,
      probeInterval: this.#options.probeInterval,
      onOpen: () => {
        this.#seq = 0;
        this.#send('authentication_challenge', { token: this.#session.token });
      },
      onFrame: (data) => this.#frame(data),
      onStatus: (status) => this.#emit({ type: 'status', status }),
      ping: () => this.#send('ping', {}),
    }));
    live.open();
  }

  disconnect(): void {
    this.#live?.close();
    this.#live = undefined;
  }

  #send(action: string, data: Record<string, unknown>): void {
    this.#live?.send(JSON.stringify({ seq: ++this.#seq, action, data }));
  }

  #emit(event: TransportEvent): void {
    for (const listener of this.#listeners) listener(event);
  }

  #frame(text: unknown): void {
    const frame = wsFrame.safeParse(typeof text === 'string' ? safeJson(text) : undefined);
    if (!frame.success) return;
    const { event, data, broadcast, seq_reply } = frame.data;
    if (seq_reply !== undefined) this.#live?.pong();
    if (event === 'hello') return this.#live?.ready();
    if (!event || !data || broadcast?.channel_id !== this.#session.channelId) return;
    if (event === 'typing') {
      if (typeof data.user_id === 'string' && data.user_id !== this.#session.userId) this.#emit({ type: 'typing', userId: data.user_id });
      return;
    }
    const type = event === 'posted' ? 'posted' : event === 'post_edited' ? 'edited' : event === 'post_deleted' ? 'deleted' : undefined;
    const message = type && toMessage(data.post, this.#session.channelId);
    if (type && message) this.#emit({ type, message: type === 'deleted' ? { ...message, deleted: true } : message });
  }
}
