// The visitor's privacy routes in gateway mode: download the transcript, erase the conversation.
// Like the rest of the visitor API, no route takes a conversation id: the Porthole token says which.
import { Hono, type Context } from 'hono';
import { requestIdOf } from '../audit-log.js';
import { HttpError } from '../errors.js';
import type { CompanionMetrics, RateLimitName } from '../metrics.js';
import type { RateLimitStore } from '../rate-limit.js';
import { clearVisitorCookie } from '../visitor-cookie.js';
import { transcriptFileName } from '../../protocol/transcript.js';
import type { GatewayConfig } from './config.js';
import type { GatewayPrivacy } from './erasure.js';
import { PortholeTokenError, verifyPortholeToken } from './porthole-token.js';
import type { GatewayStore } from './store.js';
import { authenticateVisitor, type AuthenticatedVisitor } from './visitor-auth.js';
import { bearerToken, tokenRefused } from './visitor-routes.js';

/** Erasures a conversation may ask for per minute (each one is a dozen Mattermost calls or more). */
export const ERASURES_PER_MINUTE = 3;

/** What {@link privacyRoutes} needs. */
export interface PrivacyRoutesDeps {
  config: Pick<GatewayConfig, 'tokenSecret' | 'production' | 'readsPerMinute' | 'addressSendsPerMinute'>;
  privacy: GatewayPrivacy;
  store: GatewayStore;
  rateLimitStore: RateLimitStore;
  /** The client address of a request (for per-address limits). */
  clientIp: (c: Context) => string;
  /** Counts refusals of the shared limits (`reads`, `sends`) in `porthole_rate_limited_total`. */
  metrics?: Pick<CompanionMetrics, 'rateLimited'>;
  now: () => number;
}

/**
 * `GET /v1/transcript` → 200, the {@link Transcript} as an attachment (counts against the reads
 * limit of the conversation); `DELETE /v1/conversation` → 204, the conversation erased for good,
 * its tokens revoked, its live sockets closed and the visitor cookie cleared (at most
 * {@link ERASURES_PER_MINUTE} a minute per conversation, and within the address's limit of sends).
 * Both need a valid, unrevoked Porthole token; a repeated erasure (its token revoked by the first,
 * nothing left to erase) answers 204 again.
 */
export function privacyRoutes(deps: PrivacyRoutesDeps): Hono {
  const { config, now } = deps;
  const route = new Hono();

  const visitorOf = async (c: Context): Promise<AuthenticatedVisitor> => {
    try {
      return await authenticateVisitor(bearerToken(c), { tokenSecret: config.tokenSecret, store: deps.store, now });
    } catch (e) {
      if (e instanceof PortholeTokenError) throw tokenRefused(e);
      throw e;
    }
  };
  const limit = async (key: string, max: number, what: string, name?: RateLimitName) => {
    const t = now();
    const hit = await deps.rateLimitStore.hit(key, 60_000, t);
    if (hit.count > max) {
      if (name) deps.metrics?.rateLimited(name);
      const retryAfter = Math.max(1, Math.ceil((hit.resetAt - t) / 1000));
      throw new HttpError(429, 'rate_limited', `Too many ${what}: at most ${max} per minute. Retry after ${retryAfter} s.`, {
        headers: { 'Retry-After': String(retryAfter) },
      });
    }
  };

  route.get('/v1/transcript', async (c) => {
    const visitor = await visitorOf(c);
    await limit(`gateway:reads:${visitor.conversationId}`, config.readsPerMinute, 'reads of this conversation', 'reads');
    const transcript = await deps.privacy.transcript(visitor.conversationId, visitor, {
      actor: `visitor:${visitor.conversationId}`,
      requestId: requestIdOf(c),
    });
    c.header('Cache-Control', 'no-store');
    c.header('Content-Disposition', `attachment; filename="${transcriptFileName(new Date(now()))}"`);
    return c.json(transcript, 200);
  });

  route.delete('/v1/conversation', async (c) => {
    let conversationId: string;
    let repeat = false;
    try {
      conversationId = (await visitorOf(c)).conversationId;
    } catch (e) {
      // A repeat of an erasure whose answer was lost: its token is revoked; answered below if nothing is left.
      if (!(e instanceof HttpError && e.code === 'token_revoked')) throw e;
      conversationId = (await verifyPortholeToken(bearerToken(c), config.tokenSecret, now(), { ignoreExpiry: true })).cid;
      repeat = true;
      if (await deps.store.getConversation(conversationId)) throw e;
    }
    await limit(`gateway:address:${deps.clientIp(c)}`, config.addressSendsPerMinute, 'requests from this address', 'sends');
    await limit(`gateway:erase:${conversationId}`, ERASURES_PER_MINUTE, 'erasures of this conversation');
    if (!repeat) await deps.privacy.erase(conversationId, { actor: `visitor:${conversationId}`, requestId: requestIdOf(c) });
    c.header('Cache-Control', 'no-store');
    c.header('Set-Cookie', clearVisitorCookie(config.production), { append: true });
    return c.body(null, 204);
  });

  return route;
}
