// One typed HTTP error for the whole companion, and the one handler that turns any thrown value
// — our HttpError, Hono's HTTPException, a MattermostError, or anything else — into the JSON
// error body `{ error: { code, message, requestId } }`. Routes and middleware just throw.
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';
import type { Logger } from './logger.js';
import { MattermostError } from './mattermost-admin.js';
import type { CompanionMetrics } from './metrics.js';

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

/** The body of every error response, as a schema (the OpenAPI document is generated from it). */
export const errorBodySchema = z
  .object({
    error: z
      .object({
        /** Stable snake_case code, e.g. `rate_limited`. */
        code: z.string().regex(/^[a-z][a-z0-9_]*$/),
        /** What went wrong and what to do, for people. */
        message: z.string(),
        /** The id of the request, also in the `X-Request-Id` header and the log line. */
        requestId: z.string(),
        /** Developer detail; sent only outside production. */
        detail: z.string().optional(),
      })
      .strict(),
  })
  .strict();

/** The body of every error response. */
export type ErrorBody = z.infer<typeof errorBodySchema>;

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
  /** Counts every error response (`porthole_http_errors_total{code,status}`). Default: none. */
  metrics?: Pick<CompanionMetrics, 'httpError'>;
  /** Told of every 500 and 502 (never of 4xx, nor of the expected 503s); a throwing hook is caught and logged ({@link errorReporter}). */
  onError?: ErrorHook;
}

/** Where an error reported to an {@link ErrorHook} happened. */
export interface ErrorContext {
  /** The request's id (`X-Request-Id`, also in the log line and the error body). */
  requestId?: string;
  /** The request's method. */
  method?: string;
  /** The request's path (never its query). */
  path?: string;
  /** `request`: an error that became a 500/502 response; `background`: a background task that failed (relay, live socket, bot socket). */
  source: 'request' | 'background';
}

/**
 * `CompanionOptions.onError`: called with every unexpected failure, to forward it to Sentry or a
 * similar tool. It must not throw (if it does, the throw is logged and the response is unchanged).
 */
export type ErrorHook = (error: unknown, context: ErrorContext) => void;

/** An {@link ErrorHook} made safe by {@link errorReporter}: it never throws. */
export type ErrorReporter = (error: unknown, context: ErrorContext) => void;

/**
 * Wraps a host's {@link ErrorHook} so that calling it never throws: a throwing hook is caught and
 * logged (once per throw, at `warn`: the failure it was told of is already logged). No hook: a no-op.
 */
export function errorReporter(hook: ErrorHook | undefined, logger: Logger): ErrorReporter {
  if (!hook) return () => {};
  return (error, context) => {
    try {
      hook(error, context);
    } catch (e) {
      try {
        logger.warn({ msg: 'the onError hook threw', requestId: context.requestId, error: e instanceof Error ? e.message : String(e) });
      } catch {
        // a logger that throws cannot be helped here
      }
    }
  };
}

/** The error code and status the error handler answers a thrown value with (`internal_error`/500 for an unexpected one). */
export function errorCodeOf(err: unknown): { code: string; status: number } {
  const known = toHttpError(err, () => undefined);
  return known ? { code: known.code, status: known.status } : { code: 'internal_error', status: 500 };
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
  const report = options.onError ? errorReporter(options.onError, options.logger) : undefined;
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
      // 503s are the expected outages (Mattermost or the store away, starting, capacity): alerts, not bug reports.
      if (status !== 503)
        report?.(known?.cause ?? err, { requestId, method: c.req.method, path: new URL(c.req.url).pathname, source: 'request' });
    }
    options.metrics?.httpError(code, status);

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
