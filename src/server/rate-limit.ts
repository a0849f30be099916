// Fixed-window rate limiting behind a small store interface: in process for one instance, or in
// Redis (through rate-limiter-flexible) so several instances enforce one limit.
import type { Context, MiddlewareHandler } from 'hono';
import { every } from 'hono/combine';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { addressKey } from './client-address.js';
import { HttpError } from './errors.js';
import type { CompanionMetrics, RateLimitName } from './metrics.js';

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

/** Counts more than any limit allows: the store only counts; the caller compares with its limit. */
const COUNT_ONLY_POINTS = 2 ** 31 - 1;

/**
 * A {@link RateLimitStore} in Redis, shared by every instance that uses the same Redis and
 * prefix. Counting is rate-limiter-flexible's (one atomic `SET … NX PX` + `INCR` script per hit).
 *
 * While Redis is unreachable each instance counts in its own memory (rate-limiter-flexible's
 * insurance limiter): limits stay enforced, per instance — never zero, never unlimited — and are
 * shared again as soon as Redis answers.
 */
export class RedisRateLimitStore implements RateLimitStore {
  private readonly limiters = new Map<number, RateLimiterRedis>();

  /**
   * @param redis - an ioredis client made with `enableOfflineQueue: false`, so a hit while Redis is
   *   down falls back to memory at once instead of waiting for the reconnection.
   * @param options.prefix - prefix of the counters' keys. Default: `porthole:`.
   */
  constructor(
    private readonly redis: Redis,
    private readonly options: { prefix?: string } = {},
  ) {}

  private limiterFor(windowMs: number): RateLimiterRedis {
    let limiter = this.limiters.get(windowMs);
    if (!limiter) {
      const duration = Math.max(1, Math.round(windowMs / 1000));
      limiter = new RateLimiterRedis({
        storeClient: this.redis,
        keyPrefix: `${this.options.prefix ?? 'porthole:'}rl:${duration}`,
        points: COUNT_ONLY_POINTS,
        duration,
        rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory({ points: COUNT_ONLY_POINTS, duration }),
      });
      this.limiters.set(windowMs, limiter);
    }
    return limiter;
  }

  /** @inheritdoc */
  async hit(key: string, windowMs: number, now: number): Promise<RateLimitHit> {
    let res: RateLimiterRes;
    try {
      res = await this.limiterFor(windowMs).consume(key, 1);
    } catch (e) {
      // A RateLimiterRes rejection means "over the points", which COUNT_ONLY_POINTS never reaches.
      if (e instanceof RateLimiterRes) res = e;
      else throw e;
    }
    return { count: res.consumedPoints, resetAt: now + res.msBeforeNext };
  }
}

/** One limit checked by {@link enforceRateLimit}. */
export interface RateLimitCheck {
  /** The counter's key (a bucket name plus a conversation, an address …). */
  key: string;
  /** Allowed hits per window. */
  limit: number;
  /** Window length in ms. Default: 60 000. */
  windowMs?: number;
  /** What is counted, for the 429's message ("Too many <what>"). */
  what: string;
  /** The limit's name in `porthole_rate_limited_total{limit}`; with `metrics`, each refusal is counted. */
  name?: RateLimitName;
  /** Where refusals are counted (`porthole_rate_limited_total{limit=name}`). Default: nowhere. */
  metrics?: Pick<CompanionMetrics, 'rateLimited'>;
  /**
   * The 429's message, given the limit and the seconds to wait. Default: `Too many <what>: at most
   * <limit> per minute. Retry after <n> s.`
   */
  message?: (limit: number, retryAfter: number) => string;
  /** Called before the 429 is thrown (e.g. to log a spent global budget). */
  onRefused?: () => void;
}

/**
 * Counts one hit in `store` and, past the limit, throws 429 `rate_limited` with `Retry-After`
 * (whole seconds until the window ends), counting the refusal in `porthole_rate_limited_total`.
 * Every limit of the companion goes through here.
 *
 * @throws {HttpError} 429 `rate_limited`.
 */
export async function enforceRateLimit(store: RateLimitStore, check: RateLimitCheck, now: number): Promise<void> {
  const windowMs = check.windowMs ?? 60_000;
  const { count, resetAt } = await store.hit(check.key, windowMs, now);
  if (count <= check.limit) return;
  const retryAfter = Math.max(1, Math.ceil((resetAt - now) / 1000));
  if (check.name) check.metrics?.rateLimited(check.name);
  check.onRefused?.();
  const per = windowMs === 60_000 ? 'minute' : `${Math.round(windowMs / 1000)} s`;
  throw new HttpError(
    429,
    'rate_limited',
    check.message?.(check.limit, retryAfter) ?? `Too many ${check.what}: at most ${check.limit} per ${per}. Retry after ${retryAfter} s.`,
    { headers: { 'Retry-After': String(retryAfter) } },
  );
}

/** Options of {@link rateLimit}. */
export interface RateLimitOptions {
  /** Allowed hits per key and window. */
  limit: number;
  /** Window length in ms. Default: 60 000. */
  windowMs?: number;
  /** Counter store. */
  store: RateLimitStore;
  /** The key of a request, usually the client address (plus a bucket name). */
  key: (c: Context) => string;
  /** What is counted, for the 429's message. Default: `requests from one address`. */
  what?: string;
  /** Clock, for tests. */
  now?: () => number;
  /** The limit's name in `porthole_rate_limited_total{limit}`; with `metrics`, each refusal is counted. */
  name?: RateLimitName;
  metrics?: Pick<CompanionMetrics, 'rateLimited'>;
}

/**
 * Rate-limit middleware: past `limit` hits in a window it throws a 429 with `Retry-After`
 * (whole seconds until the window ends) and never reaches the route.
 */
export function rateLimit(options: RateLimitOptions): MiddlewareHandler {
  const windowMs = options.windowMs ?? 60_000;
  const now = options.now ?? Date.now;
  const what = options.what ?? 'requests from one address';
  return async (c, next) => {
    await enforceRateLimit(
      options.store,
      {
        key: options.key(c),
        limit: options.limit,
        windowMs,
        what,
        name: options.name,
        metrics: options.metrics,
        message: (limit, retryAfter) =>
          `Too many ${what}: at most ${limit} per ${Math.round(windowMs / 1000)} s. Retry after ${retryAfter} s.`,
      },
      now(),
    );
    await next();
  };
}

/** Settings of {@link sessionRateLimits}. */
export interface SessionRateLimitOptions {
  /** Session requests per client address (IPv6: per /64) and minute. */
  perAddress: number;
  /**
   * Session requests per site (the `Origin` header; requests without one count together) and
   * minute, from visitors without a valid visitor cookie: a flood of new visitors from many
   * addresses cannot lock returning visitors out. A returning visitor counts per visitor id
   * instead (`perAddress` a minute), so one cookie replayed from many addresses is capped too.
   */
  perSite: number;
  /** The visitor id of a request's valid (signed) visitor cookie, or undefined (a new visitor). */
  returning: (c: Context) => Promise<string | undefined>;
  store: RateLimitStore;
  /** The client address of a request (undefined: unknown, all such requests count together). */
  clientIp: (c: Context) => string | undefined;
  now?: () => number;
  /** Counts refusals as `session_address`, `session_site` and `session_visitor`. */
  metrics?: Pick<CompanionMetrics, 'rateLimited'>;
}

/**
 * The limits of `POST/DELETE /v1/session`, the same in both modes: per client address first, then
 * per site for new visitors. Mount with `app.on(['POST', 'DELETE'], '/v1/session', sessionRateLimits(o))`.
 */
export function sessionRateLimits(o: SessionRateLimitOptions): MiddlewareHandler {
  const perSite = rateLimit({
    limit: o.perSite,
    store: o.store,
    now: o.now,
    key: (c) => `session-site:${c.req.method}:${c.req.header('Origin') ?? 'none'}`,
    what: 'session requests for this site',
    name: 'session_site',
    metrics: o.metrics,
  });
  const visitorIds = new WeakMap<Context, string>();
  const perVisitor = rateLimit({
    limit: o.perAddress,
    store: o.store,
    now: o.now,
    key: (c) => `session-visitor:${c.req.method}:${visitorIds.get(c)}`,
    what: 'session requests for this visitor',
    name: 'session_visitor',
    metrics: o.metrics,
  });
  return every(
    rateLimit({
      limit: o.perAddress,
      store: o.store,
      now: o.now,
      key: (c) => `session:${c.req.method}:${addressKey(o.clientIp(c))}`,
      what: 'session requests from one address',
      name: 'session_address',
      metrics: o.metrics,
    }),
    async (c, next) => {
      const visitorId = await o.returning(c);
      if (visitorId === undefined) return perSite(c, next);
      visitorIds.set(c, visitorId);
      return perVisitor(c, next);
    },
  );
}
