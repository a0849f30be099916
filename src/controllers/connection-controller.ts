import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { ConnectionState, Transport } from '../transport/transport.js';

/**
 * Owns the transport's live connection: opens it while the host is connected, closes it when
 * the host goes away, and exposes its state. Never renders.
 *
 * @example
 * const connection = new ConnectionController(this, (state, previous) => …);
 * connection.attach(transport);
 */
export class ConnectionController implements ReactiveController {
  #host: ReactiveControllerHost;
  #t?: Transport;
  #off?: () => void;
  #connected = false;
  #state: ConnectionState = 'offline';
  #onChange: (state: ConnectionState, previous: ConnectionState) => void;

  constructor(host: ReactiveControllerHost, onChange: (state: ConnectionState, previous: ConnectionState) => void) {
    this.#host = host;
    this.#onChange = onChange;
    host.addController(this);
  }

  /** Current state of the live connection. */
  get state(): ConnectionState {
    return this.#state;
  }

  /** Uses `t` from now on (closing any previous transport's connection). */
  attach(t: Transport | undefined): void {
    this.#stop();
    this.#t = t;
    if (this.#connected) this.#start();
  }

  hostConnected(): void {
    this.#connected = true;
    this.#start();
  }

  hostDisconnected(): void {
    this.#connected = false;
    this.#stop();
  }

  #start(): void {
    const t = this.#t;
    if (!t || this.#off) return;
    this.#off = t.subscribe((e) => {
      if (e.type !== 'status' || e.status === this.#state) return;
      const prev = this.#state;
      this.#state = e.status;
      this.#host.requestUpdate();
      this.#onChange(e.status, prev);
    });
    t.connect();
  }

  #stop(): void {
    this.#off?.();
    this.#off = undefined;
    this.#t?.disconnect();
    this.#state = 'offline';
  }
}
