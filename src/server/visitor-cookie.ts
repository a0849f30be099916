// The anonymous visitor's id: random, HMAC-SHA256-signed, kept in an HttpOnly cookie.
import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';
import { base64UrlDecode, base64UrlEncode, hmacSha256, randomToken, timingSafeEqual } from './crypto-utils.js';

/** Name of the visitor cookie. */
export const VISITOR_COOKIE = 'porthole_vid';

/** How long the browser keeps the visitor cookie (180 days; refreshed on every visit). */
export const VISITOR_COOKIE_MAX_AGE_S = 180 * 24 * 3600;

const ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;
const CONTEXT = 'porthole-visitor-id:v1:';

/** A new random visitor id (128 bits, base64url). */
export function newVisitorId(): string {
  return randomToken(16);
}

/** The visitor id of a request's visitor cookie signed with `secret` (a returning visitor), or undefined. */
export function visitorIdOf(c: Context, secret: string): Promise<string | undefined> {
  return verifyVisitorCookie(getCookie(c, VISITOR_COOKIE), secret);
}

/** Signs a visitor id into the cookie value `<id>.<signature>`. */
export async function signVisitorId(id: string, secret: string): Promise<string> {
  return `${id}.${base64UrlEncode(await hmacSha256(secret, CONTEXT + id))}`;
}

/**
 * Returns the visitor id inside a cookie value, or `undefined` when the value is missing,
 * malformed or its signature does not match (a tampered cookie is simply ignored).
 */
export async function verifyVisitorCookie(value: string | undefined, secret: string): Promise<string | undefined> {
  if (!value) return undefined;
  const dot = value.indexOf('.');
  if (dot < 0) return undefined;
  const id = value.slice(0, dot);
  const signature = value.slice(dot + 1);
  if (!ID_PATTERN.test(id)) return undefined;
  let given: Uint8Array;
  try {
    given = base64UrlDecode(signature);
  } catch {
    return undefined;
  }
  const expected = await hmacSha256(secret, CONTEXT + id);
  return timingSafeEqual(expected, given) ? id : undefined;
}

/**
 * Attributes of the visitor cookie. In production the companion usually runs on another site than
 * the page, so the cookie is `SameSite=None; Secure; Partitioned` (CHIPS: browsers that block
 * third-party cookies still keep a partitioned one, per top-level site). In development over
 * plain http, `Secure` would make the browser drop it, so it is `SameSite=Lax` without `Secure`.
 */
export function visitorCookieAttributes(production: boolean, maxAgeSeconds: number): string {
  const common = `Path=/; Max-Age=${maxAgeSeconds}; HttpOnly`;
  return production ? `${common}; SameSite=None; Secure; Partitioned` : `${common}; SameSite=Lax`;
}

/** The `Set-Cookie` value that stores a signed visitor id. */
export function serializeVisitorCookie(value: string, production: boolean): string {
  return `${VISITOR_COOKIE}=${value}; ${visitorCookieAttributes(production, VISITOR_COOKIE_MAX_AGE_S)}`;
}

/** The `Set-Cookie` value that removes the visitor cookie. */
export function clearVisitorCookie(production: boolean): string {
  return `${VISITOR_COOKIE}=; ${visitorCookieAttributes(production, 0)}`;
}
