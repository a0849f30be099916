// The visitor's privacy routes in gateway mode: download the transcript, erase the conversation.
// Like the rest of the visitor API, no route takes a conversation id: the Porthole token says which.
import { Hono } from 'hono';
import { requestIdOf } from '../audit-log.js';
import { HttpError } from '../errors.js';
import { clearVisitorCookie } from '../visitor-cookie.js';
import { transcriptFileName } from '../../protocol/transcript.js';
import type { GatewayConfig } from './config.js';
import type { GatewayPrivacy } from './erasure.js';
import { verifyPortholeToken } from './porthole-token.js';
import { bearerToken, visitorGuard, type VisitorRouteDeps } from './visitor-guard.js';

/** Erasures a conversation may ask for per minute (each one is a dozen Mattermost calls or more). */
export const ERASURES_PER_MINUTE = 3;
/** Transcripts a conversation may download per minute (each reads every page of the thread, up to 200). */
export const TRANSCRIPTS_PER_MINUTE = 5;

/** What {@link privacyRoutes} needs. */
export interface PrivacyRoutesDeps extends VisitorRouteDeps {
  config: Pick<GatewayConfig, 'tokenSecret' | 'production' | 'addressSendsPerMinute'>;
  privacy: GatewayPrivacy;
}

/**
 * `GET /v1/transcript` → 200, the {@link Transcript} as an attachment (at most
 * {@link TRANSCRIPTS_PER_MINUTE} a minute per conversation: each one reads the whole thread);
 * `DELETE /v1/conversation` → 204, the conversation erased for good, its tokens revoked, its live
 * sockets closed and the visitor cookie cleared (at most {@link ERASURES_PER_MINUTE} a minute per
 * conversation, and within the address's limit of sends). Both need a valid, unrevoked Porthole
 * token, except that `DELETE` also takes a token revoked by the erasure it asks for: a repeat
 * after `erasure_incomplete` resumes that erasure, and a repeat after it finished (nothing left)
 * answers 204 again.
 */
export function privacyRoutes(deps: PrivacyRoutesDeps): Hono {
  const { config, now } = deps;
  const route = new Hono();

  const { visitorOf, limit, limitAddress } = visitorGuard(deps);

  route.get('/v1/transcript', async (c) => {
    const visitor = await visitorOf(c);
    await limit(
      `gateway:transcripts:${visitor.conversationId}`,
      TRANSCRIPTS_PER_MINUTE,
      'transcript downloads of this conversation',
      'transcripts',
    );
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
    let erase = true;
    try {
      conversationId = (await visitorOf(c)).conversationId;
    } catch (e) {
      if (!(e instanceof HttpError && e.code === 'token_revoked')) throw e;
      // Authentic but revoked: by the erasure it asks for (resume it), or by one that finished (204 again).
      const claims = await verifyPortholeToken(bearerToken(c), config.tokenSecret, now(), { ignoreExpiry: true });
      conversationId = claims.cid;
      const pending = await deps.store.getErasure(conversationId);
      if (pending) {
        if (claims.iat > pending.revokedAt) throw e;
      } else if (await deps.store.getConversation(conversationId)) throw e;
      else erase = false;
    }
    await limitAddress(c, 'requests from this address', 'sends');
    await limit(`gateway:erase:${conversationId}`, ERASURES_PER_MINUTE, 'erasures of this conversation', 'erasures');
    if (erase) await deps.privacy.erase(conversationId, { actor: `visitor:${conversationId}`, requestId: requestIdOf(c) });
    c.header('Cache-Control', 'no-store');
    c.header('Set-Cookie', clearVisitorCookie(config.production), { append: true });
    return c.body(null, 204);
  });

  return route;
}
