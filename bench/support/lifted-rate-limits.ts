// The companion's rate limits with every hit still counted but none refused: benchmarks send
// far more from one loopback address than a visitor ever would. The environment raises most
// limits (PORTHOLE_RATE_LIMIT_PER_MINUTE, PORTHOLE_MESSAGES_PER_MINUTE, …), but not past their
// maxima, and gateway mode's 60 new `/v1/live` sockets per address and minute has no variable.
import { MemoryRateLimitStore, type RateLimitHit, type RateLimitStore } from '../../src/server/index.ts';

/**
 * A {@link RateLimitStore} that counts every hit in memory, as the companion's default store does
 * (so each request pays the same), and reports each hit as the first of its window.
 */
export class LiftedRateLimitStore implements RateLimitStore {
  readonly #inner = new MemoryRateLimitStore();

  async hit(key: string, windowMs: number, now: number): Promise<RateLimitHit> {
    const real = await this.#inner.hit(key, windowMs, now);
    return { count: 1, resetAt: real.resetAt };
  }
}
