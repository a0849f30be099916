// What every visitor route of gateway mode does first: the Porthole token from the Authorization
// header, verified (a refusal is a 401 with the token's error code), and the reads a conversation
// may make per minute. One place, so the visitor, file, agent and privacy routes agree.
import type { Context } from 'hono';
import type { CompanionMetrics } from '../metrics.js';
import { enforceRateLimit, type RateLimitStore } from '../rate-limit.js';
import { PortholeTokenError } from './porthole-token.js';
import { authenticateVisitor, type AuthenticatedVisitor, type VisitorAuthOptions } from './visitor-auth.js';
import { bearerToken, tokenRefused } from './visitor-routes.js';

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

/** Counts one read of the visitor's conversation against `readsPerMinute` (429 past it). */
export const conversationReads =
  (deps: { rateLimitStore: RateLimitStore; metrics?: Pick<CompanionMetrics, 'rateLimited'>; readsPerMinute: number; now: () => number }) =>
  (visitor: Pick<AuthenticatedVisitor, 'conversationId'>): Promise<void> =>
    enforceRateLimit(
      deps.rateLimitStore,
      {
        key: `gateway:reads:${visitor.conversationId}`,
        limit: deps.readsPerMinute,
        what: 'reads of this conversation',
        name: 'reads',
        metrics: deps.metrics,
      },
      deps.now(),
    );
