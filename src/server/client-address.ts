// Who is asking: the client address of a request or a WebSocket upgrade, in one place, and the
// rate-limit key it counts under (IPv6 per /64, so one host's block is one key, not 2^64).
import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import ipaddr from 'ipaddr.js';

function firstForwardedHop(header: string | string[] | undefined): string | undefined {
  const first = (Array.isArray(header) ? header[0] : header)?.split(',')[0]?.trim();
  return first || undefined;
}

/**
 * The client address of a request: `X-Forwarded-For`'s first hop when `trustProxy` is on, else the
 * Node socket's remote address (through `env.incoming`, see `toNodeListener`). Undefined when
 * neither is known (e.g. an edge runtime without `clientIp`).
 */
export function defaultClientIp(c: Context, trustProxy: boolean): string | undefined {
  if (trustProxy) {
    const forwarded = firstForwardedHop(c.req.header('X-Forwarded-For'));
    if (forwarded) return forwarded;
  }
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress;
}

/** The client address of a WebSocket upgrade, by the same rule as {@link defaultClientIp}. */
export function upgradeClientIp(req: IncomingMessage, trustProxy: boolean): string | undefined {
  return (trustProxy ? firstForwardedHop(req.headers['x-forwarded-for']) : undefined) ?? req.socket.remoteAddress;
}

/**
 * The key a client address is rate-limited under: an IPv4 address as is (IPv4-mapped IPv6
 * `::ffff:a.b.c.d` included), an IPv6 address by its /64 (`2001:db8:1:2::/64`), anything that is
 * not an address (`unknown`, a proxy's garbage) under one shared `other:` key, so a made-up
 * `X-Forwarded-For` cannot mint fresh keys.
 */
export function addressKey(ip: string | undefined): string {
  if (!ip) return 'unknown';
  const bare = ip.trim().replace(/^\[|\]$/g, '');
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.process(bare.split('%')[0]!);
  } catch {
    return 'other';
  }
  if (parsed.kind() === 'ipv4') return parsed.toString();
  const parts = (parsed as ipaddr.IPv6).parts.slice(0, 4);
  return `${ipaddr.IPv6.parse(`${parts.map((p) => p.toString(16)).join(':')}::`).toString()}/64`;
}
