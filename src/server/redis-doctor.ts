// `porthole-server doctor` with PORTHOLE_REDIS_URL: Redis answers, keeps its data across a restart,
// and never evicts a key — else conversation mappings could vanish without anyone being told.
import type { Redis } from 'ioredis';
import type { DoctorCheck } from './doctor.js';
import { silentLogger } from './logger.js';
import { connectRedis, describeRedisUrl, openRedis } from './redis.js';

const field = (info: string, name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();

/**
 * Checks the Redis of `url`: it answers `PING`; it persists (an append-only file, or snapshots
 * with `save`); its `maxmemory-policy` is `noeviction` (or evicts only keys with an expiry, which
 * conversations never have). Never prints the URL's password.
 */
export async function runRedisDoctor(url: string): Promise<DoctorCheck[]> {
  const where = describeRedisUrl(url);
  const redis = openRedis(url, silentLogger);
  try {
    try {
      await connectRedis(redis, url, 5000);
      await redis.ping();
    } catch (err) {
      return [{ ok: false, name: 'redis', detail: `${where} does not answer: ${err instanceof Error ? err.message : String(err)}` }];
    }
    return [{ ok: true, name: 'redis', detail: `${where} answers PING` }, ...(await inspectRedis(redis))];
  } finally {
    redis.disconnect();
  }
}

/** The persistence and eviction checks of {@link runRedisDoctor}, on a connected client. */
export async function inspectRedis(redis: Redis): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  {
    const persistence = await redis.info('persistence');
    const save = (await redis.config('GET', 'save').catch(() => [])) as string[];
    const aof = field(persistence, 'aof_enabled') === '1';
    const rdb = String(save[1] ?? '').trim() !== '';
    checks.push({
      ok: aof || rdb,
      name: 'redis persistence',
      detail: aof
        ? `append-only file on (appendfsync ${((await redis.config('GET', 'appendfsync').catch(() => [])) as string[])[1] ?? '?'})`
        : rdb
          ? `snapshots only (save ${save[1]}): a crash loses what changed since the last one; prefer appendonly yes`
          : 'none: a Redis restart loses every conversation mapping (visitors get new threads). Set appendonly yes',
    });
    const policy = ((await redis.config('GET', 'maxmemory-policy').catch(() => [])) as string[])[1] ?? 'unknown';
    checks.push({
      ok: policy === 'noeviction' || policy.startsWith('volatile-'),
      name: 'redis eviction',
      detail:
        policy === 'noeviction' || policy.startsWith('volatile-')
          ? `maxmemory-policy ${policy}: conversation mappings (no expiry) are never evicted`
          : `maxmemory-policy ${policy} may evict conversation mappings when memory is full; set noeviction`,
    });
  }
  return checks;
}
