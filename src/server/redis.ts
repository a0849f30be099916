// The companion's one Redis connection (when PORTHOLE_REDIS_URL is set): made to fail fast while
// Redis is away (no offline queue, so callers degrade at once), to reconnect on its own, and to log
// each change of state once — never the URL's password.
import { Redis } from 'ioredis';
import type { Logger } from './logger.js';

/** `redis://host:port/db` of a Redis URL, without user or password, for logs and messages. */
export function describeRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname && u.pathname !== '/' ? u.pathname : ''}`;
  } catch {
    return 'an unparsable Redis URL';
  }
}

/** Thrown when Redis does not answer in time at start (`PORTHOLE_REDIS_URL`). */
export class RedisUnavailableError extends Error {
  override name = 'RedisUnavailableError';
}

/**
 * A Redis client for the companion: lazy (nothing happens before {@link connectRedis}), no
 * offline queue (a command while disconnected fails at once), one retry per command, 2 s command
 * timeout, and reconnection every 0.2–2 s for as long as it takes.
 */
export function openRedis(url: string, logger: Logger): Redis {
  const where = describeRedisUrl(url);
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    commandTimeout: 2000,
    retryStrategy: (times) => Math.min(200 * times, 2000),
  });
  let lastError = '';
  redis.on('error', (err: Error) => {
    if (err.message === lastError) return;
    lastError = err.message;
    logger.warn({ msg: 'redis: connection problem; reconnecting', redis: where, error: err.message });
  });
  redis.on('ready', () => {
    if (lastError) logger.info({ msg: 'redis: connected again', redis: where });
    lastError = '';
  });
  return redis;
}

/**
 * Connects a client made by {@link openRedis}, waiting up to `timeoutMs` for Redis to answer.
 *
 * @throws {RedisUnavailableError} saying where it tried (without the password).
 */
export async function connectRedis(redis: Redis, url: string, timeoutMs = 10_000): Promise<void> {
  if (redis.status === 'ready') return;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  if (redis.status === 'wait') {
    try {
      await redis.connect();
      return;
    } catch (e) {
      last = e;
    }
  }
  while (Date.now() < deadline) {
    if ((redis.status as string) === 'ready') return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // Stop the reconnection timers, or they keep the process alive after the error.
  redis.disconnect();
  throw new RedisUnavailableError(
    `Redis at ${describeRedisUrl(url)} did not answer within ${Math.round(timeoutMs / 1000)} s` +
      (last instanceof Error ? ` (${last.message})` : '') +
      '. Check PORTHOLE_REDIS_URL and that Redis is running.',
  );
}

/** What `/readyz` says about Redis. */
export interface RedisStatus {
  ok: boolean;
  message: string;
}

/** Pings Redis (2 s at most). In production the message names no host and no error text. */
export async function redisStatus(redis: Redis, url: string, production: boolean): Promise<RedisStatus> {
  const where = production ? 'Redis' : `Redis at ${describeRedisUrl(url)}`;
  if (redis.status !== 'ready') return { ok: false, message: `${where} is unreachable${production ? '' : ` (${redis.status})`}` };
  try {
    const t = Date.now();
    await redis.ping();
    return { ok: true, message: `${where} answers (${Date.now() - t} ms)` };
  } catch (e) {
    return { ok: false, message: `${where} does not answer its ping${!production && e instanceof Error ? `: ${e.message}` : ''}` };
  }
}
