// Assembles the companion: middleware chain, routes and the single error handler.
import { Hono, type Context } from 'hono';
import type { CompanionConfig } from './config.js';
import { cors } from './cors.js';
import { CredentialIssuer } from './credentials.js';
import { createErrorHandler, HttpError } from './errors.js';
import { healthRoutes } from './health-route.js';
import { createJsonLogger, type Logger } from './logger.js';
import { HttpMattermostAdmin, type MattermostAdmin } from './mattermost-admin.js';
import { MemoryRateLimitStore, rateLimit, type RateLimitStore } from './rate-limit.js';
import { MAX_SESSION_BODY_BYTES, sessionRoute } from './session-route.js';
import { recycleIdleVisitors } from './visitor-recycler.js';
import { VisitorProvisioner } from './visitor-provisioner.js';

/** Hono environment of the companion app (request-scoped variables). */
export interface CompanionEnv {
  Variables: { requestId: string };
}

/** Optional collaborators of {@link createCompanion}; defaults suit production. */
export interface CompanionOptions {
  /** Mattermost access; default: {@link HttpMattermostAdmin} with the configured URL and token. */
  admin?: MattermostAdmin;
  /** Log sink; default: JSON lines on stdout. Pass `silentLogger` in tests. */
  logger?: Logger;
  /** Rate-limit counters; default: in memory (use a shared store when running several instances). */
  rateLimitStore?: RateLimitStore;
  /** Clock in ms, for tests. */
  now?: () => number;
  /**
   * How to find the client IP. Default: the first `X-Forwarded-For` hop when `trustProxy` is on,
   * else the Node socket's remote address (`env.incoming.socket.remoteAddress`, as given by
   * @hono/node-server). Edge runtimes pass their own (e.g. from `CF-Connecting-IP`).
   */
  clientIp?: (c: Context) => string | undefined;
}

/** A running companion: a web-standard fetch handler plus the Hono app behind it. */
export interface Companion {
  /** Handles one request. `env` carries runtime bindings (Node: `{ incoming, outgoing }`). */
  fetch(request: Request, env?: unknown): Promise<Response>;
  /** The Hono app, to mount under another Hono app or to call `app.request()` in tests. */
  app: Hono<CompanionEnv>;
  /** Revokes every expired visitor credential; returns how many. The CLI runs it every minute. */
  sweepExpiredCredentials(): Promise<number>;
  /**
   * Deactivates visitors idle for `PORTHOLE_IDLE_VISITOR_DAYS` (they are reactivated when they
   * return), keeping an unlicensed server under its 250 active users; returns how many. The CLI
   * runs it at start and every hour. `at` overrides the current time (ms).
   */
  recycleIdleVisitors(at?: number): Promise<number>;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

/** The default client-IP lookup (see {@link CompanionOptions.clientIp}). */
export function defaultClientIp(c: Context, trustProxy: boolean): string | undefined {
  if (trustProxy) {
    const first = c.req.header('X-Forwarded-For')?.split(',')[0]?.trim();
    if (first) return first;
  }
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress;
}

/**
 * Creates the companion endpoint from a validated configuration.
 *
 * Routes: `POST /v1/session`, `DELETE /v1/session`, `GET /healthz`, `GET /readyz`.
 *
 * @example
 * ```ts
 * import { createCompanion, loadConfig } from 'porthole-chat/server';
 * const companion = createCompanion(loadConfig(process.env));
 * const res = await companion.fetch(new Request('http://x/healthz'));
 * ```
 */
export function createCompanion(config: CompanionConfig, options: CompanionOptions = {}): Companion {
  const logger = options.logger ?? createJsonLogger();
  const now = options.now ?? Date.now;
  const admin = options.admin ?? new HttpMattermostAdmin({ url: config.mattermostUrl, token: config.token });
  const store = options.rateLimitStore ?? new MemoryRateLimitStore();
  const ipOf = (c: Context) => (options.clientIp ? options.clientIp(c) : defaultClientIp(c, config.trustProxy)) ?? 'unknown';

  const provisioner = new VisitorProvisioner(
    admin,
    { teamId: config.teamId, agentIds: config.agentIds, inboxChannelId: config.inboxChannelId, publicUrl: config.publicUrl },
    logger,
  );
  const credentials = new CredentialIssuer(admin, { ttlSeconds: config.sessionTtlSeconds, maxPerVisitor: config.maxCredentialsPerVisitor, now }, logger);

  const app = new Hono<CompanionEnv>();
  app.onError(createErrorHandler({ production: config.production, logger, maxBodyBytes: MAX_SESSION_BODY_BYTES }));
  app.notFound(() => {
    throw new HttpError(404, 'not_found', 'No such route. The companion serves POST/DELETE /v1/session, GET /healthz and GET /readyz.');
  });

  // Request id and one structured access-log line per request (never headers, bodies or query).
  app.use('*', async (c, next) => {
    const started = performance.now();
    const incoming = c.req.header('X-Request-Id');
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
    c.set('requestId', requestId);
    try {
      await next();
    } finally {
      c.header('X-Request-Id', requestId);
      c.header('X-Content-Type-Options', 'nosniff');
      logger.info({
        msg: 'request',
        method: c.req.method,
        path: new URL(c.req.url).pathname,
        status: c.res.status,
        ms: Math.round((performance.now() - started) * 10) / 10,
        requestId,
      });
    }
  });

  app.use('*', cors({ allowedOrigins: config.allowedOrigins }));

  const windowMs = 60_000;
  app.on(['POST', 'DELETE'], '/v1/session', rateLimit({ limit: config.rateLimitPerMinute, windowMs, store, now, key: (c) => `session:${c.req.method}:${ipOf(c)}` }));
  app.route(
    '/v1/session',
    sessionRoute({
      admin,
      provisioner,
      credentials,
      publicUrl: config.publicUrl,
      cookieSecret: config.cookieSecret,
      identitySecret: config.identitySecret,
      production: config.production,
      logger,
      now,
    }),
  );
  app.route('/', healthRoutes({ admin, teamId: config.teamId, production: config.production }));

  return {
    app,
    fetch: async (request, env) => app.fetch(request, env),
    sweepExpiredCredentials: () => credentials.sweepExpired(),
    recycleIdleVisitors: async (at) =>
      config.idleVisitorDays === 0
        ? 0
        : recycleIdleVisitors(admin, { teamId: config.teamId, idleMs: config.idleVisitorDays * 86_400_000, now: at ?? now(), logger }),
  };
}
