// GET /metrics for Prometheus: mounted only when PORTHOLE_METRICS_TOKEN is set, and then only for
// requests that carry that token. It is for scrapers, not pages: the shell mounts it ahead of CORS.
import { createHash, timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import { HttpError } from './errors.js';
import type { CompanionMetrics } from './metrics.js';

/** What {@link metricsRoute} needs. */
export interface MetricsRouteOptions {
  /** `PORTHOLE_METRICS_TOKEN`: the bearer token Prometheus sends. Secret. */
  token: string;
  /** The companion's metrics. */
  metrics: CompanionMetrics;
}

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * `GET /metrics` → 200, Prometheus's text format (`text/plain; version=0.0.4`), `Cache-Control:
 * no-store`, with `Authorization: Bearer <token>`; 401 `unauthorized` otherwise. The token is
 * compared in constant time (over SHA-256 digests, so its length does not show either).
 *
 * @example
 * ```ts
 * if (config.metricsToken) app.route('/', metricsRoute({ token: config.metricsToken, metrics }));
 * ```
 */
export function metricsRoute(options: MetricsRouteOptions): Hono {
  if (typeof options.token !== 'string' || options.token.length === 0) {
    throw new TypeError(
      `metricsRoute: expected a non-empty token string; received ${options.token === '' ? 'an empty string' : typeof options.token}.`,
    );
  }
  const expected = digest(options.token);
  const route = new Hono();
  route.get('/metrics', async (c) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header('Authorization') ?? '');
    if (!match || !timingSafeEqual(digest(match[1]!), expected)) {
      throw new HttpError(
        401,
        'unauthorized',
        match
          ? 'The metrics token is not the one configured (PORTHOLE_METRICS_TOKEN).'
          : 'Expected the header "Authorization: Bearer <PORTHOLE_METRICS_TOKEN>".',
        { headers: { 'WWW-Authenticate': 'Bearer realm="metrics"' } },
      );
    }
    const text = await options.metrics.scrape();
    return c.body(text, 200, { 'Content-Type': options.metrics.contentType, 'Cache-Control': 'no-store' });
  });
  return route;
}
