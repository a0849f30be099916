// Gateway mode as a companion: the shared shell, the session rate limits, the visitor API and
// `/v1/live` of the gateway, readiness from Mattermost's ping and the bot's socket, and the
// instance's Redis (store, counters, logout announcements) when scaled out.
import type { Companion, CompanionOptions } from '../app.js';
import type { GatewayCompanionConfig } from '../companion-config.js';
import { healthRoutes, readinessStatus, type ReadinessCheck, type ReadinessReport } from '../health-route.js';
import { createInstance } from '../instance.js';
import { createJsonLogger } from '../logger.js';
import { createOpenApiDocument, openApiRoute } from '../openapi.js';
import { createShell } from '../shell.js';
import { errorCodeOf, errorReporter } from '../errors.js';
import { countRefusedSessions } from '../metrics.js';
import { retentionMs } from '../retention.js';
import { createGateway, type Gateway } from './gateway.js';

const ROUTES =
  'POST/DELETE /v1/session, DELETE /v1/session/cookie, GET/POST /v1/messages, POST /v1/conversation/page, POST /v1/files, GET /v1/files/{id}, POST /v1/typing, GET /v1/agents, GET /v1/transcript, DELETE /v1/conversation, the /v1/live WebSocket, GET /healthz, GET /readyz and GET /openapi.json';

/** How long `/readyz` waits for Mattermost's ping, ms. */
const PING_TIMEOUT_MS = 3000;
/**
 * Gateway mode's readiness checks: Mattermost answers its ping (shared: every instance sees the
 * same Mattermost), the gateway has started (store open, bot ensured: this instance), and the bot's
 * socket is connected — this instance's fault only when `gateway.botSocketOwnFault()` says so
 * (down for a minute while another instance's has been connected that long), shared otherwise:
 * what breaks every instance's socket at once must not take every instance out. And, for 15
 * minutes after this instance noticed Redis lose the store's data, `store_data` (shared) says so.
 */
export async function gatewayReadiness(
  gateway: Pick<Gateway, 'status' | 'botSocketOwnFault' | 'storeDataLostAt'>,
  mattermostUrl: string,
  production: boolean,
): Promise<ReadinessReport> {
  const checks: ReadinessCheck[] = [];
  const ownFault = gateway.botSocketOwnFault();
  try {
    const res = await fetch(`${mattermostUrl}/api/v4/system/ping`, { signal: AbortSignal.timeout(PING_TIMEOUT_MS) });
    checks.push({
      name: 'mattermost_ping',
      scope: 'shared',
      ok: res.ok,
      message: res.ok ? 'Mattermost answers' : `Mattermost's ping answered ${res.status}`,
    });
  } catch (err) {
    const message = 'Mattermost does not answer its ping';
    checks.push({
      name: 'mattermost_ping',
      scope: 'shared',
      ok: false,
      message: production ? message : `${message}: ${err instanceof Error ? err.message : String(err)}`,
    });
  }
  const status = gateway.status();
  checks.push(
    status.started
      ? { name: 'gateway', scope: 'instance', ok: true, message: `bot ${status.botUserId}, ${status.liveSockets} live sockets` }
      : { name: 'gateway', scope: 'instance', ok: false, message: 'starting' },
  );
  checks.push({
    name: 'bot_socket',
    scope: (await ownFault) ? 'instance' : 'shared',
    ok: status.botSocket === 'connected',
    message: `the bot's socket to Mattermost is ${status.botSocket}`,
  });
  const lostAt = gateway.storeDataLostAt();
  if (lostAt !== undefined)
    checks.push({
      name: 'store_data',
      scope: 'shared',
      ok: false,
      message: `Redis lost the store's data at ${new Date(lostAt).toISOString()}: conversations made before then start new threads (see the log)`,
    });
  return { status: readinessStatus(checks), checks };
}

/** Creates gateway mode's companion (see {@link createCompanion}). */
export function createGatewayCompanion(config: GatewayCompanionConfig, options: CompanionOptions): Companion {
  const logger = options.logger ?? createJsonLogger();
  const now = options.now ?? Date.now;
  const instance = createInstance(config, { ...options, logger });
  const rateLimitStore = instance.rateLimitStore;
  const { metrics } = instance;
  const onError = errorReporter(options.onError, logger);
  const gateway = createGateway(config, {
    logger,
    now,
    rateLimitStore,
    clientIp: options.clientIp,
    redis: instance.redis,
    redisPrefix: config.redisPrefix,
    audit: instance.audit,
    metrics,
    onError,
    ...options.gateway,
  });

  const app = createShell({
    production: config.production,
    logger,
    allowedOrigins: config.allowedOrigins,
    corsMethods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
    // Files: POST /v1/files names the file in a header of its own.
    corsHeaders: ['Content-Type', 'Authorization', 'X-Porthole-File-Name'],
    routes: ROUTES,
    metrics,
    onError,
    scrapeRoutes: instance.metricsRoute,
  });
  app.post('/v1/session', countRefusedSessions(metrics, errorCodeOf));
  app.on(['POST', 'DELETE'], '/v1/session', instance.sessionLimits);
  app.route('/', gateway.routes);
  const readiness = () => instance.readiness(() => gatewayReadiness(gateway, config.mattermostUrl, config.production));
  app.route('/', healthRoutes(readiness));
  metrics.observe({
    readiness,
    liveSockets: () => gateway.status().liveSockets,
    botSocketConnected: () => gateway.status().botSocket === 'connected',
    storeUp: () => gateway.storeReachable(),
  });
  app.route('/', openApiRoute(createOpenApiDocument({ mode: 'gateway', metrics: config.metricsToken !== undefined })));

  let stopped: Promise<void> | undefined;
  return {
    mode: 'gateway',
    audit: instance.audit,
    app,
    fetch: async (request, env) => app.fetch(request, env),
    start: async () => {
      await instance.start();
      await gateway.start();
    },
    drain: async () => instance.drain(),
    releaseLiveSockets: () => gateway.drain(),
    stop: () =>
      (stopped ??= (async () => {
        try {
          instance.drain();
          await gateway.drain();
          await gateway.stop();
        } finally {
          await instance.stop();
        }
      })()),
    upgrade: (req, socket, head) => gateway.live.handleUpgrade(req, socket, head),
    sweepExpiredCredentials: async () => 0,
    recycleIdleVisitors: async () => 0,
    eraseIdleConversations: (at) => gateway.eraseIdleConversations(retentionMs(config.retentionDays), at ?? now()),
    privacy: gateway.privacy,
  };
}
