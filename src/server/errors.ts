// One typed HTTP error for the whole companion, and the one handler that turns any thrown value
// into the JSON error body `{ error: { code, message, requestId } }`.
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Logger } from './logger.js';

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
 * companion; {@link createErrorHandler} turns it into the JSON error response.
 *
 * @example
 * ```ts
 * throw new HttpError(400, 'invalid_body', 'Expected a JSON object; received an array.');
 * ```
 */
export class HttpError extends Error {
  /** The HTTP status sent to the client. */
  readonly status: ContentfulStatusCode;
  /** A stable snake_case code, e.g. `rate_limited`. */
  readonly code: string;
  /** Developer detail, sent only in development. */
  readonly detail: string | undefined;
  /** Extra headers added to the error response. */
  readonly headers: Record<string, string>;

  constructor(status: ContentfulStatusCode, code: string, message: string, options: HttpErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HttpError';
    this.status = status;
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
}

const GENERIC_5XX = 'The chat service could not complete the request. Try again later.';

/**
 * Builds the single error handler (`app.onError`). 4xx errors keep their own message (written by
 * the companion, never by Mattermost); 5xx errors and unknown exceptions get a generic message in
 * production. Every body carries the request id, which is also in the log line, so an operator
 * can find the cause without the client ever seeing it.
 */
export function createErrorHandler(options: ErrorHandlerOptions) {
  return (err: unknown, c: Context): Response => {
    const requestId: string = c.get('requestId') ?? 'unknown';
    const known = err instanceof HttpError ? err : undefined;
    const status: ContentfulStatusCode = known?.status ?? 500;
    const code = known?.code ?? 'internal_error';
    const rawMessage = known?.message ?? (err instanceof Error ? err.message : String(err));
    const detail = known ? known.detail : err instanceof Error ? `${err.name}: ${err.message}` : undefined;

    if (status >= 500) {
      options.logger.error({ msg: 'request failed', requestId, status, code, detail: detail ?? rawMessage, cause: describeCause(known?.cause) });
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
