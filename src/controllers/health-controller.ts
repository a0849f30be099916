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
  clock?: Clock;
  /** Consecutive failures that open the breaker (default 3). */
  threshold?: number;
}

/**
 * A circuit breaker over the companion endpoint and Mattermost. Failures are reported to it;
 * after `threshold` in a row (or one decisive failure, such as auth giving up after its own
 * retries) it opens, which shows the fallback UI and makes the outbox wait. While failing it
 * keeps probing with capped exponential backoff and jitter, and closes by itself when a probe
 * (or any reported success) shows the service is back. A probe still running when a success is
 * reported is aborted and its result ignored. Never renders.
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

  hostConnected(): void {
    this.#connected = true;
    if (this.#fails) this.#schedule();
  }

  hostDisconnected(): void {
    this.#connected = false;
    this.#stop();
  }

  /** Something worked: close the breaker. */
  success(): void {
    this.#stop();
    this.#fails = this.#probes = 0;
    if (!this.#open) return;
    this.#open = false;
    this.#host.requestUpdate();
    this.#options.onChange?.(false);
  }

  /** Something failed; `decisive` opens the breaker at once. Schedules a probe. */
  failure(decisive = false): void {
    this.#fails++;
    if (!this.#open && (decisive || this.#fails >= (this.#options.threshold ?? 3))) {
      this.#open = true;
      this.#host.requestUpdate();
      this.#options.onChange?.(true);
    }
    this.#schedule();
  }

  /** Probes now (the fallback's retry button). */
  retry(): Promise<void> {
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    return this.#probe();
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
