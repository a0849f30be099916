import type { OutboxController, OutboxOp } from '../controllers/outbox-controller.js';
import type { ChatMessage, Session, Transport, TransportEvent, TransportFactory } from './transport.js';

/** What a tab tells the visitor's other tabs ({@link SharedTransport.tell}). */
export type TabNews =
  /** The visitor read the conversation. */
  | { type: 'read' }
  /** The visitor logged out (or `shutdown()`): the other tabs end their session too. */
  | { type: 'logout' }
  /** The leader's outbox sent it: each follower shows it, the one that wrote it reports it. */
  | { type: 'sent'; message: ChatMessage };

/** What the tabs of one visitor say to each other on their BroadcastChannel. */
type TabMessage =
  | TransportEvent
  | TabNews
  /** A tab joined: the leader answers with its socket's state and its queue. */
  | { type: 'hello' }
  /** The leader's queue (every change). */
  | { type: 'outbox'; items: unknown }
  /** A follower's change to the queue, for the leader to apply. */
  | { type: 'op'; op: OutboxOp };

/**
 * One live socket per visitor across the tabs of a browser (issue 12). Wraps the session's
 * transport: on `connect()` the tab asks for the Web Lock `porthole:<userId>`; the tab that holds
 * it (the leader) opens the socket and repeats each live event (messages, edits, deletes, typing,
 * status) on the BroadcastChannel of the same name; the others (followers) open nothing and get
 * those events from the channel, so their conversation, typing line and connection state follow
 * the leader's. Everything else (history, sends, files, typing, tokens) is the tab's own transport.
 * The leader keeps the lock until `disconnect()` (the host going away, logout) or until its tab
 * closes; then a waiting tab takes it, connects, and its `online` resyncs the conversation.
 *
 * With an outbox {@link link}ed, the queue is one: only the leader's outbox sends and stores; a
 * follower shows the leader's queue and hands it its own messages (see OutboxController.follow).
 *
 * Without Web Locks or BroadcastChannel it is the transport it wraps (each tab its own socket).
 * The channel's name carries a protocol version: tabs of another widget version do not talk.
 *
 * @example
 * const transport = new SharedTransport(await factory(session), session.userId);
 * transport.link(outbox, () => panel.markRead());
 * transport.connect();
 */
export class SharedTransport implements Transport {
  /** This tab holds the socket (always, without Web Locks or BroadcastChannel). */
  leading = true;
  #inner: Transport;
  #name: string;
  #listeners = new Set<(e: TransportEvent) => void>();
  #channel?: BroadcastChannel;
  #lock?: AbortController;
  #release?: () => void;
  #off?: () => void;
  /** The socket's last state (the leader's), for a tab that joins. */
  #status?: TransportEvent;
  #outbox?: OutboxController;
  #onRead?: () => void;
  #onLogout?: () => void;

  constructor(inner: Transport, userId: string) {
    this.#inner = inner;
    this.#name = `porthole:1:${userId}`;
    // Everything but the live connection is the tab's own transport: each of its methods (optional
    // ones included, whichever it has), bound to it.
    const self = this as unknown as Record<string, unknown>;
    const methods = inner as unknown as Record<string, unknown>;
    for (let o: object | null = inner; o && o !== Object.prototype; o = Object.getPrototypeOf(o))
      for (const k of Object.getOwnPropertyNames(o))
        if (!(k in this) && typeof methods[k] == 'function') self[k] = (methods[k] as () => unknown).bind(inner);
  }

  /**
   * Shares `outbox`'s queue with the other tabs (and what the leader's sent: {@link OutboxController.sent});
   * calls `onRead` or `onLogout` when the visitor read the conversation or logged out in another tab.
   */
  link(outbox: OutboxController, onRead?: () => void, onLogout?: () => void): void {
    this.#outbox = outbox;
    this.#onRead = onRead;
    this.#onLogout = onLogout;
  }

  /** Tells the other tabs `news`. */
  tell(news: TabNews): void {
    this.#post(news);
  }

  connect(): void {
    if (this.#lock || this.#off) return;
    if (!globalThis.navigator?.locks || typeof BroadcastChannel != 'function') return this.#lead();
    const channel = (this.#channel = new BroadcastChannel(this.#name));
    channel.onmessage = (e: MessageEvent<TabMessage>) => this.#heard(e.data);
    const lock = (this.#lock = new AbortController());
    this.leading = false;
    this.#outbox?.follow((op) => this.#post({ type: 'op', op }));
    this.#emit((this.#status = { type: 'status', status: 'connecting' }));
    this.#post({ type: 'hello' });
    navigator.locks
      .request(this.#name, { signal: lock.signal }, () => {
        // Granted as disconnect() ran: let it go at once.
        if (lock.signal.aborted) return;
        this.#lead();
        // Held until disconnect() (or the tab closes: the browser releases it).
        return new Promise<void>((r) => (this.#release = r));
      })
      .catch(() => {
        // Refused, not aborted by disconnect() (a SecurityError in an opaque origin): alone, as without Web Locks.
        if (lock.signal.aborted || this.leading) return;
        this.#channel?.close();
        this.#channel = undefined;
        this.#lead();
      });
  }

  disconnect(): void {
    this.#lock?.abort();
    this.#release?.();
    this.#channel?.close();
    this.#off?.();
    this.#lock = this.#release = this.#channel = this.#off = undefined;
    this.leading = true;
    this.#outbox?.follow();
    this.#inner.disconnect();
  }

  subscribe(listener: (event: TransportEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #lead(): void {
    this.leading = true;
    this.#off = this.#inner.subscribe((e) => {
      if (e.type == 'status') this.#status = e;
      // Told first: a listener here may tell the others more about it (read()).
      // A refused token is this tab's own to renew.
      if (e.type != 'refused') this.#post(e);
      this.#emit(e);
    });
    this.#outbox?.lead((items) => this.#post({ type: 'outbox', items }));
    this.#inner.connect();
  }

  #heard(m: TabMessage): void {
    const outbox = this.#outbox;
    if (m.type == 'read') this.#onRead?.();
    else if (m.type == 'logout') this.#onLogout?.();
    else if (m.type == 'sent') outbox?.sent(m.message);
    else if (this.leading) {
      if (m.type == 'op') outbox?.apply(m.op);
      else if (m.type == 'hello') {
        if (this.#status) this.#post(this.#status);
        if (outbox) this.#post({ type: 'outbox', items: outbox.items });
      }
    } else if (m.type == 'outbox') outbox?.mirror(m.items);
    else if (m.type != 'hello' && m.type != 'op') this.#emit(m);
  }

  #emit(e: TransportEvent): void {
    for (const listener of this.#listeners) listener(e);
  }

  #post(m: TabMessage): void {
    this.#channel?.postMessage(m);
  }
}

/** `factory`'s transports, shared across the visitor's tabs ({@link SharedTransport}). */
export const shareTabs =
  (factory: TransportFactory): TransportFactory =>
  async (session: Session) =>
    new SharedTransport(await factory(session), session.userId);

// The methods SharedTransport takes from the transport it wraps (assigned in its constructor).
export interface SharedTransport extends Omit<Transport, 'connect' | 'disconnect' | 'subscribe'> {}
