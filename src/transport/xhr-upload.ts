// Uploads for both transports, through XMLHttpRequest (fetch reports no upload progress), with the
// credential as a bearer header, never in the URL. A lazy chunk: loaded with the first upload.
import { parseRetryAfter, TransportError } from './transport.js';

/** What an upload answered: the status and the JSON body (undefined when it was not JSON). */
export interface UploadAnswer {
  status: number;
  body: unknown;
  retryAfter?: number;
}

/**
 * POSTs `file` as the raw request body to `url` with `headers`, reporting `(sent, total)` as the
 * bytes go. Resolves with any HTTP answer; rejects with a TransportError `network` when no answer
 * came, or with the signal's reason once `signal` aborts (the request is aborted with it).
 */
export function xhrUpload(
  url: string,
  headers: Record<string, string>,
  file: Blob,
  onProgress: (sent: number, total: number) => void,
  signal: AbortSignal | undefined,
  what: string,
): Promise<UploadAnswer> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const xhr = new XMLHttpRequest();
    const stop = (): void => {
      xhr.abort();
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', stop, { once: true });
    const done = (): void => signal?.removeEventListener('abort', stop);
    xhr.open('POST', url);
    xhr.withCredentials = false;
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onload = () => {
      done();
      let body: unknown;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = undefined;
      }
      onProgress(file.size, file.size);
      // (getResponseHeader() of a header CORS does not expose logs an error: read the exposed ones.)
      const retry = /^retry-after:\s*(.*)$/im.exec(xhr.getAllResponseHeaders())?.[1]?.trim();
      resolve({ status: xhr.status, body, retryAfter: parseRetryAfter(retry, Date.now()) });
    };
    xhr.onerror = xhr.ontimeout = () => {
      done();
      reject(new TransportError('network', `${what}: no answer (the network or the server is down)`));
    };
    xhr.send(file);
  });
}

/**
 * A failed upload's answer as a TransportError: 401 `auth`, 429 `rate_limited`, 5xx `unavailable`,
 * other 4xx `rejected`; the message holds the server's error code (`file_too_large`…) when it gave one.
 */
export function uploadError(what: string, { status, body, retryAfter }: UploadAnswer): TransportError {
  const b = body as { code?: unknown; message?: unknown; id?: unknown; error?: { code?: unknown; message?: unknown } } | undefined;
  const e = b?.error ?? b;
  // The companion says `code`; Mattermost says `id` (e.g. api.file.upload_file.too_large.app_error).
  const code = typeof e?.code === 'string' ? e.code : typeof b?.id === 'string' ? b.id : 'no error code';
  const kind = status === 401 ? 'auth' : status === 429 ? 'rate_limited' : status >= 500 || !status ? 'unavailable' : 'rejected';
  return new TransportError(
    kind,
    `${what} answered ${status} (${code}${typeof e?.message === 'string' ? `: ${e.message}` : ''})`,
    status,
    retryAfter,
  );
}
