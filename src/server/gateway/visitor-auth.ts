// From a Porthole token to the visitor it stands for: signature, expiry and revocation. Shared by
// the REST routes (Authorization header) and the live socket (its auth frame).
import type { VisitorContext } from './conversation-service.js';
import { PortholeTokenError, verifyPortholeToken } from './porthole-token.js';
import type { GatewayStore } from './store.js';

/** A verified visitor plus the token's times (ms). */
export interface AuthenticatedVisitor extends VisitorContext {
  issuedAt: number;
  expiresAt: number;
}

/** What {@link authenticateVisitor} needs. */
export interface VisitorAuthOptions {
  tokenSecret: string;
  store: GatewayStore;
  now: () => number;
}

/**
 * Verifies a token and checks that the visitor has not logged out since it was issued.
 *
 * @throws {PortholeTokenError} `token_malformed`, `token_invalid`, `token_expired` or `token_revoked`.
 */
export async function authenticateVisitor(token: string, options: VisitorAuthOptions): Promise<AuthenticatedVisitor> {
  const claims = await verifyPortholeToken(token, options.tokenSecret, options.now());
  const revokedBefore = await options.store.getRevokedBefore(claims.cid);
  if (revokedBefore !== undefined && claims.iat <= revokedBefore) {
    throw new PortholeTokenError('token_revoked', 'The token was revoked (the visitor logged out). Get a new one from POST /v1/session.');
  }
  return {
    conversationId: claims.cid,
    userId: claims.uid,
    name: claims.name,
    email: claims.email,
    page: claims.page,
    identified: claims.idf,
    issuedAt: claims.iat,
    expiresAt: claims.exp,
  };
}
