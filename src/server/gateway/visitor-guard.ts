// What every visitor route of gateway mode does first: the Porthole token from the Authorization
// header, verified (a refusal is a 401 with the token's error code), and the limits of the
// conversation and of the client's address. One place, so the visitor, file, agent, page and
// privacy routes agree.
import type { Context } from 'hono';
import { HttpError } from '../errors.js';
import type { CompanionMetrics, RateLimitName } from '../metrics.js';
import { enforceRateLimit, type RateLimitStore } from '../rate-limit.js';
import type { GatewayConfig } from './config.js';
import { PortholeTokenError } from './porthole-token.js';
import type { GatewayStore } from './store.js';
import { authenticateVisitor, type AuthenticatedVisitor, type VisitorAuthOptions } from './visitor-auth.js';

/** The Porthole token of `Authorization: Bearer`; 401 `missing_token` without one. */
export function bearerToken(c: Context): string {
  const match = /^Bearer\s+(\S{1,8192})\s*$/i.exec(c.req.header('Authorization') ?? '');
  if (!match)
    throw new HttpError(401, 'missing_token', 'Expected the header "Authorization: Bearer <Porthole token>" (from POST /v1/session).', {
      headers: { 'WWW-Authenticate': 'Bearer' },
    });
  return match[1]!;
}

/** A refused Porthole token as the 401 the visitor API answers. */
export function tokenRefused(e: PortholeTokenError): HttpError {
  return new HttpError(401, e.code, e.message, { headers: { 'WWW-Authenticate': `Bearer error="invalid_token"` } });
}

/** The visitor a request's bearer token stands for; a refused token throws the 401 `HttpError`. */
export const visitorAuthenticator =
  (options: VisitorAuthOptions) =>
  async (c: Context): Promise<AuthenticatedVisitor> => {
    try {
      return await authenticateVisitor(bearerToken(c), options);
    } catch (e) {
      if (e instanceof PortholeTokenError) throw tokenRefused(e);
      throw e;
    }
  };

/** What a visitor route's rate limits count with. */
interface RateLimitDeps {
  rateLimitStore: RateLimitStore;
  metrics?: Pick<CompanionMetrics, 'rateLimited'>;
  now: () => number;
}

/** Counts one hit of `key` at `at` (default: now) against `max` a minute; past it 429 `rate_limited`, counted as `name`. */
type Limit = (key: string, max: number, what: string, name: RateLimitName, at?: number) => Promise<void>;

const rateLimiter =
  (deps: RateLimitDeps): Limit =>
  (key, max, what, name, at = deps.now()) =>
    enforceRateLimit(deps.rateLimitStore, { key, limit: max, what, name, metrics: deps.metrics }, at);

/** Counts one read of the visitor's conversation against `readsPerMinute` (429 past it). */
export const conversationReads = (deps: RateLimitDeps & { readsPerMinute: number }) => {
  const limit = rateLimiter(deps);
  return (visitor: Pick<AuthenticatedVisitor, 'conversationId'>): Promise<void> =>
    limit(`gateway:reads:${visitor.conversationId}`, deps.readsPerMinute, 'reads of this conversation', 'reads');
};

/** What {@link visitorGuard} needs; the deps of the visitor, page and privacy routes extend it. */
export interface VisitorRouteDeps {
  config: Pick<GatewayConfig, 'tokenSecret' | 'addressSendsPerMinute'>;
  store: GatewayStore;
  rateLimitStore: RateLimitStore;
  /** The client address of a request (for per-address limits). */
  clientIp: (c: Context) => string;
  /** Counts refusals (`sends`, `typing`, `reads`, `transcripts`, `erasures` …) in `porthole_rate_limited_total`. Default: none. */
  metrics?: Pick<CompanionMetrics, 'rateLimited'>;
  now: () => number;
}

/** The guard of a visitor route: who the visitor is, and the limits their request counts against. */
export interface VisitorGuard {
  /** The visitor a request's bearer token stands for; a refused token throws the 401 `HttpError`. */
  visitorOf: (c: Context) => Promise<AuthenticatedVisitor>;
  /** Counts one hit of `key` at `at` (default: now) against `max` a minute; past it 429 `rate_limited`, counted as `name`. */
  limit: Limit;
  /** Counts one request of the client's address at `at` (default: now) against `addressSendsPerMinute` (429 past it). */
  limitAddress: (c: Context, what: string, name: RateLimitName, at?: number) => Promise<void>;
}

/** The guard of the visitor, page and privacy routes, over their {@link VisitorRouteDeps}. */
export function visitorGuard(deps: VisitorRouteDeps): VisitorGuard {
  const limit = rateLimiter(deps);
  return {
    visitorOf: visitorAuthenticator({ tokenSecret: deps.config.tokenSecret, store: deps.store, now: deps.now }),
    limit,
    limitAddress: (c, what, name, at) => limit(`gateway:address:${deps.clientIp(c)}`, deps.config.addressSendsPerMinute, what, name, at),
  };
}
