// Porthole tokens: the visitor's only credential in gateway mode. HMAC-SHA256-signed with
// PORTHOLE_TOKEN_SECRET, short-lived, scoped to one conversation. Mattermost never sees them.
// Gateway mode runs on Node (it holds WebSockets), so it hashes with node:crypto: synchronous and
// several times faster than WebCrypto on the session route's hot path.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/** What a Porthole token says. Times are ms since the epoch. */
export interface PortholeTokenClaims {
  /** The conversation the token opens (opaque, derived from the visitor key). */
  cid: string;
  /** The visitor's opaque id (derived from the visitor key), the author id of their messages. */
  uid: string;
  /** Display name: from the verified identity, else as the visitor gave it. */
  name?: string;
  /** Email, only when it comes from a verified identity. */
  email?: string;
  /** The page the visitor came from, as the widget reported it. */
  page?: string;
  /** Whether the visitor is known by a host-signed identity (else by the anonymous cookie). */
  idf: boolean;
  /** Issued at. */
  iat: number;
  /** Expires at. */
  exp: number;
}

/** Why a token was refused; `code` is the API error code and `/v1/live` close reason. */
export type PortholeTokenErrorCode = 'token_malformed' | 'token_invalid' | 'token_expired' | 'token_revoked';

/** A refused Porthole token. The message is safe to send to the client. */
export class PortholeTokenError extends Error {
  readonly code: PortholeTokenErrorCode;

  constructor(code: PortholeTokenErrorCode, message: string) {
    super(message);
    this.name = 'PortholeTokenError';
    this.code = code;
  }
}

const PREFIX = 'pt1';
const sign = (secret: string, payload: string) =>
  createHmac('sha256', secret)
    .update(CONTEXT + payload)
    .digest('base64url');
const CONTEXT = 'porthole-token:v1:';
const SHAPE = /^pt1\.([A-Za-z0-9_-]{16,4000})\.([A-Za-z0-9_-]{43})$/;

const claimsSchema = z
  .object({
    cid: z.string().min(1).max(64),
    uid: z.string().min(1).max(64),
    name: z.string().max(128).optional(),
    email: z.string().max(254).optional(),
    page: z.string().max(2048).optional(),
    idf: z.boolean(),
    iat: z.number().int(),
    exp: z.number().int(),
  })
  .strict();

/**
 * Signs claims into a token `pt1.<base64url JSON>.<base64url HMAC-SHA256>`.
 *
 * @example
 * ```ts
 * const token = await signPortholeToken({ cid, uid, idf: false, iat: now, exp: now + 900_000 }, secret);
 * ```
 */
export async function signPortholeToken(claims: PortholeTokenClaims, secret: string): Promise<string> {
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${PREFIX}.${payload}.${sign(secret, payload)}`;
}

/**
 * Verifies a token: its shape, its signature (compared in constant time), its claims and its
 * expiry. Revocation is the caller's part (it needs the store).
 *
 * @param options.ignoreExpiry - accept an expired but authentic token (logout with a stale token).
 * @throws {PortholeTokenError} `token_malformed`, `token_invalid` or `token_expired`.
 */
export async function verifyPortholeToken(
  token: string,
  secret: string,
  now: number,
  options: { ignoreExpiry?: boolean } = {},
): Promise<PortholeTokenClaims> {
  const match = SHAPE.exec(token);
  if (!match)
    throw new PortholeTokenError(
      'token_malformed',
      'The token is not a Porthole token (expected "pt1.<payload>.<signature>"). Get one from POST /v1/session.',
    );
  const [, payload, signature] = match as unknown as [string, string, string];
  const expected = createHmac('sha256', secret)
    .update(CONTEXT + payload)
    .digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(expected, given)) {
    throw new PortholeTokenError(
      'token_invalid',
      'The token signature is invalid (forged, or signed with another secret). Get a new one from POST /v1/session.',
    );
  }
  let claims: PortholeTokenClaims;
  try {
    claims = claimsSchema.parse(
      JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(payload, 'base64url'))),
    ) as PortholeTokenClaims;
  } catch {
    throw new PortholeTokenError('token_invalid', 'The token payload is invalid. Get a new one from POST /v1/session.');
  }
  if (!options.ignoreExpiry && claims.exp <= now) {
    throw new PortholeTokenError('token_expired', 'The token has expired. Get a new one from POST /v1/session.');
  }
  return claims;
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** 26 lowercase base32 characters (130 bits) of a hex digest: shaped like a Mattermost id. */
function base32Id(hex: string): string {
  let bits = '';
  for (const ch of hex.slice(0, 34)) bits += parseInt(ch, 16).toString(2).padStart(4, '0');
  let out = '';
  for (let i = 0; i < 26; i++) out += BASE32[parseInt(bits.slice(i * 5, i * 5 + 5), 2)];
  return out;
}

/** The opaque ids of a visitor, derived from the visitor key (`anon:<cookie id>` or `id:<sub>`). */
export interface VisitorIds {
  /** Keys the store and scopes tokens; returned as the session's `channelId`. */
  conversationId: string;
  /** The author id of the visitor's messages; returned as the session's `userId`. */
  userId: string;
}

/**
 * Derives the opaque ids of a visitor key with SHA-256, so neither a cookie id nor a host user id
 * appears in tokens (readable by page scripts), the store or logs. Unkeyed on purpose: rotating
 * PORTHOLE_TOKEN_SECRET must not orphan conversations; the ids grant nothing by themselves.
 */
export async function visitorIds(visitorKey: string): Promise<VisitorIds> {
  const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex');
  return {
    conversationId: base32Id(sha256Hex(`porthole:conversation:${visitorKey}`)),
    userId: base32Id(sha256Hex(`porthole:visitor:${visitorKey}`)),
  };
}

/**
 * The `pending_post_id` of a visitor message. Mattermost de-duplicates by it for 30 s across
 * every post of the bot, so it is keyed with the token secret: nobody can make Mattermost hand
 * them another conversation's post by guessing its client id.
 */
export async function pendingPostId(secret: string, conversationId: string, clientId: string): Promise<string> {
  return `porthole:${createHmac('sha256', secret).update(`porthole-pending:v1:${conversationId}:${clientId}`).digest('base64url')}`;
}
