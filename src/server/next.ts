// Next.js (App Router) route handlers and other fetch-style hosts mounted under a path.
import type { Companion } from './app.js';

/** A fetch-style route handler. */
export type RouteHandler = (request: Request) => Promise<Response>;

/** Handlers for every method the companion serves, ready to re-export from a route file. */
export interface RouteHandlers {
  GET: RouteHandler;
  POST: RouteHandler;
  DELETE: RouteHandler;
  OPTIONS: RouteHandler;
}

/**
 * Returns a request with `basePath` removed from its path, so a companion mounted at
 * `/api/porthole` sees `/v1/session`.
 */
export function stripBasePath(request: Request, basePath: string): Request {
  const base = basePath.replace(/\/+$/, '');
  if (!base) return request;
  const url = new URL(request.url);
  if (url.pathname !== base && !url.pathname.startsWith(`${base}/`)) return request;
  url.pathname = url.pathname.slice(base.length) || '/';
  const hasBody = request.method !== 'GET' && request.method !== 'HEAD' && request.body !== null;
  return new Request(url, {
    method: request.method,
    headers: request.headers,
    body: hasBody ? request.body : undefined,
    signal: request.signal,
    // Node's fetch requires this for a streamed body.
    ...(hasBody ? { duplex: 'half' } : {}),
  } as RequestInit);
}

/** The companion, or a function that creates it (called on the first request; see {@link toRouteHandlers}). */
export type RouteCompanion = Pick<Companion, 'fetch'> | (() => Pick<Companion, 'fetch'>);

/**
 * Next.js App Router handlers. Pass a function rather than a companion: it is called on the first
 * request, and its companion kept for the next ones (a throw, such as a `ConfigError`, is not kept:
 * that request fails and the next one calls it again). `next build` imports route modules without
 * the runtime environment, so a companion created at import fails the build ("Failed to collect
 * page data"). In `app/api/porthole/[...path]/route.ts` (examples/nextjs-app):
 *
 * @example
 * ```ts
 * import { createCompanion, loadConfig, toRouteHandlers } from 'porthole-chat/server';
 * export const runtime = 'nodejs';
 * export const dynamic = 'force-dynamic';
 * export const { GET, POST, DELETE, OPTIONS } = toRouteHandlers(() => createCompanion(loadConfig(process.env)), {
 *   basePath: '/api/porthole',
 * });
 * ```
 *
 * There is no socket address in a route handler: set `PORTHOLE_TRUST_PROXY=true` behind a proxy
 * that sets `X-Forwarded-For` (Vercel does), or pass `clientIp` to `createCompanion`.
 */
export function toRouteHandlers(companion: RouteCompanion, options: { basePath?: string } = {}): RouteHandlers {
  let created = typeof companion === 'function' ? undefined : companion;
  const instance = () => (created ??= (companion as () => Pick<Companion, 'fetch'>)());
  const handle: RouteHandler = async (request) => instance().fetch(stripBasePath(request, options.basePath ?? ''));
  return { GET: handle, POST: handle, DELETE: handle, OPTIONS: handle };
}
