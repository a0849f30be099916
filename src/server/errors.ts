// One typed HTTP error for the whole companion, and the one handler that turns any thrown value
// — our HttpError, Hono's HTTPException, a MattermostError, or anything else — into the JSON
// error body `{ error: { code, message, requestId } }`. Routes and middleware just throw.
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Logger } from './logger.js';
import { MattermostError } from './mattermost-admin.js';

/** Options of an {@link HttpError}. */
export interface HttpErrorOptions {
  /**
   * Detail for developers (for example Mattermost's own message). Sent only in development and
   * logged in both modes; never put a secret here.
   */
  detail?: string;
  /** Extra response headers, for example `Retry-After`. */
  headers?: Record<string, string>;
  /** The underlying error, for the log. */
  cause?: unknown;
}

/**
 * A failure with an HTTP status and a stable, machine-readable code. Thrown anywhere in the
 * companion; {@link createErrorHandler} turns it into the JSON error response. It is a Hono
 * `HTTPException`, so a Hono app without our handler still answers with its status.
 *
 * @example
 * ```ts
 * throw new HttpError(400, 'invalid_body', 'Expected a JSON object; received an array.');
 * ```
 */
export class HttpError extends HTTPException {
  /** A stable snake_case code, e.g. `rate_limited`. */
  readonly code: string;
  /** Developer detail, sent only in development. */
  readonly detail: string | undefined;
  /** Extra headers added to the error response. */
  readonly headers: Record<string, string>;

  constructor(status: ContentfulStatusCode, code: string, message: string, options: HttpErrorOptions = {}) {
    super(status, { message, cause: options.cause });
    this.name = 'HttpError';
    this.code = code;
    this.detail = options.detail;
    this.headers = options.headers ?? {};
  }
}

/** The body of every error response. */
export interface ErrorBody {
  error: { code: string; message: string; requestId: string; detail?: string };
}

/** Options of {@link createErrorHandler}. */
export interface ErrorHandlerOptions {
  /** In production, 5xx messages are generic and `detail` is never sent. */
  production: boolean;
  /** Where failures are logged (the log never holds tokens, cookies or secrets). */
  logger: Logger;
  /**
   * The largest request body accepted, in bytes, named in the message of the 413 that Hono's
   * `bodyLimit` throws (it carries no message of its own). A function gives it per request, for
   * apps whose routes have different limits. Unset: "The request body is too large."
   */
  maxBodyBytes?: number | ((c: Context) => number | undefined);
}

const GENERIC_5XX = 'The chat service could not complete the request. Try again later.';

/**
 * Codes and messages for an `HTTPException` thrown without our code (Hono's own middleware:
 * `bodyLimit`, `bearerAuth`, …). Its own message wins when it has one.
 */
const HTTP_EXCEPTION_CODES: Partial<Record<number, { code: string; message: string }>> = {
  400: { code: 'bad_request', message: 'The request is malformed.' },
  401: { code: 'unauthorized', message: 'The request needs valid credentials.' },
  403: { code: 'forbidden', message: 'The request is not allowed.' },
  404: { code: 'not_found', message: 'No such route.' },
  405: { code: 'method_not_allowed', message: 'This route does not accept that method.' },
  413: { code: 'body_too_large', message: 'The request body is too large.' },
  415: { code: 'unsupported_media_type', message: 'The request body has an unsupported Content-Type.' },
  429: { code: 'rate_limited', message: 'Too many requests. Try again later.' },
};

/**
 * Maps a Mattermost failure to an HTTP error; Mattermost's own text goes to `detail` only.
 *
 * - a user-limit refusal → 503 `capacity_reached`, `Retry-After: 300`;
 * - unreachable (status 0) or a proxy answering 502/503/504 → 503 `mattermost_unavailable`,
 *   `Retry-After: 10`;
 * - anything else Mattermost refused → 502 `mattermost_error`.
 */
function fromMattermost(err: MattermostError): HttpError {
  if (err.mmId?.includes('user_limit')) {
    return new HttpError(503, 'capacity_reached', 'The chat service has no room for new visitors right now. Try again later.', {
      detail: err.message,
      cause: err,
      headers: { 'Retry-After': '300' },
    });
  }
  // Unreachable, or a proxy in front of it answering for a Mattermost that is (re)starting.
  if (err.status === 0 || err.status === 502 || err.status === 503 || err.status === 504) {
    return new HttpError(503, 'mattermost_unavailable', 'The chat server is unreachable. Try again later.', {
      detail: err.message,
      cause: err,
      headers: { 'Retry-After': '10' },
    });
  }
  return new HttpError(502, 'mattermost_error', 'The chat server refused the request.', { detail: err.message, cause: err });
}

/** Gives an `HTTPException` from Hono's middleware our code, message and its response's headers. */
function fromHttpException(err: HTTPException, maxBodyBytes: number | undefined): HttpError {
  const known = HTTP_EXCEPTION_CODES[err.status];
  const fallback =
    err.status === 413 && maxBodyBytes !== undefined ? `The request body must be at most ${maxBodyBytes} bytes.` : known?.message;
  const headers: Record<string, string> = {};
  // e.g. `WWW-Authenticate` from bearerAuth; the body and its framing are ours to write.
  err.res?.headers.forEach((value, name) => {
    if (!/^content-/i.test(name)) headers[name] = value;
  });
  return new HttpError(
    err.status,
    known?.code ?? (err.status >= 500 ? 'internal_error' : 'bad_request'),
    err.message || fallback || 'The request could not be processed.',
    {
      headers,
      cause: err.cause,
    },
  );
}

/** The {@link HttpError} a thrown value stands for, or `undefined` for an unexpected one (a bug). */
function toHttpError(err: unknown, maxBodyBytes: () => number | undefined): HttpError | undefined {
  if (err instanceof HttpError) return err;
  if (err instanceof MattermostError) return fromMattermost(err);
  if (err instanceof HTTPException) return fromHttpException(err, maxBodyBytes());
  return undefined;
}

/**
 * Builds the single error handler (`app.onError`). It understands {@link HttpError}, Hono's
 * `HTTPException` and {@link MattermostError}, so routes never wrap their calls. 4xx errors keep
 * their own message (written by the companion or Hono, never by Mattermost); 5xx errors and
 * unknown exceptions get a generic message in production, and `detail` is sent only outside
 * production. Every body carries the request id, which is also in the log line, so an operator
 * can find the cause without the client ever seeing it.
 */
export function createErrorHandler(options: ErrorHandlerOptions) {
  return (err: unknown, c: Context): Response => {
    const requestId: string = c.get('requestId') ?? 'unknown';
    const known = toHttpError(err, () => (typeof options.maxBodyBytes === 'function' ? options.maxBodyBytes(c) : options.maxBodyBytes));
    const status: ContentfulStatusCode = known?.status ?? 500;
    const code = known?.code ?? 'internal_error';
    const rawMessage = known?.message ?? (err instanceof Error ? err.message : String(err));
    const detail = known ? known.detail : err instanceof Error ? `${err.name}: ${err.message}` : undefined;

    if (status >= 500) {
      options.logger.error({
        msg: 'request failed',
        requestId,
        status,
        code,
        detail: detail ?? rawMessage,
        cause: describeCause(known?.cause),
      });
    }

    const message = status >= 500 && (options.production || !known) ? GENERIC_5XX : rawMessage;
    const body: ErrorBody = { error: { code, message, requestId } };
    if (!options.production && detail) body.error.detail = detail;
    for (const [name, value] of Object.entries(known?.headers ?? {})) c.header(name, value);
    c.header('Cache-Control', 'no-store');
    return c.json(body, status);
  };
}

function describeCause(cause: unknown): string | undefined {
  if (cause === undefined) return undefined;
  if (cause instanceof Error) return `${cause.name}: ${cause.message}`;
  return String(cause);
}
