// The HTTP shell both modes share: request ids and one access-log line per request, CORS with the
// exact allowlist, and the single error handler (also for unknown routes).
import { Hono } from 'hono';
import { cors } from './cors.js';
import { createErrorHandler, HttpError, type ErrorHandlerOptions } from './errors.js';
import type { Logger } from './logger.js';

/** Hono environment of the companion app (request-scoped variables). */
export interface CompanionEnv {
  Variables: { requestId: string };
}

/** What {@link createShell} needs. */
export interface ShellOptions {
  production: boolean;
  logger: Logger;
  /** Exact origins allowed to call the companion from a browser. */
  allowedOrigins: readonly string[];
  /** Methods announced to browsers in preflights. */
  corsMethods: readonly string[];
  /** Request headers announced in preflights. Default: Content-Type, Authorization. */
  corsHeaders?: readonly string[];
  /** The routes this companion serves, for the 404 message. */
  routes: string;
  /** Body limit named in 413 messages (see {@link ErrorHandlerOptions.maxBodyBytes}). */
  maxBodyBytes?: ErrorHandlerOptions['maxBodyBytes'];
  /** Counts error responses (see {@link ErrorHandlerOptions.metrics}). */
  metrics?: ErrorHandlerOptions['metrics'];
  /** Told of 500s and 502s (see {@link ErrorHandlerOptions.onError}). */
  onError?: ErrorHandlerOptions['onError'];
  /** Routes for machines, not pages (`GET /metrics`): mounted ahead of CORS, so they never carry CORS headers. */
  scrapeRoutes?: Hono;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

/**
 * A Hono app with the shared middleware in place; the mode adds its routes.
 *
 * @example
 * ```ts
 * const app = createShell({ production, logger, allowedOrigins, corsMethods: ['POST', 'OPTIONS'], routes: 'POST /v1/session' });
 * app.post('/v1/session', handler);
 * ```
 */
export function createShell(options: ShellOptions): Hono<CompanionEnv> {
  const { logger } = options;
  const app = new Hono<CompanionEnv>();
  app.onError(
    createErrorHandler({
      production: options.production,
      logger,
      maxBodyBytes: options.maxBodyBytes,
      metrics: options.metrics,
      onError: options.onError,
    }),
  );
  app.notFound((c) => {
    // A path the companion serves, asked with another method: 405 with the methods it takes (RFC 9110, 15.5.6).
    const allowed = new Set(app.routes.filter((r) => r.method !== 'ALL' && r.path === c.req.path).map((r) => r.method));
    if (allowed.has('GET')) allowed.add('HEAD'); // Hono answers HEAD with its GET route
    if (allowed.size > 0) {
      const allow = [...allowed].sort().join(', ');
      throw new HttpError(405, 'method_not_allowed', `${c.req.path} does not take ${c.req.method.slice(0, 20)}; it takes ${allow}.`, {
        headers: { Allow: allow },
      });
    }
    throw new HttpError(404, 'not_found', `No such route. The companion serves ${options.routes}.`);
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

  if (options.scrapeRoutes) app.route('/', options.scrapeRoutes);
  app.use('*', cors({ allowedOrigins: options.allowedOrigins, methods: options.corsMethods, headers: options.corsHeaders }));
  return app;
}
