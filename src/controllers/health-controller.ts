import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { isAbortError } from '../transport/abort.js';
import { backoff, systemClock, type Clock } from './clock.js';

export interface HealthOptions {
  /**
   * Checks whether the companion and Mattermost answer; rejects when they do not. `signal`
   * aborts once the answer no longer counts (a success reported meanwhile, a newer probe, the
   * host going away); a probe that rejects with an AbortError counts neither way.
   */
  probe: (signal: AbortSignal) => Promise<void>;
  /** The breaker opened (true) or closed again (false). */
  onChange?: (open: boolean) => void;
  /** The {@link HealthState} changed (`ok`, `failing`, `open`). */
  onStateChange?: (state: HealthState) => void;
  clock?: Clock;
  /** Consecutive failures that open the breaker (default 3). */
  threshold?: number;
  /**
   * Grace period, ms (default 0): failures that are not decisive open the breaker only once
   * `threshold` of them came in a row AND this long has passed since the first of them. A short
   * outage is "reconnecting", not the alarming fallback.
   */
  grace?: number;
}

/** `ok`: nothing failing; `failing`: failures counted, breaker still closed (grace); `open`: unreachable. */
export type HealthState = 'ok' | 'failing' | 'open';

/**
 * A circuit breaker over the companion endpoint and Mattermost. Failures are reported to it;
 * after `threshold` in a row, and not before the `grace` period since the first of them ran out
 * (or at one decisive failure, such as auth giving up after its own retries), it opens, which
 * shows the fallback UI and makes the outbox wait. While failing it
 * keeps probing with capped exponential backoff and jitter, and closes by itself when a probe
 * (or any reported success) shows the service is back. A probe still running when a success is
 * reported is aborted and its result ignored. The browser's `online` event probes at once. While
 * {@link retry} (the visitor's "Try again") runs, `retrying` is true; `retryFailed` says it did
 * not help, until the next success. Never renders.
 *
 * @example
 * const health = new HealthController(this, { probe: () => this.start() });
 * health.failure(); // …three times: health.open === true
 */
export class HealthController implements ReactiveController {
  #host: ReactiveControllerHost;
  #options: HealthOptions;
  #clock: Clock;
  #fails = 0;
  #open = false;
  #timer?: unknown;
  #probes = 0;
  /** The probe running now; aborted when its answer no longer counts. */
  #probing?: AbortController;
  #connected = false;
  /** When the first failure of the current streak was reported. */
  #since = 0;
  #state: HealthState = 'ok';
  #retrying = false;
  #retryFailed = false;
  /** Counts retries: only the newest one's end changes `retrying`. */
  #retries = 0;

  constructor(host: ReactiveControllerHost, options: HealthOptions) {
    this.#host = host;
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    host.addController(this);
  }

  /** The breaker is open: the service is considered unreachable. */
  get open(): boolean {
    return this.#open;
  }

  /** `ok`, `failing` (failures counted, the breaker still closed) or `open`. */
  get state(): HealthState {
    return this.#state;
  }

  /** A {@link retry} is running (the fallback's button says "Trying again…"). */
  get retrying(): boolean {
    return this.#retrying;
  }

  /** The last {@link retry} did not bring the service back (cleared by the next success). */
  get retryFailed(): boolean {
    return this.#retryFailed;
  }

  hostConnected(): void {
    this.#connected = true;
    addEventListener('online', this.#online);
    if (this.#fails) this.#schedule();
  }

  hostDisconnected(): void {
    this.#connected = false;
    removeEventListener('online', this.#online);
    this.#stop();
  }

  /** Something worked: close the breaker. */
  success(): void {
    this.#stop();
    this.#fails = this.#probes = 0;
    this.#retryFailed = false;
    const wasOpen = this.#open;
    this.#open = false;
    this.#set('ok');
    if (wasOpen) this.#options.onChange?.(false);
  }

  /** Something failed; `decisive` opens the breaker at once. Schedules a probe. */
  failure(decisive = false): void {
    const now = this.#clock.now();
    if (!this.#fails++) this.#since = now;
    const { threshold = 3, grace = 0 } = this.#options;
    if (!this.#open && (decisive || (this.#fails >= threshold && now - this.#since >= grace))) {
      this.#open = true;
      this.#set('open');
      this.#options.onChange?.(true);
    } else if (!this.#open) this.#set('failing');
    this.#schedule();
  }

  /** Probes now (the fallback's retry button): `retrying` while it runs, `retryFailed` if it did not help. */
  async retry(): Promise<void> {
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    const mine = ++this.#retries;
    this.#retrying = true;
    this.#retryFailed = false;
    this.#host.requestUpdate();
    await this.#probe();
    if (mine !== this.#retries) return; // a newer retry owns `retrying`
    this.#retrying = false;
    this.#retryFailed = this.#open;
    this.#host.requestUpdate();
  }

  /** The browser is back online: while failing, probe now rather than at the next backoff step. */
  #online = (): void => {
    if (!this.#fails || this.#retrying) return;
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    void this.#probe();
  };

  #set(state: HealthState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.#host.requestUpdate();
    this.#options.onStateChange?.(state);
  }

  #schedule(): void {
    if (!this.#connected || this.#timer !== undefined) return;
    this.#timer = this.#clock.setTimeout(
      () => {
        this.#timer = undefined;
        void this.#probe();
      },
      backoff(this.#clock, this.#probes++, 1000, 30000),
    );
  }

  /** No scheduled probe, and the running one no longer counts. */
  #stop(): void {
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#probing?.abort();
    this.#probing = undefined;
  }

  async #probe(): Promise<void> {
    this.#probing?.abort();
    const { signal } = (this.#probing = new AbortController());
    try {
      await this.#options.probe(signal);
      if (!signal.aborted) this.success();
    } catch (e) {
      if (!signal.aborted && !isAbortError(e)) this.failure();
    }
  }
}
