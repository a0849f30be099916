// The companion, created once per server process on first use — not at import time, because
// `next build` imports route modules without your production secrets.
import { createCompanion, loadConfig, type Companion } from 'porthole-chat/server';

/** Where app/api/porthole/[...path]/route.ts is mounted; the widget's token-url is `${BASE_PATH}/v1/session`. */
export const BASE_PATH = '/api/porthole';

// `next dev` re-evaluates modules on every change: keep one companion (and its rate-limit memory) on globalThis.
const cache = globalThis as typeof globalThis & { __portholeCompanion?: Companion };

/**
 * The process's companion, created on the first call. Throws a ConfigError listing every missing
 * or bad PORTHOLE_* variable (secrets by length only), and tries again on the next call.
 * No socket address in a route handler: set PORTHOLE_TRUST_PROXY=true behind a proxy that
 * overwrites X-Forwarded-For (Vercel does), or pass `clientIp` here.
 */
export function getCompanion(): Companion {
  return (cache.__portholeCompanion ??= createCompanion(loadConfig(process.env)));
}
