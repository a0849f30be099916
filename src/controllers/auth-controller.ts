import type { ReactiveController, ReactiveControllerHost } from 'lit';
import * as z from 'zod/mini';
import type { PortholeErrorCode } from '../events/porthole-events.js';
import { parseRetryAfter, type Session } from '../transport/transport.js';
import { backoff, sleep, systemClock, type Clock } from './clock.js';

// Shared with the transports, which read the same header; re-exported for existing importers.
export { parseRetryAfter };

/** A host-supplied function returning the companion's session response (signed-in users). */
export type GetToken = () => unknown;

const sessionSchema = z.object({
  // Host getToken() responses written before gateway mode existed name no mode: direct.
  mode: z.optional(z.enum(['direct', 'gateway'])),
  serverUrl: z.url({ protocol: /^https?$/ }),
  token: z.string().check(z.minLength(1)),
  expiresAt: z.union([z.number(), z.string()]),
  userId: z.string().check(z.minLength(1)),
  channelId: z.string().check(z.minLength(1)),
  // Files: what the companion accepts (absent from an older one: no attachments offered).
  uploads: z.optional(z.object({ maxBytes: z.number().check(z.positive()), types: z.array(z.string()) })),
});

/** Why getting a session failed. */
export class AuthError extends Error {
  constructor(
    readonly code: PortholeErrorCode,
    message: string,
    readonly retryable: boolean,
    /** Milliseconds the server asked us to wait (`Retry-After`). */
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = 'AuthError';
  }
}

export interface AuthOptions {
  /** Current `token-url`. */
  tokenUrl: () => string | undefined;
  /** Current host `getToken`; when set it is used instead of `token-url`. */
  getToken: () => GetToken | undefined;
  /** How long to wait for `token-url` before counting the try as failed, ms (default 10 000). */
  timeoutMs?: number;
  /** Called with every new session (first one and refreshes). */
  onSession?: (s: Session) => void;
  /** Called when a background refresh failed. */
  onError?: (e: AuthError) => void;
  clock?: Clock;
  /** Tries per acquisition (default 3). */
  tries?: number;
  /** The visitor's display name sent to `token-url` (the host's `update({ name })`), if any. */
  name?: () => string | undefined;
}

/**
 * Gets the visitor's Mattermost session from the companion endpoint (`POST token-url`, with
 * cookies, JSON body) or from the host's `getToken()`, validates it, retries with capped
 * exponential backoff and jitter honouring `Retry-After`, and refreshes it before it expires.
 * Never renders.
 *
 * @example
 * const auth = new AuthController(this, { tokenUrl: () => this.tokenUrl, getToken: () => this.getToken });
 * const session = await auth.acquire();
 */
export class AuthController implements ReactiveController {
  #options: AuthOptions;
  #clock: Clock;
  #session?: Session;
  #run?: AbortController;
  #pending?: Promise<Session>;
  #refresh?: unknown;
  #connected = false;

  constructor(host: ReactiveControllerHost, options: AuthOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    host.addController(this);
  }

  /** The current session, if any. */
  get session(): Session | undefined {
    return this.#session;
  }

  hostConnected(): void {
    this.#connected = true;
    if (this.#session) this.#schedule(this.#session);
  }

  hostDisconnected(): void {
    this.#connected = false;
    this.#abort();
    this.#clock.clearTimeout(this.#refresh);
  }

  /**
   * Gets a fresh session; a call while one is being acquired shares it. Rejects with an
   * AuthError after the last try, or with an AbortError after logout or disconnect.
   */
  acquire(): Promise<Session> {
    // Callers that overlap (start, a health probe, a 401 renewal, the refresh timer) share one
    // acquisition; only logout and disconnect abort it, and a call after that starts a new one.
    if (this.#pending) return this.#pending;
    const pending = this.#acquire().finally(() => this.#pending === pending && (this.#pending = undefined));
    return (this.#pending = pending);
  }

  /** The acquisition in flight rejects with an AbortError and is no longer shared. */
  #abort(): void {
    this.#run?.abort();
    this.#pending = undefined;
  }

  async #acquire(): Promise<Session> {
    const run = (this.#run = new AbortController());
    const { signal } = run;
    const tries = this.#options.tries ?? 3;
    let last: unknown;
    for (let i = 0; i < tries; i++) {
      if (i) {
        const wait = last instanceof AuthError && last.retryAfter !== undefined ? last.retryAfter : backoff(this.#clock, i - 1);
        await sleep(this.#clock, wait, signal);
      }
      try {
        const session = await this.#once(signal);
        signal.throwIfAborted();
        this.#session = session;
        if (this.#connected) this.#schedule(session);
        this.#options.onSession?.(session);
        return session;
      } catch (e) {
        if (signal.aborted) throw e;
        last = e;
        if (e instanceof AuthError && !e.retryable) break;
      }
    }
    throw last;
  }

  /** Ends the session: `DELETE token-url` with the token as bearer (best effort), then forgets it. */
  async logout(): Promise<void> {
    const session = this.#session;
    this.#abort();
    this.#clock.clearTimeout(this.#refresh);
    this.#session = undefined;
    const url = this.#options.tokenUrl();
    if (!session || !url) return;
    try {
      await fetch(url, { method: 'DELETE', credentials: 'include', headers: { Authorization: `Bearer ${session.token}` } });
    } catch {
      // The token expires by itself; a failed revoke must not keep the visitor signed in locally.
    }
  }

  /**
   * Forgets the visitor at the companion (SPA life cycle, `shutdown()`): `DELETE <token-url>/cookie`
   * expires the visitor cookie, also before any session; best effort. Without `token-url` (the host's
   * `getToken()` only) there is nothing to ask.
   */
  async forget(): Promise<void> {
    const url = this.#options.tokenUrl();
    if (!url) return;
    try {
      const u = new URL(url, location.href);
      u.pathname = `${u.pathname.replace(/\/+$/, '')}/cookie`;
      await fetch(u, { method: 'DELETE', credentials: 'include' });
    } catch {
      // Offline or refused: the cookie stays, but the widget forgets the visitor all the same.
    }
  }

  #schedule(session: Session): void {
    this.#clock.clearTimeout(this.#refresh);
    const life = session.expiresAt - this.#clock.now();
    // Refresh a minute early, or at 80 % of a lifetime shorter than five minutes.
    const at = Math.max(5000, life > 300000 ? life - 60000 : life * 0.8);
    this.#refresh = this.#clock.setTimeout(() => {
      this.acquire().catch((e) => e instanceof AuthError && this.#options.onError?.(e));
    }, at);
  }

  async #once(signal: AbortSignal): Promise<Session> {
    const get = this.#options.getToken();
    let raw: unknown;
    if (get) {
      try {
        raw = await get();
      } catch (e) {
        throw new AuthError('host_callback', `getToken() threw: ${String(e)}`, true);
      }
    } else {
      const url = this.#options.tokenUrl();
      if (!url) throw new AuthError('no_config', 'set the token-url attribute or the getToken property', false);
      let res: Response;
      try {
        res = await fetch(url, {
          method: 'POST',
          credentials: 'include',
          headers: { 'Content-Type': 'application/json' },
          // The page the visitor opened the chat on, for the team (gateway mode's thread announces
          // it). Origin and path only: a query or fragment may hold the host's own secrets.
          body: JSON.stringify({ page: location.origin + location.pathname, name: this.#options.name?.() }),
          // A companion that never answers must not leave the panel loading for ever.
          signal: AbortSignal.any([signal, AbortSignal.timeout(this.#options.timeoutMs ?? 10_000)]),
        });
      } catch (e) {
        signal.throwIfAborted();
        throw new AuthError('network', `token-url unreachable: ${String(e)}`, true);
      }
      if (!res.ok) {
        const retry = res.status === 429 || res.status >= 500;
        throw new AuthError(
          retry ? 'auth_failed' : 'auth_rejected',
          `token-url answered ${res.status}`,
          retry,
          parseRetryAfter(res.headers.get('Retry-After'), this.#clock.now()),
        );
      }
      raw = await res.json().catch(() => undefined);
    }
    const parsed = sessionSchema.safeParse(raw);
    const expiresAt = parsed.success ? new Date(parsed.data.expiresAt).getTime() : NaN;
    if (!parsed.success || !Number.isFinite(expiresAt))
      throw new AuthError(
        'invalid_response',
        `expected { mode?: "direct" | "gateway", serverUrl: http(s) URL, token, expiresAt: ms or ISO date, userId, channelId, uploads?: { maxBytes > 0, types: string[] } }, received ${
          raw && typeof raw === 'object' ? `keys [${Object.keys(raw)}]` : typeof raw
        }`,
        false,
      );
    return { ...parsed.data, mode: parsed.data.mode ?? 'direct', expiresAt };
  }
}
