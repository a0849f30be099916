import C4 from '@mattermost/client/lib/client4';
import ReconnectingWebSocket from 'reconnecting-websocket';
import {
  TransportError,
  type ChatMessage,
  type ChatPage,
  type ConnectionState,
  type Session,
  type Transport,
  type TransportEvent,
} from './transport.js';
import { safeJson, toMessage, toMessages, toPage, wsFrame } from './wire.js';

// @mattermost/client is CommonJS with `exports.default`; depending on the bundler's interop the
// default import is the class or the module object.
const Client4 = ((C4 as unknown as { default?: typeof C4 }).default ?? C4) as typeof C4;

/** Options mainly for tests. */
export interface MattermostTransportOptions {
  /** WebSocket constructor (defaults to the browser's). */
  WebSocket?: typeof WebSocket;
  /** Interval of application-level pings that detect dead sockets, ms. */
  pingInterval?: number;
  /** While the socket is down: how often to ask `GET /api/v4/system/ping` whether the server is back, ms (default 1000). */
  probeInterval?: number;
}

/** A failed Client4 call as a TransportError, classified by its HTTP status (none: the network). */
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
 * and one WebSocket to `/api/v4/websocket` through reconnecting-websocket. The token never
 * goes into a URL: the socket authenticates with an `authentication_challenge` after it opens
 * (browsers cannot set headers on a WebSocket).
 */
export class MattermostTransport implements Transport {
  #client = new Client4();
  #session: Session;
  #ws?: ReconnectingWebSocket;
  #seq = 0;
  #listeners = new Set<(e: TransportEvent) => void>();
  #closes = 0;
  #state?: ConnectionState;
  #ping?: ReturnType<typeof setInterval>;
  #awaitingPong = false;
  #options: MattermostTransportOptions;
  #probe?: ReturnType<typeof setTimeout>;
  /** Probe interval now: doubles (up to 10 s) after each restart the socket did not survive. */
  #probeEvery = 0;
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
    const page = toPage(await this.#request((c) => c.getPostsBefore(channel, oldest.id, 0, perPage, false), signal), channel, perPage);
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

  async send({ clientId, text }: { clientId: string; text: string }, signal?: AbortSignal): Promise<ChatMessage> {
    const channel = this.#session.channelId;
    const post = {
      channel_id: channel,
      message: text,
      // pending_post_id de-duplicates repeats for ~30 s on the server; the prop survives for
      // good so a late resend can be checked against the channel first.
      pending_post_id: clientId,
      props: { porthole_client_id: clientId },
    } as unknown as Parameters<Client['createPost']>[0];
    const message = toMessage(await this.#request((c) => c.createPost(post), signal), channel);
    if (!message) throw new TransportError('invalid', 'expected the created post in the response');
    return message;
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
    if (this.#ws) return;
    const url = this.#session.serverUrl.replace(/\/+$/, '').replace(/^http/, 'ws') + '/api/v4/websocket';
    const ws = (this.#ws = new ReconnectingWebSocket(url, [], {
      WebSocket: this.#options.WebSocket,
      // Jittered so that visitors do not all come back at once after an outage; capped at 10 s
      // so a returning server is noticed soon (the resync then fetches what was missed).
      minReconnectionDelay: 500 + Math.random() * 1000,
      reconnectionDelayGrowFactor: 1.5,
      maxReconnectionDelay: 10000,
      connectionTimeout: 8000,
    }));
    if (!this.#state) this.#status('connecting'); // a restart keeps reporting what it was
    ws.addEventListener('open', () => {
      this.#seq = 0;
      this.#send('authentication_challenge', { token: this.#session.token });
    });
    ws.addEventListener('message', (e) => this.#frame(e.data));
    ws.addEventListener('close', () => {
      if (this.#ws !== ws) return; // closed on purpose (disconnect, restart)
      // Three closes without a successful hello in between: call it offline (the socket keeps
      // retrying in the background; the health controller shows the fallback meanwhile).
      this.#status(++this.#closes >= 3 ? 'offline' : 'reconnecting');
      this.#startProbe();
    });
    // The network came back, or the visitor returned to the tab: try now, not at the next backoff step.
    addEventListener('online', this.#wake);
    document.addEventListener('visibilitychange', this.#wake);
    const every = this.#options.pingInterval ?? 30000;
    this.#ping = setInterval(() => {
      if (this.#state !== 'online') return;
      if (this.#awaitingPong) return ws.reconnect();
      this.#awaitingPong = true;
      this.#send('ping', {});
    }, every);
  }

  #wake = (): void => {
    // Closed and waiting out a backoff step (reconnecting-websocket's `reconnect()` cannot cut a
    // wait short): start over with a fresh socket, which connects at once.
    if (document.visibilityState !== 'visible' || !this.#ws || this.#ws.readyState < 2) return;
    this.#restart();
  };

  /**
   * A fresh socket now, keeping the reported state: during an outage the visitor sees one
   * "reconnecting"/"offline", not a flicker of "connecting" at every attempt.
   */
  #restart(): void {
    const state = this.#state;
    this.disconnect();
    this.#state = state;
    this.connect();
  }

  /**
   * While the socket is down, a cheap unauthenticated `GET /api/v4/system/ping` (a simple request:
   * no preflight, no token) every second or so tells when the server is back, so the socket
   * reconnects — and the conversation resyncs — within about a second instead of at the next
   * step of the socket's exponential backoff. Jittered, and slower each time a restart fails.
   */
  #startProbe(): void {
    if (this.#probe !== undefined || !this.#ws) return;
    const base = this.#options.probeInterval ?? 1000;
    this.#probeEvery ||= base;
    const tick = (): void => {
      const mine = setTimeout(async () => {
        const ok = await fetch(`${this.#session.serverUrl.replace(/\/+$/, '')}/api/v4/system/ping`, {
          credentials: 'omit',
          signal: AbortSignal.timeout(3000),
        }).then((r) => r.ok, () => false);
        if (this.#probe !== mine) return; // stopped, or replaced by a newer probe, meanwhile
        this.#probe = undefined;
        if (!ok) return tick();
        if (this.#ws?.readyState === 1) return;
        this.#probeEvery = Math.min(this.#probeEvery * 2, 10000);
        this.#restart();
      }, this.#probeEvery * (0.5 + Math.random()));
      this.#probe = mine;
    };
    tick();
  }

  #stopProbe(): void {
    clearTimeout(this.#probe);
    this.#probe = undefined;
  }

  disconnect(): void {
    this.#stopProbe();
    removeEventListener('online', this.#wake);
    document.removeEventListener('visibilitychange', this.#wake);
    clearInterval(this.#ping);
    // Forget the socket before closing it: its close event must not start a probe or a status.
    const ws = this.#ws;
    this.#ws = undefined;
    ws?.close();
    this.#state = undefined;
  }

  #send(action: string, data: Record<string, unknown>): void {
    if (this.#ws?.readyState === 1) this.#ws.send(JSON.stringify({ seq: ++this.#seq, action, data }));
  }

  #emit(event: TransportEvent): void {
    for (const listener of this.#listeners) listener(event);
  }

  #status(status: ConnectionState): void {
    if (status === this.#state) return;
    this.#state = status;
    this.#emit({ type: 'status', status });
  }

  #frame(text: unknown): void {
    const frame = wsFrame.safeParse(typeof text === 'string' ? safeJson(text) : undefined);
    if (!frame.success) return;
    const { event, data, broadcast, seq_reply } = frame.data;
    if (seq_reply !== undefined) this.#awaitingPong = false;
    if (event === 'hello') {
      this.#closes = 0;
      this.#stopProbe();
      this.#probeEvery = 0;
      this.#awaitingPong = false;
      this.#status('online');
      return;
    }
    if (!event || !data || broadcast?.channel_id !== this.#session.channelId) return;
    if (event === 'typing') {
      if (typeof data.user_id === 'string' && data.user_id !== this.#session.userId)
        this.#emit({ type: 'typing', userId: data.user_id });
      return;
    }
    const type = event === 'posted' ? 'posted' : event === 'post_edited' ? 'edited' : event === 'post_deleted' ? 'deleted' : undefined;
    const message = type && toMessage(data.post, this.#session.channelId);
    if (type && message) this.#emit({ type, message: type === 'deleted' ? { ...message, deleted: true } : message });
  }
}

