// Assembles the companion in the configured mode: gateway (gateway/gateway-companion.ts) or
// direct (below): the shared shell (shell.ts), the mode's routes and the health routes.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Context, Hono } from 'hono';
import type { Redis } from 'ioredis';
import type { AuditLog } from './audit-log.js';
import { addressKey, defaultClientIp } from './client-address.js';
import type { CompanionConfig } from './companion-config.js';
import type { DirectConfig } from './config.js';
import { CredentialIssuer } from './credentials.js';
import { DirectPrivacy, directPrivacyRoutes } from './direct-privacy.js';
import { errorCodeOf, errorReporter, type ErrorHook } from './errors.js';
import type { GatewayDeps } from './gateway/gateway.js';
import { createGatewayCompanion } from './gateway/gateway-companion.js';
import { checkReadiness, healthRoutes } from './health-route.js';
import { directAvailabilityRoute } from './availability-route.js';
import { createJsonLogger, type Logger } from './logger.js';
import { HttpMattermostAdmin, type MattermostAdmin } from './mattermost-admin.js';
import { createInstance } from './instance.js';
import { createOpenApiDocument, openApiRoute } from './openapi.js';
import { countRefusedSessions } from './metrics.js';
import type { PrivacyService } from './privacy.js';
import type { RateLimitStore } from './rate-limit.js';
import { eraseIdleDirectVisitors, retentionMs } from './retention.js';
import { MAX_SESSION_BODY_BYTES, sessionRoute } from './session-route.js';
import { createShell, type CompanionEnv } from './shell.js';
import { recycleIdleVisitors } from './visitor-recycler.js';
import { VisitorProvisioner } from './visitor-provisioner.js';

export type { CompanionEnv } from './shell.js';

/** Optional collaborators of {@link createCompanion}; defaults suit production. */
export interface CompanionOptions {
  /** Mattermost access; default: {@link HttpMattermostAdmin} with the configured URL and token. */
  admin?: MattermostAdmin;
  /** Log sink; default: JSON lines on stdout. Pass `silentLogger` in tests. */
  logger?: Logger;
  /** Rate-limit counters; default: Redis's when `PORTHOLE_REDIS_URL` is set (shared by every instance), else in memory. */
  rateLimitStore?: RateLimitStore;
  /** A connected Redis client to use instead of opening one from `PORTHOLE_REDIS_URL` (the caller closes it). */
  redis?: Redis;
  /** Audit sink; default: `PORTHOLE_AUDIT_LOG`'s (a file or stdout), else none. */
  audit?: AuditLog;
  /**
   * Told of every unexpected failure, to forward it to Sentry or a similar tool: each error that
   * becomes a 500 or 502 (never a 4xx, nor an expected 503 such as `mattermost_unavailable`), with
   * `source: 'request'` and the request's id, method and path; and each background task that fails
   * (the gateway's relay, live sockets and bot socket) with `source: 'background'`. A hook that
   * throws is caught and logged; it never changes a response.
   */
  onError?: ErrorHook;
  /** Clock in ms, for tests. */
  now?: () => number;
  /**
   * How to find the client IP. Default: the first `X-Forwarded-For` hop when `trustProxy` is on,
   * else the Node socket's remote address (`env.incoming.socket.remoteAddress`, as given by
   * @hono/node-server). Edge runtimes pass their own (e.g. from `CF-Connecting-IP`).
   */
  clientIp?: (c: Context) => string | undefined;
  /** Gateway mode only: its store, Mattermost client and timings (tests); defaults suit production. */
  gateway?: GatewayDeps;
}

/** A companion: a web-standard fetch handler plus the Hono app behind it, in either mode. */
export interface Companion {
  /** The mode it serves visitors in. */
  readonly mode: CompanionConfig['mode'];
  /**
   * Its audit log (`options.audit`, else `PORTHOLE_AUDIT_LOG`'s sink, else one that records
   * nothing): the CLI records `config.loaded` there, and operator actions go to the same sink.
   */
  readonly audit: AuditLog;
  /** Handles one request. `env` carries runtime bindings (Node: `{ incoming, outgoing }`). */
  fetch(request: Request, env?: unknown): Promise<Response>;
  /** The Hono app, to mount under another Hono app or to call `app.request()` in tests. */
  app: Hono<CompanionEnv>;
  /**
   * Gets ready to serve. Gateway mode opens its store, ensures its bot and connects the bot's
   * socket to Mattermost (until then its visitor routes answer 503 `gateway_starting`); direct
   * mode has nothing to start. Call it once before serving.
   */
  start(): Promise<void>;
  /**
   * First step of a graceful shutdown: `/readyz` answers 503 `draining`, so the load balancer stops
   * sending this instance traffic. Everything is still served.
   */
  drain(): Promise<void>;
  /**
   * Second step, once the load balancer has noticed: gateway mode closes its live sockets with 1012
   * and reason `draining` (widgets reconnect, through the load balancer, to another instance) and
   * refuses new ones. Requests in flight go on. Direct mode has no sockets.
   */
  releaseLiveSockets(): Promise<void>;
  /** Drains and releases if not yet, then closes the bot's socket (gateway), the store and the Redis connection. */
  stop(): Promise<void>;
  /**
   * Node's http server `upgrade` event: takes gateway mode's `/v1/live` WebSocket and returns true;
   * returns false for anything else (direct mode has no socket of its own), so the caller destroys it.
   */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Revokes every expired visitor credential (direct mode); returns how many. The CLI runs it every minute. */
  sweepExpiredCredentials(): Promise<number>;
  /**
   * Deactivates visitors idle for `PORTHOLE_IDLE_VISITOR_DAYS` (direct mode; they are reactivated
   * when they return), keeping an unlicensed server under its 250 active users; returns how many.
   * The CLI runs it at start and every hour. `at` overrides the current time (ms).
   */
  recycleIdleVisitors(at?: number): Promise<number>;
  /**
   * Erases conversations idle (no message either way) for `PORTHOLE_RETENTION_DAYS` (0, the
   * default: none); returns how many. Gateway mode: one instance runs a pass at a time (a store
   * lock). The CLI runs it at start and every hour when retention is on. `at` overrides the current time (ms).
   */
  eraseIdleConversations(at?: number): Promise<number>;
  /**
   * Export and erasure for operators (`porthole-server export|erase <visitor>`): `<visitor>` is a
   * conversation id (direct mode: the visitor's channel id) or `sub:<identified visitor's sub>`.
   * Gateway mode needs `start()` first.
   */
  readonly privacy: PrivacyService;
}

export { defaultClientIp } from './client-address.js';

/**
 * Creates the companion endpoint from a validated configuration, in its mode.
 *
 * Gateway mode (default): `POST/DELETE /v1/session`, `GET/POST /v1/messages`, `POST /v1/typing`,
 * `GET /v1/agents`, the `/v1/live` WebSocket (through {@link Companion.upgrade}), `GET /healthz`,
 * `GET /readyz`. Direct mode: `POST/DELETE /v1/session`, `GET /healthz`, `GET /readyz`. Both serve
 * their OpenAPI 3.1 document at `GET /openapi.json` (see `createOpenApiDocument`).
 *
 * @example
 * ```ts
 * import { createCompanion, loadConfig } from 'porthole-chat/server';
 * const companion = createCompanion(loadConfig(process.env));
 * await companion.start();
 * const res = await companion.fetch(new Request('http://x/healthz'));
 * ```
 */
export function createCompanion(config: CompanionConfig, options: CompanionOptions = {}): Companion {
  return config.mode === 'gateway' ? createGatewayCompanion(config, options) : createDirectCompanion(config, options);
}

/** Direct mode: the session route mints a Mattermost user, channel and access token per visitor. */
function createDirectCompanion(config: DirectConfig, options: CompanionOptions): Companion {
  const logger = options.logger ?? createJsonLogger();
  const now = options.now ?? Date.now;
  const instance = createInstance(config, { ...options, logger });
  const { metrics } = instance;
  const admin = options.admin ?? new HttpMattermostAdmin({ url: config.mattermostUrl, token: config.token, metrics });

  const provisioner = new VisitorProvisioner(
    admin,
    {
      teamId: config.teamId,
      agentIds: config.agentIds,
      inboxChannelId: config.inboxChannelId,
      publicUrl: config.publicUrl,
      metrics,
    },
    logger,
  );
  const credentials = new CredentialIssuer(
    admin,
    { ttlSeconds: config.sessionTtlSeconds, maxPerVisitor: config.maxCredentialsPerVisitor, now, audit: instance.audit },
    logger,
  );

  const privacy = new DirectPrivacy({
    admin,
    credentials,
    teamId: config.teamId,
    inboxChannelId: config.inboxChannelId,
    audit: instance.audit,
    logger,
    now,
  });

  const app = createShell({
    production: config.production,
    logger,
    allowedOrigins: config.allowedOrigins,
    corsMethods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
    routes:
      'POST/DELETE /v1/session, DELETE /v1/session/cookie, GET /v1/transcript, DELETE /v1/conversation, GET /v1/availability, GET /healthz, GET /readyz and GET /openapi.json',
    maxBodyBytes: MAX_SESSION_BODY_BYTES,
    metrics,
    onError: errorReporter(options.onError, logger),
    scrapeRoutes: instance.metricsRoute,
  });

  app.post('/v1/session', countRefusedSessions(metrics, errorCodeOf));
  app.on(['POST', 'DELETE'], '/v1/session', instance.sessionLimits);
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
      uploads: config.uploads,
      logger,
      audit: instance.audit,
      metrics,
      now,
    }),
  );
  app.route(
    '/',
    directPrivacyRoutes({
      privacy,
      rateLimitStore: instance.rateLimitStore,
      clientIp: (c) => addressKey(options.clientIp ? options.clientIp(c) : defaultClientIp(c, config.trustProxy)),
      production: config.production,
      metrics,
      now,
    }),
  );
  // Agents and availability: GET /v1/availability (no token; see availability-route.ts).
  app.route(
    '/',
    directAvailabilityRoute({
      settings: config.availability,
      mattermostUrl: config.mattermostUrl,
      token: config.token,
      agentIds: config.agentIds,
      rateLimitStore: instance.rateLimitStore,
      clientIp: (c) => addressKey(options.clientIp ? options.clientIp(c) : defaultClientIp(c, config.trustProxy)),
      metrics,
      logger,
      now,
    }),
  );
  const readiness = () => instance.readiness(() => checkReadiness({ admin, teamId: config.teamId, production: config.production }));
  app.route('/', healthRoutes(readiness));
  app.route('/', openApiRoute(createOpenApiDocument({ mode: 'direct', metrics: config.metricsToken !== undefined })));
  metrics.observe({ readiness });

  return {
    mode: 'direct',
    audit: instance.audit,
    app,
    fetch: async (request, env) => app.fetch(request, env),
    start: () => instance.start(),
    drain: async () => instance.drain(),
    releaseLiveSockets: async () => {},
    stop: () => instance.stop(),
    upgrade: () => false,
    sweepExpiredCredentials: () => credentials.sweepExpired(),
    recycleIdleVisitors: async (at) =>
      config.idleVisitorDays === 0
        ? 0
        : recycleIdleVisitors(admin, { teamId: config.teamId, idleMs: config.idleVisitorDays * 86_400_000, now: at ?? now(), logger }),
    eraseIdleConversations: (at) =>
      eraseIdleDirectVisitors(
        { admin, privacy, teamId: config.teamId, logger },
        { idleMs: retentionMs(config.retentionDays), at: at ?? now() },
      ),
    privacy,
  };
}
