// What one companion instance holds whatever its mode: its Redis connection (when scaled out),
// the rate-limit counters (in Redis then, else in memory), and whether it is draining — and the
// readiness checks that come from them.
import type { Context, Hono, MiddlewareHandler } from 'hono';
import type { Redis } from 'ioredis';
import { defaultClientIp } from './client-address.js';
import type { ServerSettings } from './config.js';
import { readinessStatus, type ReadinessCheck, type ReadinessReport } from './health-route.js';
import { createAuditLog, noAuditLog, type AuditLog } from './audit-log.js';
import type { Logger } from './logger.js';
import { createCompanionMetrics, noMetrics, type CompanionMetrics } from './metrics.js';
import { metricsRoute } from './metrics-route.js';
import { MemoryRateLimitStore, RedisRateLimitStore, sessionRateLimits, type RateLimitStore } from './rate-limit.js';
import { visitorIdOf } from './visitor-cookie.js';
import { inspectRedis } from './redis-doctor.js';
import { connectRedis, openRedis, redisStatus } from './redis.js';

/** One instance's shared-state plumbing (see {@link createInstance}). */
export interface Instance {
  /** The Redis connection when `PORTHOLE_REDIS_URL` is set (connected by `start()`). */
  readonly redis: Redis | undefined;
  /** Rate-limit counters: Redis's when scaled out (shared by every instance), else this process's. */
  readonly rateLimitStore: RateLimitStore;
  /** The limits of `POST/DELETE /v1/session` (see `sessionRateLimits`), the same in both modes, on {@link rateLimitStore}. */
  readonly sessionLimits: MiddlewareHandler;
  /** The audit log: `options.audit`, else `PORTHOLE_AUDIT_LOG`'s sink, else one that records nothing. */
  readonly audit: AuditLog;
  /** The companion's metrics when `PORTHOLE_METRICS_TOKEN` is set (one registry per instance), else {@link noMetrics}. */
  readonly metrics: CompanionMetrics;
  /** `GET /metrics` behind the token when `PORTHOLE_METRICS_TOKEN` is set, else undefined (no route: 404). */
  readonly metricsRoute: Hono | undefined;
  /** True once `drain()` was called: `/readyz` answers 503 so the load balancer sends no more. */
  readonly draining: boolean;
  /** Connects Redis (waits up to 10 s; throws `RedisUnavailableError` with what to check). */
  start(): Promise<void>;
  /** Marks the instance as draining. */
  drain(): void;
  /** Closes the Redis connection and the audit log it opened. */
  stop(): Promise<void>;
  /** The mode's report with this instance's checks added (draining, Redis), and the status they make together. */
  readiness(modeReport: () => Promise<ReadinessReport>): Promise<ReadinessReport>;
}

/** Creates the instance plumbing from the server settings; `redis` / `rateLimitStore` override the defaults (tests). */
export function createInstance(
  settings: Pick<ServerSettings, 'redisUrl' | 'redisPrefix' | 'rateLimitPerMinute' | 'siteSessionsPerMinute'> & {
    auditLog?: string;
    metricsToken?: string;
    production: boolean;
    mode?: 'gateway' | 'direct';
    cookieSecret: string;
    trustProxy: boolean;
  },
  options: {
    logger: Logger;
    redis?: Redis;
    rateLimitStore?: RateLimitStore;
    audit?: AuditLog;
    now?: () => number;
    clientIp?: (c: Context) => string | undefined;
  },
): Instance {
  const ownsAudit = !options.audit && settings.auditLog !== undefined;
  const audit = options.audit ?? (settings.auditLog ? createAuditLog(settings.auditLog) : noAuditLog);
  const ownsRedis = !options.redis && settings.redisUrl !== undefined;
  const redis = options.redis ?? (settings.redisUrl ? openRedis(settings.redisUrl, options.logger) : undefined);
  const rateLimitStore =
    options.rateLimitStore ?? (redis ? new RedisRateLimitStore(redis, { prefix: settings.redisPrefix }) : new MemoryRateLimitStore());
  const metrics = settings.metricsToken
    ? createCompanionMetrics({ mode: settings.mode ?? 'direct', redis: redis !== undefined })
    : noMetrics;
  const sessionLimits = sessionRateLimits({
    perAddress: settings.rateLimitPerMinute,
    perSite: settings.siteSessionsPerMinute,
    returning: (c) => visitorIdOf(c, settings.cookieSecret),
    store: rateLimitStore,
    now: options.now,
    clientIp: (c) => (options.clientIp ? options.clientIp(c) : defaultClientIp(c, settings.trustProxy)),
    metrics,
  });
  let draining = false;
  return {
    redis,
    audit,
    rateLimitStore,
    sessionLimits,
    metrics,
    metricsRoute: settings.metricsToken ? metricsRoute({ token: settings.metricsToken, metrics }) : undefined,
    get draining() {
      return draining;
    },
    async start() {
      if (!redis || !ownsRedis) return; // a caller's client: its connection and its settings are the caller's
      await connectRedis(redis, settings.redisUrl!);
      // Gateway mode keeps its conversations in Redis: say at start what could lose them later
      // (in the background: nothing waits on a diagnosis).
      if (settings.mode === 'gateway')
        void inspectRedis(redis).then(
          (checks) => {
            for (const check of checks) if (!check.ok) options.logger.warn({ msg: `redis: ${check.name}: ${check.detail}` });
          },
          () => {},
        );
    },
    drain() {
      draining = true;
    },
    async stop() {
      draining = true;
      if (ownsAudit) await audit.close();
      if (ownsRedis && redis && redis.status !== 'end') await redis.quit().catch(() => redis.disconnect());
    },
    async readiness(modeReport) {
      const [report, redisCheck] = await Promise.all([
        modeReport(),
        redis ? redisStatus(redis, settings.redisUrl ?? 'redis://', settings.production) : undefined,
      ]);
      const all: ReadinessCheck[] = [
        draining
          ? {
              name: 'draining',
              scope: 'instance',
              ok: false,
              message: 'this instance is shutting down; its visitors reconnect to another one',
            }
          : { name: 'draining', scope: 'instance', ok: true, message: 'serving' },
        ...report.checks,
      ];
      if (redisCheck) all.push({ name: 'redis', scope: 'shared', ...redisCheck });
      return { ...report, status: readinessStatus(all), checks: all };
    },
  };
}
