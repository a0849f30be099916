import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { Availability } from '../transport/transport.js';
import { systemClock, type Clock } from './clock.js';

/** Where the availability comes from: the transport's, or the companion's route in direct mode. */
export type AvailabilitySource = (signal: AbortSignal) => Promise<Availability>;

export interface AvailabilityOptions {
  /** The source to ask now (undefined: nothing to ask yet, e.g. before the session). */
  source: () => AvailabilitySource | undefined;
  clock?: Clock;
  /** How often to ask again while started, ms (default 60000). */
  every?: number;
}

/**
 * Whether the team is around, while the panel is open: `start()` asks at once and then every
 * `every` ms, `stop()` (or the host going away) aborts the request in flight and the timer. A
 * failed request keeps the last answer (none: nothing shown). Never renders.
 *
 * @example
 * const availability = new AvailabilityController(this, { source: () => transport?.availability?.bind(transport) });
 * availability.start(); // panel opened
 */
export class AvailabilityController implements ReactiveController {
  #host: ReactiveControllerHost;
  #options: AvailabilityOptions;
  #clock: Clock;
  #value?: Availability;
  #timer?: unknown;
  #run?: AbortController;

  constructor(host: ReactiveControllerHost, options: AvailabilityOptions) {
    this.#host = host;
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    host.addController(this);
  }

  /** The latest answer, if any. */
  get value(): Availability | undefined {
    return this.#value;
  }

  /** Asks now and then every minute, until `stop()`. */
  start(): void {
    this.stop();
    const run = (this.#run = new AbortController());
    const ask = async (): Promise<void> => {
      const source = this.#options.source();
      try {
        const value = source && (await source(run.signal));
        if (value && !run.signal.aborted) {
          this.#value = value;
          this.#host.requestUpdate();
        }
      } catch {
        // Unreachable companion or aborted: keep what was shown.
      }
      if (!run.signal.aborted) this.#timer = this.#clock.setTimeout(ask, this.#options.every ?? 60000);
    };
    void ask();
  }

  /** Stops asking; what is in flight is aborted and discarded. */
  stop(): void {
    this.#run?.abort();
    this.#run = undefined;
    this.#clock.clearTimeout(this.#timer);
  }

  hostConnected(): void {}

  hostDisconnected(): void {
    this.stop();
  }
}

// Direct mode's source. The answer is checked by hand, as protocol/gateway.ts's
// availabilityResponseSchema does: importing the schema would pull the protocol into the panel.
const STATES = ['online', 'away', 'offline', 'closed', 'unreachable'];

/** The answer if it is an Availability (unknown fields dropped), else undefined. */
export function readAvailability(v: unknown): Availability | undefined {
  const a = v as Partial<Availability> | null;
  if (!a || !STATES.includes(a.state as string) || typeof a.emailReplies !== 'boolean' || !Array.isArray(a.fields)) return undefined;
  if (!a.fields.every((f) => f === 'name' || f === 'email')) return undefined;
  // 200 characters as the companion counts them: code points (an emoji is two UTF-16 units).
  if (a.expectedReply !== undefined && (typeof a.expectedReply !== 'string' || [...a.expectedReply].length > 200)) return undefined;
  return {
    state: a.state!,
    fields: a.fields,
    emailReplies: a.emailReplies,
    ...(a.expectedReply ? { expectedReply: a.expectedReply } : {}),
  };
}

/**
 * Direct mode's source: the companion's `GET /v1/availability` next to its session route
 * (`token-url` without its `/v1/session`), no credentials, the answer validated.
 */
export const companionAvailability =
  (tokenUrl: string): AvailabilitySource =>
  async (signal) => {
    const url = `${tokenUrl.replace(/\/v1\/session\/?(\?.*)?$/, '').replace(/\/+$/, '')}/v1/availability`;
    const res = await fetch(url, { credentials: 'omit', signal });
    const parsed = readAvailability(await res.json().catch(() => undefined));
    if (!res.ok || !parsed) throw new Error(`GET ${url} answered ${res.status} without an availability`);
    return parsed;
  };
