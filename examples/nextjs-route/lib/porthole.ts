// The companion, created once per server process on first use — not at import time, because
// `next build` imports route modules without your production secrets.
import { createCompanion, loadConfig, toRouteHandlers, type Companion, type RouteHandlers } from 'porthole-chat/server';

/** Where app/api/porthole/[...path]/route.ts is mounted; the widget's token-url is `${BASE_PATH}/v1/session`. */
export const BASE_PATH = '/api/porthole';

// `next dev` re-evaluates modules on every change: keep one companion (and its rate-limit memory) on globalThis.
const cache = globalThis as typeof globalThis & { __porthole?: { companion: Companion; handlers: RouteHandlers } };

function instance() {
  if (!cache.__porthole) {
    // Throws a ConfigError listing every missing or bad PORTHOLE_* variable (secrets by length only).
    // No socket address in a route handler: set PORTHOLE_TRUST_PROXY=true behind a proxy that
    // overwrites X-Forwarded-For (Vercel does), or pass `clientIp` here.
    const companion = createCompanion(loadConfig(process.env));
    cache.__porthole = { companion, handlers: toRouteHandlers(companion, { basePath: BASE_PATH }) };
  }
  return cache.__porthole;
}

export const getCompanion = (): Companion => instance().companion;
export const getHandlers = (): RouteHandlers => instance().handlers;
