// Gateway mode as a companion: the shared shell, the session rate limit, the visitor API and
// `/v1/live` of the gateway, and readiness from Mattermost's ping and the bot's socket.
import type { Context } from 'hono';
import type { Companion, CompanionOptions } from '../app.js';
import type { GatewayCompanionConfig } from '../companion-config.js';
import { healthRoutes, type ReadinessCheck, type ReadinessReport } from '../health-route.js';
import { createJsonLogger } from '../logger.js';
import { MemoryRateLimitStore, rateLimit } from '../rate-limit.js';
import { createShell } from '../shell.js';
import { createGateway, type Gateway } from './gateway.js';

const ROUTES =
  'POST/DELETE /v1/session, GET/POST /v1/messages, POST /v1/typing, GET /v1/agents, the /v1/live WebSocket, GET /healthz and GET /readyz';

/** How long `/readyz` waits for Mattermost's ping, ms. */
const PING_TIMEOUT_MS = 3000;

/**
 * Readiness in gateway mode: Mattermost answers its ping, the gateway has started (store open,
 * bot ensured), and the bot's socket is connected (without it nothing arrives live).
 */
export async function gatewayReadiness(
  gateway: Pick<Gateway, 'status'>,
  mattermostUrl: string,
  production: boolean,
): Promise<ReadinessReport> {
  const checks: ReadinessCheck[] = [];
  try {
    const res = await fetch(`${mattermostUrl}/api/v4/system/ping`, { signal: AbortSignal.timeout(PING_TIMEOUT_MS) });
    checks.push(
      res.ok
        ? { name: 'mattermost_ping', ok: true, message: 'Mattermost answers' }
        : { name: 'mattermost_ping', ok: false, message: `Mattermost's ping answered ${res.status}` },
    );
  } catch (err) {
    const message = 'Mattermost does not answer its ping';
    checks.push({
      name: 'mattermost_ping',
      ok: false,
      message: production ? message : `${message}: ${err instanceof Error ? err.message : String(err)}`,
    });
  }
  const status = gateway.status();
  checks.push(
    status.started
      ? { name: 'gateway', ok: true, message: `bot ${status.botUserId}, ${status.liveSockets} live sockets` }
      : { name: 'gateway', ok: false, message: 'starting' },
  );
  checks.push({
    name: 'bot_socket',
    ok: status.botSocket === 'connected',
    message: `the bot's socket to Mattermost is ${status.botSocket}`,
  });
  return { status: checks.every((check) => check.ok) ? 'ready' : 'not_ready', checks };
}

/** Creates gateway mode's companion (see {@link createCompanion}). */
export function createGatewayCompanion(config: GatewayCompanionConfig, options: CompanionOptions): Companion {
  const logger = options.logger ?? createJsonLogger();
  const now = options.now ?? Date.now;
  const rateLimitStore = options.rateLimitStore ?? new MemoryRateLimitStore();
  const gateway = createGateway(config, { logger, now, rateLimitStore, clientIp: options.clientIp, ...options.gateway });
  const ipOf = (c: Context) =>
    (options.clientIp?.(c) ??
      (config.trustProxy ? c.req.header('X-Forwarded-For')?.split(',')[0]?.trim() : undefined) ??
      (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket?.remoteAddress) ||
    'unknown';

  const app = createShell({
    production: config.production,
    logger,
    allowedOrigins: config.allowedOrigins,
    corsMethods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
    routes: ROUTES,
  });
  app.on(
    ['POST', 'DELETE'],
    '/v1/session',
    rateLimit({
      limit: config.rateLimitPerMinute,
      windowMs: 60_000,
      store: rateLimitStore,
      now,
      key: (c) => `session:${c.req.method}:${ipOf(c)}`,
    }),
  );
  app.route('/', gateway.routes);
  app.route(
    '/',
    healthRoutes(() => gatewayReadiness(gateway, config.mattermostUrl, config.production)),
  );

  return {
    mode: 'gateway',
    app,
    fetch: async (request, env) => app.fetch(request, env),
    start: () => gateway.start(),
    stop: () => gateway.stop(),
    upgrade: (req, socket, head) => gateway.live.handleUpgrade(req, socket, head),
    sweepExpiredCredentials: async () => 0,
    recycleIdleVisitors: async () => 0,
  };
}
