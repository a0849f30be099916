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
  #transport?: Transport;
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

  /** Uses `transport` from now on (closing any previous transport's connection). */
  attach(transport: Transport | undefined): void {
    this.#stop();
    this.#transport = transport;
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
    const transport = this.#transport;
    if (!transport || this.#off) return;
    this.#off = transport.subscribe((e) => {
      if (e.type !== 'status' || e.status === this.#state) return;
      const previous = this.#state;
      this.#state = e.status;
      this.#host.requestUpdate();
      this.#onChange(e.status, previous);
    });
    transport.connect();
  }

  #stop(): void {
    this.#off?.();
    this.#off = undefined;
    this.#transport?.disconnect();
    this.#state = 'offline';
  }
}
