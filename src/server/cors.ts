// CORS with an exact-origin allowlist, resolved once at start.
import type { MiddlewareHandler } from 'hono';
import { HttpError } from './errors.js';

/** Options of {@link cors}. */
export interface CorsOptions {
  /** Exact origins (`https://www.example.com`) allowed to call the companion from a browser. */
  allowedOrigins: readonly string[];
  /** Methods announced in preflight responses. Default: POST, DELETE, OPTIONS. */
  methods?: readonly string[];
  /** Request headers announced in preflight responses. Default: Content-Type, Authorization. */
  headers?: readonly string[];
  /** How long a browser may cache a preflight, in seconds. Default: 600. */
  maxAgeSeconds?: number;
}

/**
 * CORS middleware with an exact allowlist.
 *
 * - No `Origin` header (server-to-server, curl): passes, without CORS headers.
 * - An allowed origin: gets `Access-Control-Allow-Origin: <origin>`,
 *   `Access-Control-Allow-Credentials: true`; a preflight (`OPTIONS`) is answered with 204.
 * - Any other origin (including `null`): 403 JSON error and no CORS header at all, so the browser
 *   also hides the body from the page.
 *
 * Every response carries `Vary: Origin` because its headers depend on the Origin.
 */
export function cors(options: CorsOptions): MiddlewareHandler {
  const allowed = new Set(options.allowedOrigins);
  const methods = (options.methods ?? ['POST', 'DELETE', 'OPTIONS']).join(', ');
  const headers = (options.headers ?? ['Content-Type', 'Authorization']).join(', ');
  const maxAge = String(options.maxAgeSeconds ?? 600);

  return async (c, next) => {
    c.header('Vary', 'Origin', { append: true });
    const origin = c.req.header('Origin');
    if (origin === undefined) {
      await next();
      return;
    }
    if (!allowed.has(origin)) {
      throw new HttpError(
        403,
        'origin_not_allowed',
        `This origin is not allowed to use the chat service (received Origin ${JSON.stringify(origin.slice(0, 200))}).`,
      );
    }
    c.header('Access-Control-Allow-Origin', origin);
    c.header('Access-Control-Allow-Credentials', 'true');
    c.header('Access-Control-Expose-Headers', 'Retry-After, X-Request-Id');
    if (c.req.method === 'OPTIONS') {
      c.header('Access-Control-Allow-Methods', methods);
      c.header('Access-Control-Allow-Headers', headers);
      c.header('Access-Control-Max-Age', maxAge);
      c.header('Vary', 'Access-Control-Request-Method, Access-Control-Request-Headers', { append: true });
      return c.body(null, 204);
    }
    await next();
  };
}
