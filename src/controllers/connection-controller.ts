import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { ConnectionState, Transport } from '../transport/transport.js';
import { systemClock, type Clock } from './clock.js';
import type { HealthState } from './health-controller.js';

type Listener = (state: ConnectionState, previous: ConnectionState) => void;

export interface ConnectionOptions {
  /** The transport's live connection (the socket) changed state. */
  onSocket?: Listener;
  /** The {@link ConnectionController.reported reported} state changed: what `porthole-state-change` says. */
  onChange?: Listener;
  /**
   * While the socket is down (or the browser says it is offline) and the host connected: a REST
   * catch-up, so messages keep arriving and a failing service is noticed. Called about every
   * `pollInterval` ms (jittered), and at once on the browser's `online` and `offline` events.
   */
  poll?: () => void;
  /** Period of `poll`, ms (default 10000). */
  pollInterval?: number;
  clock?: Clock;
}

/**
 * Owns the transport's live connection: opens it while the host is connected, closes it when
 * the host goes away, and exposes its state. Never renders.
 *
 * Two states: {@link state}, the socket's own, and {@link reported}, what the visitor and the
 * page are told, which also weighs the health controller's breaker ({@link health}) and the
 * browser's `online`/`offline` events:
 *
 * - `offline` only while the breaker is open (REST failing too, past its grace period);
 * - `online` once the socket is online, nothing is failing and the browser is online — so it
 *   always comes back, whichever of them recovered last;
 * - `connecting` for the first connection; `reconnecting` otherwise: a socket-only drop while
 *   REST answers is "reconnecting", never "unreachable".
 *
 * @example
 * const connection = new ConnectionController(this, { onSocket: (state) => …, onChange: (state) => emit(…) });
 * connection.attach(transport);
 * connection.health('open'); // the breaker opened: reported `offline`
 */
export class ConnectionController implements ReactiveController {
  #host: ReactiveControllerHost;
  #transport?: Transport;
  #off?: () => void;
  #connected = false;
  #state: ConnectionState = 'offline';
  #reported?: ConnectionState;
  #health: HealthState = 'ok';
  /** The browser's last `offline` event was not followed by `online`. */
  #browserOffline = false;
  #options: ConnectionOptions;
  #clock: Clock;
  #poller?: unknown;

  /** `options`, or (as before) the socket's state listener alone. */
  constructor(host: ReactiveControllerHost, options: ConnectionOptions | Listener) {
    this.#host = host;
    this.#options = typeof options === 'function' ? { onSocket: options } : options;
    this.#clock = this.#options.clock ?? systemClock;
    host.addController(this);
  }

  /** Current state of the live connection (the socket). */
  get state(): ConnectionState {
    return this.#state;
  }

  /**
   * The state the visitor is shown and `porthole-state-change` reports (see the class comment);
   * `offline` before anything was reported.
   */
  get reported(): ConnectionState {
    return this.#reported ?? 'offline';
  }

  /** Uses `transport` from now on (closing any previous transport's connection). */
  attach(transport: Transport | undefined): void {
    this.#stop();
    this.#transport = transport;
    if (this.#connected) this.#start();
  }

  /** The health controller's state changed: `open` reports `offline`, anything but `ok` keeps `online` back. */
  health(state: HealthState): void {
    this.#health = state;
    this.#report();
  }

  hostConnected(): void {
    this.#connected = true;
    this.#browserOffline = globalThis.navigator?.onLine === false;
    addEventListener('online', this.#network);
    addEventListener('offline', this.#network);
    this.#start();
  }

  hostDisconnected(): void {
    this.#connected = false;
    removeEventListener('online', this.#network);
    removeEventListener('offline', this.#network);
    this.#stop();
  }

  #start(): void {
    const transport = this.#transport;
    if (!transport || this.#off) return;
    this.#off = transport.subscribe((e) => {
      if (e.type !== 'status' || e.status === this.#state) return;
      const previous = this.#state;
      this.#state = e.status;
      this.#host.requestUpdate();
      this.#options.onSocket?.(e.status, previous);
      this.#report();
      this.#watch();
    });
    transport.connect();
  }

  #stop(): void {
    this.#off?.();
    this.#off = undefined;
    this.#transport?.disconnect();
    this.#state = 'offline';
    this.#reported = undefined;
    this.#watch();
  }

  /** The browser's `online` / `offline` event: report it, and catch up (or find the failure) at once. */
  #network = (e: Event): void => {
    this.#browserOffline = e.type === 'offline';
    this.#report();
    this.#watch();
    if (this.#down) this.#options.poll?.();
  };

  /** Subscribed, and the socket is not up (or the browser is offline). */
  get #down(): boolean {
    return !!this.#off && (this.#browserOffline || this.#state === 'reconnecting' || this.#state === 'offline');
  }

  /** Polls while down; stops when up again or torn down. */
  #watch(): void {
    if (!this.#down || !this.#connected) {
      this.#clock.clearTimeout(this.#poller);
      this.#poller = undefined;
      return;
    }
    if (this.#poller !== undefined) return;
    const every = this.#options.pollInterval ?? 10_000;
    this.#poller = this.#clock.setTimeout(
      () => {
        this.#poller = undefined;
        this.#options.poll?.();
        this.#watch();
      },
      every * (0.5 + this.#clock.random()),
    );
  }

  #report(): void {
    const next = this.#health === 'open' ? 'offline' : this.#off ? this.#derive() : undefined;
    if (!next || next === this.#reported) return;
    const previous = this.reported;
    this.#reported = next;
    this.#host.requestUpdate();
    this.#options.onChange?.(next, previous);
  }

  #derive(): ConnectionState {
    if (this.#state === 'connecting') return 'connecting';
    if (this.#state === 'online' && this.#health === 'ok' && !this.#browserOffline) return 'online';
    return 'reconnecting';
  }
}
