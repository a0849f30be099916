// Host-signed visitor identities: HS256 JWTs verified with WebCrypto, no dependency.
import { z } from 'zod';
import { base64UrlDecode, base64UrlEncode, hmacSha256, timingSafeEqual } from './crypto-utils.js';

/** The claims the companion uses from a verified identity. */
export interface IdentityClaims {
  /** The host site's stable user id. */
  sub: string;
  /** Display name shown to agents. */
  name?: string;
  /** Email shown to agents in the inbox notice (never used as the Mattermost email). */
  email?: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
}

/** Why an identity was refused; the message is safe to send to the client. */
export class IdentityError extends Error {
  /** `malformed`, `unsupported_alg`, `bad_signature`, `expired`, `not_yet_valid` or `invalid_claims`. */
  readonly reason: string;

  constructor(reason: string, message: string) {
    super(message);
    this.name = 'IdentityError';
    this.reason = reason;
  }
}

const headerSchema = z.object({ alg: z.string(), typ: z.string().optional() });
/** Control characters (U+0000 … U+001F, U+007F) become spaces: Mattermost cannot store a NUL in a post. */
const shownText = (max: number, min = 0) =>
  z
    .string()
    .transform((v) => v.replace(/[\u0000-\u001f\u007f]/g, ' ').trim())
    .pipe(z.string().min(min).max(max));

const claimsSchema = z.object({
  sub: z.string().min(1).max(256),
  name: shownText(128, 1).optional(),
  email: shownText(254).optional(),
  exp: z.number().finite(),
  nbf: z.number().finite().optional(),
});

/** Leeway for `nbf` against clock drift between the host backend and the companion, in seconds. */
const NBF_LEEWAY_S = 30;

function decodeJson(part: string): unknown {
  return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(base64UrlDecode(part)));
}

/**
 * Verifies a host-signed identity: a compact JWS with `alg: "HS256"`, signed with the shared
 * secret. Any other algorithm (including `none` and unsigned tokens) is refused, the signature is
 * compared in constant time, `exp` is required and must be in the future.
 *
 * @param jwt - the compact token from the request body.
 * @param secret - the shared secret (`PORTHOLE_IDENTITY_SECRET`).
 * @param now - clock in ms, for tests.
 * @throws {IdentityError} when the token is malformed, unsigned, forged, expired or lacks `sub`.
 * @example
 * ```ts
 * const claims = await verifyIdentity(body.identity, config.identitySecret);
 * ```
 */
export async function verifyIdentity(jwt: string, secret: string, now: number = Date.now()): Promise<IdentityClaims> {
  const parts = jwt.split('.');
  if (parts.length !== 3 || parts.some((part) => !/^[A-Za-z0-9_-]*$/.test(part)) || !parts[0] || !parts[1]) {
    throw new IdentityError('malformed', 'The identity is not a compact JWT (expected three base64url parts separated by dots).');
  }
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  let header: z.infer<typeof headerSchema>;
  try {
    header = headerSchema.parse(decodeJson(headerPart));
  } catch {
    throw new IdentityError('malformed', 'The identity header is not valid JSON with an "alg".');
  }
  if (header.alg !== 'HS256') {
    throw new IdentityError(
      'unsupported_alg',
      `The identity must be signed with HS256 (received alg ${JSON.stringify(header.alg.slice(0, 20))}).`,
    );
  }
  if (!signaturePart) throw new IdentityError('bad_signature', 'The identity is not signed.');
  const expected = await hmacSha256(secret, `${headerPart}.${payloadPart}`);
  let given: Uint8Array;
  try {
    given = base64UrlDecode(signaturePart);
  } catch {
    throw new IdentityError('bad_signature', 'The identity signature is invalid.');
  }
  if (!timingSafeEqual(expected, given)) throw new IdentityError('bad_signature', 'The identity signature is invalid.');

  let raw: unknown;
  try {
    raw = decodeJson(payloadPart);
  } catch {
    throw new IdentityError('malformed', 'The identity payload is not valid JSON.');
  }
  const parsed = claimsSchema.safeParse(raw);
  if (!parsed.success) {
    const what = parsed.error.issues.map((issue) => issue.path.join('.') || 'payload').join(', ');
    throw new IdentityError('invalid_claims', `The identity claims are invalid (check: ${what}; "sub" and numeric "exp" are required).`);
  }
  const claims = parsed.data;
  const nowS = now / 1000;
  if (claims.exp <= nowS) throw new IdentityError('expired', 'The identity has expired.');
  if (claims.nbf !== undefined && claims.nbf > nowS + NBF_LEEWAY_S)
    throw new IdentityError('not_yet_valid', 'The identity is not valid yet (nbf).');
  return { sub: claims.sub, name: claims.name, email: claims.email, exp: claims.exp };
}

/**
 * Signs claims as an HS256 JWT — what a host site's backend does. Exported for tests, examples
 * and Node backends that want no JWT library.
 *
 * @example
 * ```ts
 * const identity = await signIdentity({ sub: 'user-42', name: 'Ada', exp: Math.floor(Date.now() / 1000) + 300 }, secret);
 * ```
 */
export async function signIdentity(claims: Record<string, unknown>, secret: string): Promise<string> {
  const encodePart = (value: unknown) => base64UrlEncode(new TextEncoder().encode(JSON.stringify(value)));
  const signingInput = `${encodePart({ alg: 'HS256', typ: 'JWT' })}.${encodePart(claims)}`;
  const signature = await hmacSha256(secret, signingInput);
  return `${signingInput}.${base64UrlEncode(signature)}`;
}
