// Fixed-window rate limiting behind a small store interface (in memory now, Redis later).
import type { Context, MiddlewareHandler } from 'hono';
import { HttpError } from './errors.js';

/** The outcome of counting one hit. */
export interface RateLimitHit {
  /** Hits in the current window, this one included. */
  count: number;
  /** When the current window ends (ms since the epoch). */
  resetAt: number;
}

/**
 * Where rate-limit counters live. Implementations must count atomically per key; a shared store
 * (Redis `INCR` + `PEXPIRE`) lets several companion instances share one limit.
 */
export interface RateLimitStore {
  /** Counts one hit for `key` in a window of `windowMs` starting at its first hit. */
  hit(key: string, windowMs: number, now: number): Promise<RateLimitHit>;
}

/**
 * An in-process {@link RateLimitStore}. Expired windows are dropped lazily, and at most
 * `maxKeys` keys are kept (the oldest window is evicted first) so memory stays bounded.
 */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly windows = new Map<string, RateLimitHit>();
  private readonly maxKeys: number;

  constructor(options: { maxKeys?: number } = {}) {
    this.maxKeys = options.maxKeys ?? 100_000;
  }

  /** @inheritdoc */
  async hit(key: string, windowMs: number, now: number): Promise<RateLimitHit> {
    let current = this.windows.get(key);
    if (!current || current.resetAt <= now) {
      if (current) this.windows.delete(key);
      current = { count: 0, resetAt: now + windowMs };
      this.evict(now);
      this.windows.set(key, current);
    }
    current.count += 1;
    return { ...current };
  }

  private evict(now: number): void {
    if (this.windows.size < this.maxKeys) return;
    for (const [key, entry] of this.windows) {
      if (entry.resetAt <= now || this.windows.size >= this.maxKeys) this.windows.delete(key);
      else break;
    }
  }
}

/** Options of {@link rateLimit}. */
export interface RateLimitOptions {
  /** Allowed hits per key and window. */
  limit: number;
  /** Window length in ms. Default: 60 000. */
  windowMs?: number;
  /** Counter store. */
  store: RateLimitStore;
  /** The key of a request, usually the client IP (plus a bucket name). */
  key: (c: Context) => string;
  /** Clock, for tests. */
  now?: () => number;
}

/**
 * Rate-limit middleware: past `limit` hits in a window it throws a 429 with `Retry-After`
 * (whole seconds until the window ends) and never reaches the route.
 */
export function rateLimit(options: RateLimitOptions): MiddlewareHandler {
  const windowMs = options.windowMs ?? 60_000;
  const now = options.now ?? Date.now;
  return async (c, next) => {
    const at = now();
    const { count, resetAt } = await options.store.hit(options.key(c), windowMs, at);
    if (count > options.limit) {
      const retryAfter = Math.max(1, Math.ceil((resetAt - at) / 1000));
      throw new HttpError(
        429,
        'rate_limited',
        `Too many requests: at most ${options.limit} per ${Math.round(windowMs / 1000)} s from one address. Retry after ${retryAfter} s.`,
        {
          headers: { 'Retry-After': String(retryAfter) },
        },
      );
    }
    await next();
  };
}
