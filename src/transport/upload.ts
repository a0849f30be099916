// Downloads for both transports (files, avatars), through fetch with the credential as a bearer
// header, never in the URL. Uploads are in ./xhr-upload.ts, a lazy chunk.
import { TransportError } from './transport.js';

/** GETs `url` with the bearer `token` as a Blob; failures as classified TransportErrors. */
export async function fetchBlob(
  url: string,
  token: string,
  signal: AbortSignal | undefined,
  what: string,
  f: typeof fetch = fetch,
): Promise<Blob> {
  let res: Response;
  try {
    res = await f(url, { headers: { Authorization: `Bearer ${token}` }, credentials: 'omit', signal });
  } catch (e) {
    signal?.throwIfAborted();
    throw new TransportError('network', `${what}: no answer (${(e as Error)?.message ?? e})`);
  }
  if (!res.ok) {
    const s = res.status;
    throw new TransportError(
      s === 401 ? 'auth' : s === 429 ? 'rate_limited' : s >= 500 ? 'unavailable' : 'rejected',
      `${what} answered ${s}`,
      s,
    );
  }
  const blob = await res.blob();
  signal?.throwIfAborted();
  return blob;
}
