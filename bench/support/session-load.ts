// The returning visitors' session load both companion benchmarks drive through autocannon:
// `POST /v1/session` with body `{}` from the benchmarks' page origin, cycling through cookies.
import type autocannon from 'autocannon';
import { PAGE_ORIGIN } from './stack.ts';

/** autocannon options for `POST <baseUrl>/v1/session` that send each request with the next cookie. */
export function returningSessionsLoad(
  baseUrl: string,
  cookies: readonly string[],
  o: { connections: number; duration: number },
): autocannon.Options {
  let k = 0;
  return {
    url: `${baseUrl}/v1/session`,
    method: 'POST',
    headers: { Origin: PAGE_ORIGIN, 'Content-Type': 'application/json' },
    body: '{}',
    connections: o.connections,
    duration: o.duration,
    requests: [{ setupRequest: (req) => ({ ...req, headers: { ...req.headers, Cookie: cookies[k++ % cookies.length]! } }) }],
  };
}
