import ReconnectingWebSocket from 'reconnecting-websocket';
import type { ConnectionState } from './transport.js';

/** Timers and jitter as the live socket sees them (the controllers' `Clock` fits; tests inject a fake one). */
export interface LiveSocketTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
  /** A number in [0, 1), for jitter. */
  random(): number;
}

/** What to do after the server closed the socket. */
export type LiveSocketRetry =
  /** Reconnect after reconnecting-websocket's next backoff step. */
  | 'backoff'
  /** Reconnect after the shortest step (the server said it is restarting). */
  | 'soon'
  /** Stay closed, and do not probe, until {@link LiveSocket.resume} (the credential was refused). */
  | 'hold';

export interface LiveSocketOptions {
  /** ws(s) URL of the socket. Never carries a credential: authenticate in `onOpen`. */
  url: string;
  /** An unauthenticated URL answering 2xx while the server is up, asked while the socket is down. */
  probeUrl: string;
  /** The socket opened: send the authentication frame. */
  onOpen(): void;
  /** A frame arrived on the current socket (unvalidated: `MessageEvent.data`). */
  onFrame(data: unknown): void;
  /** The reported state changed. */
  onStatus(state: ConnectionState): void;
  /** Send one keep-alive frame; the caller answers its reply with {@link LiveSocket.pong}. */
  ping(): void;
  /**
   * The server closed the socket, or it was lost (1006: it failed, did not open within
   * `connectTimeout` — reason `timeout` — left a ping unanswered — reason `no pong` — or the browser went offline — reason `offline`): what
   * next. Default: `backoff`.
   */
  onClose?(code: number, reason: string): LiveSocketRetry;
  /** Keep-alive period while online, ms; a ping still unanswered at the next one forces a reconnect. */
  pingInterval: number;
  /** Probe period while down, ms (default 1000; doubles, up to 10 s, after each restart that did not get ready). */
  probeInterval?: number;
  /** A socket that has not opened after this many ms is dropped and retried (default 8000). */
  connectTimeout?: number;
  /** WebSocket constructor for reconnecting-websocket (default: the browser's). */
  WebSocket?: typeof WebSocket;
  fetch?: typeof fetch;
  /**
   * Timers and jitter of the pings, the probe and `soon`, and the jitter of the backoff (default:
   * the browser's). reconnecting-websocket's own waits always use the page's `setTimeout`.
   */
  timers?: LiveSocketTimers;
}

const systemTimers: LiveSocketTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id as number),
  random: Math.random,
};

/**
 * One live WebSocket that stays up, shared by the transports (direct mode's Mattermost socket,
 * gateway mode's `/v1/live`); they add authentication and frames, this owns the rest:
 *
 * - status: `connecting` once, `online` when the owner calls {@link ready} (the server accepted
 *   the credential), `reconnecting` after a close, `offline` after three closes without a
 *   `ready` in between (it keeps trying meanwhile);
 * - the socket and its reconnects are reconnecting-websocket's: capped, jittered exponential
 *   backoff (0.5–1.5 s, ×1.5, at most 10 s), starting over once a socket has stayed open 5 s (its
 *   `minUptime`); a socket that does not open within `connectTimeout` is dropped and retried;
 * - while down, a cheap unauthenticated GET of `probeUrl` about every second (jittered, slower
 *   after each restart that did not get ready) starts a fresh socket as soon as the server
 *   answers, and so do the browser's `online` event and a return to the tab (reconnecting-websocket
 *   cannot cut its backoff wait short, so the waiting one is closed and replaced);
 * - the browser's `offline` event replaces an open socket at once (a lost network can leave it
 *   looking open until a ping goes unanswered): `reconnecting` now, rather than a minute later;
 * - a ping every `pingInterval` while online; one unanswered by the next replaces the socket;
 * - after a 1012 (`soon`) a fresh socket after the shortest step; after a refused credential
 *   (`hold`) none until {@link resume}.
 *
 * Only the current socket's events count: one replaced or closed on purpose changes nothing.
 * Every timer, listener and socket it takes in {@link open} is released by {@link close}.
 *
 * @example
 * const live = new LiveSocket({ url, probeUrl, pingInterval: 25000, onOpen: () => live.send(auth),
 *   onFrame: (data) => data === '"ready"' && live.ready(), onStatus: console.log, ping: () => live.send('ping') });
 * live.open();
 */
export class LiveSocket {
  #o: LiveSocketOptions;
  #timers: LiveSocketTimers;
  /** The current socket; undefined while held, waiting for `soon`, or closed. */
  #ws?: ReconnectingWebSocket;
  #state?: ConnectionState;
  /** Between `open()` and `close()`. */
  #active = false;
  /** Stays closed until `resume()`. */
  #held = false;
  /** Closes since the last `ready()`. */
  #closes = 0;
  /** The fresh socket due after a `soon`. */
  #soon?: unknown;
  #pinger?: unknown;
  #awaitingPong = false;
  #probe?: unknown;
  #probeEvery = 0;

  constructor(options: LiveSocketOptions) {
    this.#o = options;
    this.#timers = options.timers ?? systemTimers;
  }

  /** The state last reported; undefined before `open()` and after `close()`. */
  get state(): ConnectionState | undefined {
    return this.#state;
  }

  /** Connects, and keeps connected until `close()`. */
  open(): void {
    if (this.#active) return;
    this.#active = true;
    addEventListener('online', this.#wake);
    addEventListener('offline', this.#unplugged);
    document.addEventListener('visibilitychange', this.#wake);
    this.#schedulePing();
    this.#status('connecting');
    this.#connect();
  }

  /** Closes for good: socket, timers and listeners. */
  close(): void {
    this.#active = this.#held = false;
    removeEventListener('online', this.#wake);
    removeEventListener('offline', this.#unplugged);
    document.removeEventListener('visibilitychange', this.#wake);
    for (const id of [this.#soon, this.#pinger, this.#probe]) this.#timers.clearTimeout(id);
    this.#soon = this.#pinger = this.#probe = undefined;
    this.#drop();
    this.#state = undefined;
    this.#closes = this.#probeEvery = 0;
  }

  /** The server accepted the credential: online, and the offline count and the probe's slowdown reset. */
  ready(): void {
    this.#closes = this.#probeEvery = 0;
    this.#awaitingPong = false;
    this.#stopProbe();
    this.#status('online');
  }

  /** The server answered a ping. */
  pong(): void {
    this.#awaitingPong = false;
  }

  /** Sends a text frame if the socket is open (never queued for later); returns whether it did. */
  send(text: string): boolean {
    if (this.#ws?.readyState !== 1) return false;
    this.#ws.send(text);
    return true;
  }

  /** After a `hold`: connects now. Does nothing otherwise. */
  resume(): void {
    if (!this.#held || !this.#active) return;
    this.#held = false;
    this.#connect();
  }

  /** A fresh ReconnectingWebSocket in place of the current one; its first socket opens at once. */
  #connect(): void {
    this.#drop();
    this.#timers.clearTimeout(this.#soon);
    const ws = (this.#ws = new ReconnectingWebSocket(this.#o.url, undefined, {
      WebSocket: this.#o.WebSocket,
      // Jittered so that visitors do not all come back at once after an outage; capped at 10 s
      // so a returning server is noticed soon (the owner resyncs what was missed).
      minReconnectionDelay: this.#step(),
      reconnectionDelayGrowFactor: 1.5,
      maxReconnectionDelay: 10000,
      connectionTimeout: this.#o.connectTimeout ?? 8000,
    }));
    ws.addEventListener('open', () => {
      if (this.#ws === ws) this.#o.onOpen();
    });
    ws.addEventListener('message', (e) => {
      if (this.#ws === ws) this.#o.onFrame(e.data);
    });
    // A socket that failed (`error`), did not open in time or went unanswered reaches us as one
    // close event that reconnecting-websocket makes itself (its target is `ws`): lost, 1006.
    ws.addEventListener('close', (e) => {
      if (this.#ws === ws) this.#lost(e.target === ws ? 1006 : e.code, e.reason);
    });
  }

  /** Forgets the current socket (its events are ignored from now on) and closes it, with no retry. */
  #drop(): void {
    const ws = this.#ws;
    this.#ws = undefined;
    ws?.close(1000);
  }

  /** The shortest backoff step, jittered: 0.5–1.5 s. */
  #step(): number {
    return 500 + this.#timers.random() * 1000;
  }

  /** The current socket closed, or was given up on: say so, and what next (its own retry unless told otherwise). */
  #lost(code: number, reason: string): void {
    const next = this.#o.onClose?.(code, reason) ?? 'backoff';
    this.#status(++this.#closes >= 3 ? 'offline' : 'reconnecting');
    if (next === 'hold') {
      this.#held = true;
      this.#drop();
      return this.#stopProbe();
    }
    if (next === 'soon') {
      // Its own retry may be up to 10 s off by now.
      this.#drop();
      this.#soon = this.#timers.setTimeout(() => this.#connect(), this.#step());
    }
    this.#startProbe();
  }

  /** True while a socket is open or on its way. */
  get #up(): boolean {
    return (this.#ws?.readyState ?? 3) < 2;
  }

  /**
   * The network came back, or the visitor returned to the tab: reconnect now, not at the next backoff step.
   * `online` counts in a hidden tab too: with several tabs, the hidden one may hold the socket the visible ones use.
   */
  #wake = (e: Event): void => {
    if ((e.type === 'online' || document.visibilityState === 'visible') && this.#active && !this.#held && !this.#up) this.#connect();
  };

  /**
   * The browser lost the network: an open socket is most likely dead but may look open for a
   * while. Replaced like an unanswered ping (a close of its own, 1006 `offline`): reconnecting-
   * websocket retries, the probe runs, and `online` brings a fresh socket at once.
   */
  #unplugged = (): void => {
    const ws = this.#ws;
    if (this.#active && ws?.readyState === 1) ws.reconnect(4000, 'offline');
  };

  #schedulePing(): void {
    this.#pinger = this.#timers.setTimeout(() => {
      this.#schedulePing();
      const ws = this.#ws;
      if (this.#state !== 'online' || ws?.readyState !== 1) return;
      // Given up on: closed, reported as a close of reconnecting-websocket's own (1006), and
      // reconnected at once.
      if (this.#awaitingPong) return ws.reconnect(4000, 'no pong');
      this.#awaitingPong = true;
      this.#o.ping();
    }, this.#o.pingInterval);
  }

  /**
   * While the socket is down, a cheap unauthenticated GET (a simple request: no preflight, no
   * credential) every second or so tells when the server is back, so a fresh socket connects —
   * and the conversation resyncs — within about a second instead of at the next backoff step.
   * Jittered, and slower each time a restart does not get ready.
   */
  #startProbe(): void {
    if (this.#probe !== undefined) return;
    this.#probeEvery ||= this.#o.probeInterval ?? 1000;
    const mine = (this.#probe = this.#timers.setTimeout(
      async () => {
        const ok = await (this.#o.fetch ?? fetch)(this.#o.probeUrl, { credentials: 'omit', signal: AbortSignal.timeout(3000) }).then(
          (r) => r.ok,
          () => false,
        );
        if (this.#probe !== mine) return; // stopped, or replaced by a newer probe, meanwhile
        this.#probe = undefined;
        if (!ok) return this.#startProbe();
        if (this.#up) return; // a socket is on its way; its close probes again
        this.#probeEvery = Math.min(this.#probeEvery * 2, 10000);
        this.#connect();
      },
      this.#probeEvery * (0.5 + this.#timers.random()),
    ));
  }

  #stopProbe(): void {
    this.#timers.clearTimeout(this.#probe);
    this.#probe = undefined;
  }

  #status(state: ConnectionState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.#o.onStatus(state);
  }
}
