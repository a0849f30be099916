// `porthole-server doctor` with PORTHOLE_REDIS_URL: Redis answers, keeps its data across a restart,
// and never evicts a key — else conversation mappings could vanish without anyone being told.
import type { Redis } from 'ioredis';
import type { DoctorCheck } from './doctor.js';
import { silentLogger } from './logger.js';
import { connectRedis, describeRedisUrl, openRedis } from './redis.js';

const field = (info: string, name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();

/**
 * Checks the Redis of `url`: it answers `PING`; and, unless `durable` is false (direct mode keeps
 * only counters there), it persists (an append-only file, or snapshots with `save`) and its
 * `maxmemory-policy` is `noeviction`. Never prints the URL's password.
 */
export async function runRedisDoctor(url: string, options: { durable?: boolean } = {}): Promise<DoctorCheck[]> {
  const where = describeRedisUrl(url);
  const redis = openRedis(url, silentLogger);
  try {
    try {
      await connectRedis(redis, url, 5000);
      await redis.ping();
    } catch (err) {
      return [{ ok: false, name: 'redis', detail: `${where} does not answer: ${err instanceof Error ? err.message : String(err)}` }];
    }
    const reachable: DoctorCheck = { ok: true, name: 'redis', detail: `${where} answers PING` };
    // Direct mode keeps only rate-limit counters in Redis: any Redis will do.
    return options.durable === false ? [reachable] : [reachable, ...(await inspectRedis(redis))];
  } finally {
    redis.disconnect();
  }
}

/** `CONFIG GET name`'s value, or undefined where `CONFIG` is refused (managed Redis services). */
async function configValue(redis: Redis, name: string): Promise<string | undefined> {
  try {
    const answer = (await redis.config('GET', name)) as string[];
    return answer.length >= 2 ? String(answer[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The persistence and eviction checks of {@link runRedisDoctor}, on a connected client (from
 * `INFO`, which managed services allow, and `CONFIG GET` where it is allowed). Only
 * `noeviction` passes: the keys that do expire are locks and counters, and evicting a lock could
 * let two instances start two threads for one conversation.
 */
export async function inspectRedis(redis: Redis): Promise<DoctorCheck[]> {
  const persistence = await redis.info('persistence');
  const memory = await redis.info('memory');
  const aof = field(persistence, 'aof_enabled') === '1';
  const save = await configValue(redis, 'save');
  const fsync = aof ? await configValue(redis, 'appendfsync') : undefined;
  const persistenceCheck: DoctorCheck = aof
    ? { ok: true, name: 'redis persistence', detail: `append-only file on (appendfsync ${fsync ?? 'unknown: CONFIG is refused'})` }
    : save === undefined
      ? {
          ok: true,
          name: 'redis persistence',
          detail: 'not verified: no append-only file, and CONFIG is refused here; check that your provider persists the data',
        }
      : save.trim() !== ''
        ? {
            ok: true,
            name: 'redis persistence',
            detail: `snapshots only (save ${save}): a crash loses what changed since the last one; prefer appendonly yes`,
          }
        : {
            ok: false,
            name: 'redis persistence',
            detail: 'none: a Redis restart loses every conversation mapping (visitors get new threads). Set appendonly yes',
          };
  const policy = field(memory, 'maxmemory_policy') ?? (await configValue(redis, 'maxmemory-policy')) ?? 'unknown';
  const evictionCheck: DoctorCheck =
    policy === 'noeviction'
      ? { ok: true, name: 'redis eviction', detail: 'maxmemory-policy noeviction: nothing the companion stores is evicted' }
      : {
          ok: false,
          name: 'redis eviction',
          detail: `maxmemory-policy ${policy} may evict what the companion stores (conversation mappings, or the locks that keep one thread per conversation) when memory is full; set noeviction`,
        };
  return [persistenceCheck, evictionCheck];
}
