import type { ReactiveController, ReactiveControllerHost } from 'lit';
import * as z from 'zod/mini';
import { parseRetryAfter, type Session } from '../transport/transport.js';

/**
 * Why a privacy call failed. `network`, `unavailable` and `rate_limited` may succeed later;
 * `erasure_unavailable` is the companion saying it cannot erase (no admin token, Mattermost
 * refuses permanent deletion): an operator has to change something. `auth`: the companion no
 * longer takes the visitor's token. `no_config`: nothing says where the companion is.
 */
export type PrivacyErrorKind = 'network' | 'unavailable' | 'rate_limited' | 'erasure_unavailable' | 'auth' | 'rejected' | 'no_config';

/** A failed privacy call, classified. `message` is for developers and never holds the token. */
export class PrivacyError extends Error {
  constructor(
    readonly kind: PrivacyErrorKind,
    message: string,
    /** The HTTP status, when the companion answered. */
    readonly status?: number,
    /** How long the companion asked to wait (`Retry-After`), ms. */
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = 'PrivacyError';
  }
}

/** True when trying the same call again may succeed. */
export const isRetryablePrivacyError = (e: PrivacyError): boolean =>
  e.kind === 'network' || e.kind === 'unavailable' || e.kind === 'rate_limited';

/** A downloaded transcript: the file's bytes and the name to save it under. */
export interface TranscriptFile {
  blob: Blob;
  filename: string;
}

/**
 * The companion's privacy API as the widget uses it (`GET /v1/transcript`, `DELETE
 * /v1/conversation`). {@link httpPrivacyApi} is the real one; tests and Storybook use the
 * in-memory one (src/testing/memory-privacy-api.ts).
 */
export interface PrivacyApi {
  /** The visitor's transcript as a file. */
  transcript(signal: AbortSignal): Promise<TranscriptFile>;
  /** Erases the visitor's conversation for good (and revokes the visitor's tokens). */
  erase(signal: AbortSignal): Promise<void>;
}

/** Builds the privacy API for a session; `tokenUrl` is the companion's session endpoint, if set. */
export type PrivacyApiFactory = (session: Session, tokenUrl: string | undefined) => PrivacyApi;

/** The error body every companion error response carries. */
const errorBody = z.object({ error: z.object({ code: z.string(), message: z.optional(z.string()) }) });

/** `filename="porthole-transcript-2026-01-31.json"` in a Content-Disposition; only a plain file name is taken. */
const DISPOSITION = /filename="([\w.-]{1,128})"/;

/** The file name the companion uses, for when its Content-Disposition is not readable (CORS). */
export const defaultTranscriptName = (now: Date = new Date()): string => `porthole-transcript-${now.toISOString().slice(0, 10)}.json`;

/**
 * The URL of a privacy route (`transcript` or `conversation`) of the companion that serves
 * `session`: gateway mode's `serverUrl` is the companion (`<serverUrl>/v1/…`); in direct mode
 * `serverUrl` is Mattermost, so the route sits next to `token-url` (`…/v1/session` →
 * `…/v1/transcript`). Undefined when neither says where the companion is.
 */
export function privacyUrl(route: 'transcript' | 'conversation', session: Session, tokenUrl: string | undefined): string | undefined {
  if (session.mode === 'gateway') return `${session.serverUrl.replace(/\/+$/, '')}/v1/${route}`;
  if (!tokenUrl) return undefined;
  try {
    const url = new URL(tokenUrl, location.href);
    if (!/\/session$/.test(url.pathname)) return undefined;
    url.pathname = url.pathname.replace(/session$/, route);
    url.search = url.hash = '';
    return url.href;
  } catch {
    return undefined;
  }
}

/** The companion's answer as a PrivacyError: what it said (its error code) and what that means. */
async function refusal(what: string, res: Response, now: number): Promise<PrivacyError> {
  const parsed = errorBody.safeParse(await res.json().catch(() => undefined));
  const code = parsed.success ? parsed.data.error.code : undefined;
  const said = `${what} answered ${res.status}${code ? ` ${code}` : ''}${parsed.success && parsed.data.error.message ? `: ${parsed.data.error.message}` : ''}`;
  const kind: PrivacyErrorKind =
    code === 'erasure_unavailable'
      ? 'erasure_unavailable'
      : res.status === 401 || res.status === 403
        ? 'auth'
        : res.status === 429
          ? 'rate_limited'
          : res.status >= 500
            ? 'unavailable'
            : 'rejected';
  return new PrivacyError(kind, said, res.status, parseRetryAfter(res.headers.get('Retry-After'), now));
}

/**
 * The real privacy API: `fetch` to the companion with the session's token as bearer (never in a
 * URL). The erase request carries credentials, so the companion's answer can clear its visitor
 * cookie on a cross-origin page too.
 */
export const httpPrivacyApi =
  (fetcher: typeof fetch = (...args) => fetch(...args)): PrivacyApiFactory =>
  (session, tokenUrl) => {
    const call = async (route: 'transcript' | 'conversation', init: RequestInit, signal: AbortSignal): Promise<Response> => {
      const url = privacyUrl(route, session, tokenUrl);
      const what = `${init.method} /v1/${route}`;
      if (!url)
        throw new PrivacyError(
          'no_config',
          `${what}: direct mode reaches the companion next to token-url (…/v1/session); set the token-url attribute, received ${JSON.stringify(tokenUrl ?? null)}`,
        );
      let res: Response;
      try {
        res = await fetcher(url, { ...init, headers: { Authorization: `Bearer ${session.token}`, Accept: 'application/json' }, signal });
      } catch (e) {
        signal.throwIfAborted();
        throw new PrivacyError('network', `${what}: the companion is unreachable (${String(e)})`);
      }
      if (!res.ok) throw await refusal(what, res, Date.now());
      return res;
    };
    return {
      async transcript(signal) {
        const res = await call('transcript', { method: 'GET', credentials: 'omit' }, signal);
        const type = res.headers.get('Content-Type') ?? '';
        if (!/^application\/json\b/i.test(type))
          throw new PrivacyError('rejected', `GET /v1/transcript: expected application/json, received ${JSON.stringify(type)}`, res.status);
        const blob = await res.blob();
        signal.throwIfAborted();
        const name = DISPOSITION.exec(res.headers.get('Content-Disposition') ?? '')?.[1];
        return { blob, filename: name ?? defaultTranscriptName() };
      },
      async erase(signal) {
        await call('conversation', { method: 'DELETE', credentials: 'include' }, signal);
      },
    };
  };

/** What the controller is doing. */
export type PrivacyTask = 'download' | 'erase';

/** Options of a {@link PrivacyController}. */
export interface PrivacyOptions {
  /** The current session (undefined: none, nothing to download or erase). */
  session: () => Session | undefined;
  /** Current `token-url`. */
  tokenUrl: () => string | undefined;
  /** Builds the API for a session (default {@link httpPrivacyApi}). */
  api?: PrivacyApiFactory;
  /** A transcript arrived: save it (the element saves it through a `blob:` URL). */
  onTranscript: (file: TranscriptFile) => void;
  /** The conversation is erased on the companion: wipe what the widget keeps. */
  onErased: (session: Session) => void | Promise<void>;
  /** A call failed (never called for aborted work). */
  onError?: (e: PrivacyError, task: PrivacyTask) => void;
}

/**
 * The visitor's privacy actions: downloading the transcript and erasing the conversation, through
 * the companion. Never renders: the host reads `busy` and `error` and re-renders when asked.
 * One task at a time; each gets its own AbortController, a new task or the host going away
 * aborts the one in flight, and an aborted task's result is dropped.
 *
 * @example
 * const privacy = new PrivacyController(this, {
 *   session: () => panel.session.current,
 *   tokenUrl: () => panel.tokenUrl,
 *   onTranscript: (file) => save(file),
 *   onErased: () => panel.session.logout(),
 * });
 * await privacy.erase();
 */
export class PrivacyController implements ReactiveController {
  #host: ReactiveControllerHost;
  #options: PrivacyOptions;
  #run?: AbortController;
  #busy?: PrivacyTask;
  #error?: { error: PrivacyError; task: PrivacyTask };

  constructor(host: ReactiveControllerHost, options: PrivacyOptions) {
    this.#host = host;
    this.#options = options;
    host.addController(this);
  }

  /** The task in flight, if any. */
  get busy(): PrivacyTask | undefined {
    return this.#busy;
  }

  /** The last task's failure (cleared when a task starts or by `dismiss()`). */
  get error(): { readonly error: PrivacyError; readonly task: PrivacyTask } | undefined {
    return this.#error;
  }

  hostConnected(): void {}

  hostDisconnected(): void {
    this.abort();
  }

  /** Aborts the task in flight; its result is dropped. */
  abort(): void {
    this.#run?.abort();
    this.#run = undefined;
    if (this.#busy) {
      this.#busy = undefined;
      this.#host.requestUpdate();
    }
  }

  /** Forgets the last failure. */
  dismiss(): void {
    this.#error = undefined;
    this.#host.requestUpdate();
  }

  /** Downloads the transcript; resolves true when it was handed to `onTranscript`. */
  download(): Promise<boolean> {
    return this.#task('download', async (api, signal) => this.#options.onTranscript(await api.transcript(signal)));
  }

  /** Erases the conversation, then calls `onErased`; resolves true on success. */
  erase(): Promise<boolean> {
    return this.#task('erase', async (api, signal, session) => {
      await api.erase(signal);
      signal.throwIfAborted();
      await this.#options.onErased(session);
    });
  }

  async #task(task: PrivacyTask, work: (api: PrivacyApi, signal: AbortSignal, session: Session) => Promise<void>): Promise<boolean> {
    this.#run?.abort();
    const run = (this.#run = new AbortController());
    this.#busy = task;
    this.#error = undefined;
    this.#host.requestUpdate();
    try {
      const session = this.#options.session();
      if (!session) throw new PrivacyError('no_config', `${task}: expected a started session, received none`);
      await work((this.#options.api ?? httpPrivacyApi())(session, this.#options.tokenUrl()), run.signal, session);
      return !run.signal.aborted;
    } catch (e) {
      if (run.signal.aborted) return false;
      const error = e instanceof PrivacyError ? e : new PrivacyError('rejected', `${task}: ${String(e)}`);
      this.#error = { error, task };
      this.#options.onError?.(error, task);
      return false;
    } finally {
      if (this.#run === run) {
        this.#run = undefined;
        this.#busy = undefined;
        this.#host.requestUpdate();
      }
    }
  }
}
