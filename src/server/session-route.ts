// POST /v1/session (mint a visitor credential) and DELETE /v1/session (logout).
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import { noAuditLog, refuseIdentity, requestIdOf, type AuditLog } from './audit-log.js';
import type { CredentialIssuer } from './credentials.js';
import { HttpError } from './errors.js';
import { IdentityError, verifyIdentity, type IdentityClaims } from './identity.js';
import type { Logger } from './logger.js';
import type { MattermostAdmin } from './mattermost-admin.js';
import type { UploadLimits } from './uploads.js';
import type { CompanionMetrics } from './metrics.js';
import { clearVisitorCookie, newVisitorId, serializeVisitorCookie, signVisitorId, visitorIdOf } from './visitor-cookie.js';
import { isVisitorAccount, type VisitorProfile, type VisitorProvisioner } from './visitor-provisioner.js';

/** Largest accepted request body, in bytes. */
export const MAX_SESSION_BODY_BYTES = 4096;

/** `page` of a session request: the http(s) URL the widget was opened on, at most 2,048 characters. */
export const sessionPageSchema = z
  .string()
  .max(2048, 'must be at most 2048 characters')
  .refine((v) => /^https?:\/\//i.test(v) && URL.canParse(v), 'must be an http(s) URL');

/** The JSON body of `POST /v1/session` (every field optional; an empty body is fine). */
export const sessionRequestSchema = z
  .object({
    identity: z.string().min(1, 'must be a non-empty JWT string').max(MAX_SESSION_BODY_BYTES).optional(),
    name: z.string().trim().min(1, 'must not be empty').max(64, 'must be at most 64 characters').optional(),
    /** The page the widget was opened on (the widget sends it in both modes; gateway mode shows it to the team, direct mode does not use it). */
    page: sessionPageSchema.optional(),
  })
  .strict();

/** The JSON body of a successful `POST /v1/session`. */
export interface SessionResponse {
  /** Mattermost base URL the widget talks to (REST and WebSocket). */
  serverUrl: string;
  /** The visitor's Mattermost token. */
  token: string;
  /** When the companion revokes the token, ms since the epoch; refresh before. */
  expiresAt: number;
  /** The visitor's Mattermost user id. */
  userId: string;
  /** The visitor's conversation channel id. */
  channelId: string;
  /** Files: what the widget lets the visitor upload (advisory in direct mode: Mattermost's MaxFileSize is the hard limit). */
  uploads?: { maxBytes: number; types: string[] };
}

/** {@link SessionResponse} as a schema (the OpenAPI document is generated from it). */
export const sessionResponseSchema = z.object({
  serverUrl: z.string(),
  token: z.string(),
  expiresAt: z.number().int(),
  userId: z.string(),
  channelId: z.string(),
  uploads: z.object({ maxBytes: z.number().int(), types: z.array(z.string()) }).optional(),
});
// The schema and the interface describe the same body (a field added to one only fails the type check).
true satisfies SameType<z.infer<typeof sessionResponseSchema>, SessionResponse>;
type SameType<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/** What {@link sessionRoute} needs. */
export interface SessionRouteDeps {
  admin: MattermostAdmin;
  provisioner: VisitorProvisioner;
  credentials: CredentialIssuer;
  publicUrl: string;
  cookieSecret: string;
  identitySecret: string | undefined;
  production: boolean;
  /** Files: the upload limits told to the widget (`PORTHOLE_MAX_UPLOAD_BYTES`, `PORTHOLE_UPLOAD_TYPES`). Default: none told. */
  uploads?: UploadLimits;
  logger: Logger;
  /** Audit sink for identified sessions, refused identities and logouts. Default: none. */
  audit?: AuditLog;
  /** Counts sessions minted, new or returning (refusals are counted by `countRefusedSessions`). Default: none. */
  metrics?: Pick<CompanionMetrics, 'sessionMinted'>;
  now: () => number;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

async function readSessionBody(c: Context): Promise<z.infer<typeof sessionRequestSchema>> {
  const text = await c.req.text();
  if (text.trim() === '') return {};
  const type = c.req.header('Content-Type') ?? '';
  if (!/^application\/json\b/i.test(type)) {
    throw new HttpError(
      415,
      'unsupported_media_type',
      `Expected Content-Type: application/json (received ${type ? JSON.stringify(type.slice(0, 100)) : 'none'}).`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new HttpError(
      400,
      'invalid_json',
      'The body is not valid JSON. Expected {"identity"?: string, "name"?: string, "page"?: http(s) URL} or an empty body.',
    );
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new HttpError(
      400,
      'invalid_body',
      `Expected a JSON object {"identity"?: string, "name"?: string, "page"?: http(s) URL}; received ${describe(json)}.`,
    );
  }
  const parsed = sessionRequestSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      if (issue.code === 'unrecognized_keys')
        return `unknown field(s) ${issue.keys.map((key) => JSON.stringify(key.slice(0, 40))).join(', ')} (only "identity", "name" and "page" are accepted)`;
      const field = issue.path.join('.');
      const got = (json as Record<string, unknown>)[String(issue.path[0])];
      return `"${field}" ${issue.message.replace(/^Invalid input: /, '')} (received ${describe(got)})`;
    });
    throw new HttpError(400, 'invalid_body', `Invalid session request: ${problems.join('; ')}.`);
  }
  return parsed.data;
}

/**
 * The claims of a session request's `identity`, verified with the shared `secret`. A refusal is
 * audited (`session.identified`, failed, with its reason) and thrown as a 401:
 * `identity_not_accepted` without a secret, `invalid_identity` when forged, expired or unsigned.
 * Both modes' `POST /v1/session` verify identities here.
 */
export async function verifiedIdentity(
  c: Context,
  identity: string,
  options: { secret: string | undefined; now: () => number; audit: AuditLog; mode: 'gateway' | 'direct' },
): Promise<IdentityClaims> {
  const refuse = (reason: string, error: HttpError): never => refuseIdentity(options.audit, c, options.mode, reason, error);
  const { secret } = options;
  if (!secret) {
    return refuse(
      'identity_not_accepted',
      new HttpError(
        401,
        'identity_not_accepted',
        'This chat service does not accept identities (no identity secret is configured). Omit "identity" to chat anonymously.',
      ),
    );
  }
  try {
    return await verifyIdentity(identity, secret, options.now());
  } catch (err) {
    if (err instanceof IdentityError) refuse(err.reason, new HttpError(401, 'invalid_identity', err.message));
    throw err;
  }
}

/**
 * The anonymous visitor's id, from the signed `porthole_vid` cookie (a new id when it is missing or
 * tampered); the cookie is set on the response. Both modes' `POST /v1/session` know anonymous
 * visitors by it.
 */
export async function anonymousVisitorId(c: Context, cookieSecret: string, production: boolean): Promise<string> {
  const id = (await visitorIdOf(c, cookieSecret)) ?? newVisitorId();
  // Set every time: refreshes Max-Age for returning visitors.
  c.header('Set-Cookie', serializeVisitorCookie(await signVisitorId(id, cookieSecret), production), { append: true });
  return id;
}

function bearer(c: Context): string {
  const authorization = c.req.header('Authorization') ?? '';
  const match = /^Bearer\s+([A-Za-z0-9]{10,64})\s*$/i.exec(authorization);
  if (!match) throw new HttpError(401, 'missing_token', 'Expected the header "Authorization: Bearer <visitor token>".');
  return match[1]!;
}

/**
 * The `/v1/session` routes:
 *
 * - `POST`: body `{ identity?: <HS256 JWT>, name?: string }` (≤ 4 KB). An identity is verified
 *   with the shared secret (401 when forged, expired, unsigned or not accepted); without one the
 *   visitor is known by the signed `porthole_vid` cookie (a new id when missing or tampered).
 *   Answers {@link SessionResponse}.
 * - `DELETE`: with `Authorization: Bearer <visitor token>`, revokes the visitor's credentials and
 *   clears the cookie; 204.
 * - `DELETE /cookie`: no token; expires the visitor cookie (with the attributes it was set with); 204.
 */
export function sessionRoute(deps: SessionRouteDeps): Hono {
  const route = new Hono();
  const audit = deps.audit ?? noAuditLog;

  route.post(
    '/',
    // Past the limit it throws Hono's HTTPException(413); the error handler answers body_too_large.
    bodyLimit({ maxSize: MAX_SESSION_BODY_BYTES }),
    async (c) => {
      const body = await readSessionBody(c);
      let profile: VisitorProfile;
      if (body.identity !== undefined) {
        const claims = await verifiedIdentity(c, body.identity, { secret: deps.identitySecret, now: deps.now, audit, mode: 'direct' });
        profile = { key: `id:${claims.sub}`, name: claims.name ?? body.name, email: claims.email, identified: true };
      } else {
        const id = await anonymousVisitorId(c, deps.cookieSecret, deps.production);
        profile = { key: `anon:${id}`, name: body.name, identified: false };
      }

      const visitor = await deps.provisioner.provision(profile);
      const credential = await deps.credentials.mint(visitor.userId);
      const response: SessionResponse = {
        serverUrl: deps.publicUrl,
        token: credential.token,
        expiresAt: credential.expiresAt,
        userId: visitor.userId,
        channelId: visitor.channelId,
      };
      if (deps.uploads) response.uploads = { maxBytes: deps.uploads.maxBytes, types: [...deps.uploads.types] };
      c.header('Cache-Control', 'no-store');
      deps.metrics?.sessionMinted(visitor.created ? 'new' : 'returning');
      // Identified visitors only: the actor is their Mattermost user id, never the host's `sub`
      // (it may be an email address); the user id leads back to them through Mattermost.
      if (profile.identified)
        audit.record({
          action: 'session.identified',
          actor: `visitor:${visitor.userId}`,
          subject: visitor.userId,
          requestId: requestIdOf(c),
          outcome: 'ok',
          detail: { mode: 'direct', returning: !visitor.created, conversationId: visitor.channelId, tokenId: credential.tokenId },
        });
      if (visitor.created)
        deps.logger.info({
          msg: 'visitor conversation created',
          userId: visitor.userId,
          channelId: visitor.channelId,
          identified: profile.identified,
        });
      return c.json(response, 200);
    },
  );

  // SPA life cycle (the widget's shutdown()): forgets the anonymous visitor, also before any
  // session (no token, nothing else touched). Logout clears the cookie as well.
  route.delete('/cookie', (c) => {
    c.header('Set-Cookie', clearVisitorCookie(deps.production), { append: true });
    c.header('Cache-Control', 'no-store');
    return c.body(null, 204);
  });

  route.delete('/', async (c) => {
    const token = bearer(c);
    c.header('Set-Cookie', clearVisitorCookie(deps.production), { append: true });
    c.header('Cache-Control', 'no-store');
    const user = await deps.admin.getUserForToken(token);
    // Only visitor accounts are touched: a staff token sent here revokes nothing.
    if (user && isVisitorAccount(user)) {
      const revoked = await deps.credentials.revokeAll(user.id);
      deps.logger.info({ msg: 'visitor logged out', userId: user.id, revoked });
      audit.record({
        action: 'session.revoked',
        actor: `visitor:${user.id}`,
        subject: user.id,
        requestId: requestIdOf(c),
        outcome: 'ok',
        detail: { mode: 'direct', revoked },
      });
    } else {
      // A token Mattermost refuses, or a staff member's: nothing is revoked, and that is worth knowing.
      audit.record({
        action: 'session.revoked',
        actor: user ? `user:${user.id}` : 'visitor:unverified',
        requestId: requestIdOf(c),
        outcome: 'failed',
        detail: { mode: 'direct', reason: user ? 'not_a_visitor_account' : 'unknown_token', revoked: 0 },
      });
    }
    return c.body(null, 204);
  });

  return route;
}
