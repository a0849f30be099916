import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { PortholeErrorCode } from '../events/porthole-events.js';
import { abortable, isAbortError } from '../transport/abort.js';
import { transportByMode } from '../transport/registry.js';
import { shareTabs, SharedTransport } from '../transport/shared-transport.js';
import {
  isRetryable,
  TransportError,
  type ChatMessage,
  type ConnectionState,
  type Session,
  type Transport,
  type TransportFactory,
} from '../transport/transport.js';
import { AuthController, AuthError, type GetToken } from './auth-controller.js';
import { systemClock, type Clock } from './clock.js';
import { ConnectionController } from './connection-controller.js';
import { ConversationController } from './conversation-controller.js';
import { HealthController } from './health-controller.js';
import { OutboxController } from './outbox-controller.js';
import { wipeStorage } from './wipe-storage.js';

/**
 * When the server refuses the visitor's token (a REST call's TransportError `auth`, or the live
 * connection's `refused` event), the session controller asks for a new session once. A second refusal within this many milliseconds means fresh tokens are refused as well
 * (the account was deactivated, the companion mints for another server…): it stops renewing and
 * opens the breaker, so the visitor sees the fallback instead of an endless loop of sign-ins.
 */
export const RENEWAL_WINDOW_MS = 60_000;

/**
 * Grace period before the fallback: failures that are not decisive (the network, a 5xx) open the
 * breaker only once they have gone on this long. Until then the visitor sees "Reconnecting…".
 */
export const GRACE_MS = 10_000;

/** The production default: each session's transport by its mode, loaded on first use, one live socket across the visitor's tabs. */
const byMode = shareTabs(transportByMode());

export interface SessionOptions {
  /** Current `token-url`. */
  tokenUrl: () => string | undefined;
  /** Current host `getToken`; when set it is used instead of `token-url`. */
  getToken: () => GetToken | undefined;
  /** The visitor's display name for session requests (SPA life cycle: `update({ name })`). */
  name?: () => string | undefined;
  /**
   * Current factory for a new session's transport, read whenever one is built. Undefined (the
   * default): the transport of the session's mode from the registry, loaded on first use.
   */
  transportFactory?: () => TransportFactory | undefined;
  clock?: Clock;
  /** Outbox storage (default localStorage; null keeps the queue in memory only). */
  storage?: Storage | null;
  /** A message from the team arrived, live or through a resync. */
  onReceived?: (m: ChatMessage) => void;
  /** The server accepted one of the visitor's messages. */
  onSent?: (m: ChatMessage) => void;
  /** The reported connection state changed (`connection.reported`): `offline` only while the breaker is open. */
  onStateChange?: (state: ConnectionState) => void;
  /** Auth, the network, a send or loading failed, or the server rate-limited a call (`rate_limited`). */
  onError?: (code: PortholeErrorCode, message: string) => void;
  /** Several tabs: the visitor read the conversation in another tab ({@link SessionController.read} there). */
  onRead?: () => void;
  /** Several tabs: the visitor logged out (or `shutdown()`) in another tab; this session ended too. */
  onLogout?: () => void;
}

/**
 * The visitor's session from start to logout: gets it (auth), chooses and builds its transport
 * (by the session's `mode`, through the transport factory), hands that transport to the
 * connection, conversation and outbox controllers it creates, renews the session when the
 * server refuses the token (a REST call answering 401, or the live connection saying `refused`,
 * at once, so a visitor who only reads gets live messages again), and turns failures into state (the health controller's breaker)
 * and error reports (a rate-limited send is reported but is no health failure: the outbox waits for
 * the server's `Retry-After`). Never renders: the host reads `conversation`, `outbox`, `health`,
 * `connection` and `refused`, and re-renders when they ask it to.
 *
 * Each run (the first start, a health probe, a renewal, a return of the host) gets its own
 * AbortController and aborts the run before it; logout and the host going away abort the run in
 * flight. An aborted run rejects with an AbortError, which is never reported.
 *
 * @example
 * const session = new SessionController(this, {
 *   tokenUrl: () => this.tokenUrl,
 *   getToken: () => this.getToken,
 *   onError: (code, message) => emit(this, 'porthole-error', { code, message }),
 * });
 * session.start(); // when the visitor opens the chat
 * await session.logout();
 */
export class SessionController implements ReactiveController {
  readonly auth: AuthController;
  readonly connection: ConnectionController;
  readonly conversation: ConversationController;
  readonly outbox: OutboxController;
  readonly health: HealthController;

  #options: SessionOptions;
  #clock: Clock;
  /** The session the transport was built for. */
  #session?: Session;
  #transport?: Transport;
  /** Stops listening to the transport for `refused`. */
  #unlisten?: () => void;
  /** The run in flight: getting a session, building its transport, loading the conversation. */
  #run?: AbortController;
  #started = false;
  /** The socket was online since this transport was attached: the next `online` is a reconnect. */
  #online = false;
  /** The companion or the host refused who the visitor is (not an outage). */
  #refused = false;
  /** When the server last refused the token and a new session was asked for. */
  #renewedAt = -Infinity;

  constructor(host: ReactiveControllerHost, options: SessionOptions) {
    this.#options = options;
    const clock = (this.#clock = options.clock ?? systemClock);
    this.auth = new AuthController(host, {
      clock,
      tokenUrl: options.tokenUrl,
      getToken: options.getToken,
      name: options.name,
      onSession: (s) => this.#renewed(s),
      onError: (e) => this.#report(e.code, e.message),
    });
    this.connection = new ConnectionController(host, {
      clock,
      onSocket: (state) => this.#connectionChanged(state),
      onChange: (state) => options.onStateChange?.(state),
      // The socket is down: catch up over REST (which also tells whether the service is down).
      poll: () => {
        if (this.health.state === 'ok' && this.#transport)
          this.conversation.resync().then(
            () => this.health.success(),
            (e) => this.#failed(e),
          );
      },
    });
    this.conversation = new ConversationController(host, {
      onReceived: (m) => options.onReceived?.(m),
      onError: (e) => this.#failed(e),
    });
    this.outbox = new OutboxController(host, {
      clock,
      storage: options.storage,
      onSent: (m, mine) => {
        // The REST answer, not the conversation's own feed: it must not move the resync cursor.
        this.conversation.merge([m], false, false);
        if (mine) options.onSent?.(m);
        // Several tabs: the leader's outbox sends for all; each shows it, the one that wrote it reports it.
        if (this.#tabs?.leading) this.#tabs.tell({ type: 'sent', message: m });
      },
      onError: (e) => this.#failed(e, 'send_failed'),
    });
    this.health = new HealthController(host, {
      clock,
      grace: GRACE_MS,
      probe: () => this.#establish(),
      onChange: (open) => {
        // Offline part: with only Mattermost down, the companion still takes (queues) messages.
        if (!open) this.#chatServerDown = false;
        this.outbox.paused = open && !this.#chatServerDown;
      },
      onStateChange: (state) => this.connection.health(state),
    });
    host.addController(this);
  }

  /** The session the current transport serves, if any. */
  get current(): Session | undefined {
    return this.#session;
  }

  /** The current session's transport, if one is built. */
  get transport(): Transport | undefined {
    return this.#transport;
  }

  /**
   * Gateway mode: the companion answers but Mattermost does not (`mattermost_unavailable`). The
   * outbox keeps sending (the companion stores the messages); the panel says so instead of the fallback.
   */
  get chatServerDown(): boolean {
    return this.#chatServerDown;
  }
  #chatServerDown = false;

  /** The companion or the host refused who the visitor is: say so, rather than "unreachable". */
  get refused(): boolean {
    return this.#refused;
  }

  /** Starts the session and the conversation; later calls do nothing until logout. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#begin();
  }

  /** Tells the visitor's other tabs they read the conversation (their `onRead`); nothing without other tabs. */
  read(): void {
    this.#tabs?.tell({ type: 'read' });
  }

  get #tabs(): SharedTransport | undefined {
    return this.#transport instanceof SharedTransport ? this.#transport : undefined;
  }

  /** Loads the page before the oldest message shown; a failure is reported, not thrown. */
  loadOlder(): Promise<void> {
    return this.conversation.loadOlder().catch((e) => this.#failed(e));
  }

  /**
   * Revokes the session and forgets the transport, the conversation and the queue, in the
   * visitor's other tabs too (their `onLogout`; a queue left there would be sent).
   */
  logout(): Promise<void> {
    this.#tabs?.tell({ type: 'logout' });
    return this.#end();
  }

  async #end(): Promise<void> {
    this.#run?.abort();
    this.#run = undefined;
    this.outbox.clear();
    this.#attach(undefined, undefined);
    this.#started = false;
    this.health.success();
    await this.auth.logout();
  }

  /**
   * SPA life cycle (`update({ identity, name })`): asks for a new session now, if one is running.
   * The same visitor keeps the conversation (a token swap); another visitor starts over (`#renewed`).
   */
  async renew(): Promise<void> {
    if (!this.#started || !this.auth.session) return;
    await this.auth.acquire().then(
      () => {},
      (e) => this.#failed(e),
    );
  }

  /**
   * SPA life cycle (`shutdown()`): logs out, has the companion forget the visitor (its cookie, also
   * before any session), and wipes what the widget stored (`porthole:` keys): the next start is a new visitor.
   */
  async shutdown(): Promise<void> {
    await this.logout();
    await this.auth.forget();
    wipeStorage(this.#options.storage);
  }

  hostConnected(): void {
    // Back after a disconnect that aborted the run in flight: start over (or just catch up).
    if (this.#started) this.#begin();
  }

  hostDisconnected(): void {
    this.#run?.abort();
    this.#run = undefined;
  }

  /** Offline part: a message the companion queued is shown as saved until its post arrives. */
  hostUpdate(): void {
    this.outbox.settle(this.conversation.messages);
  }

  #begin(renew = false): void {
    this.#establish(renew).catch((e) => this.#failed(e));
  }

  /**
   * One run: a session (a new one when `renew`), its transport and the conversation loaded.
   * Success closes the breaker and sends the queue. A socket still down does not fail it: REST
   * answering is "reconnecting", not "unreachable" (the connection controller polls meanwhile).
   */
  async #establish(renew = false): Promise<void> {
    this.#run?.abort();
    const { signal } = (this.#run = new AbortController());
    const session = (!renew && this.auth.session) || (await abortable(this.auth.acquire(), signal));
    if (!this.#transport) await this.#use(session, signal);
    await this.conversation.load();
    signal.throwIfAborted();
    this.#refused = false;
    this.health.success();
    this.outbox.flush();
  }

  /** Builds the transport for `session` (maybe loading its code first) and hands it on. */
  async #use(session: Session, signal: AbortSignal): Promise<void> {
    const factory = this.#options.transportFactory?.() ?? byMode;
    // A factory that throws at once fails the run like one that rejects.
    const transport = await abortable(
      Promise.resolve().then(() => factory(session)),
      signal,
    );
    this.#attach(transport, session);
  }

  #attach(transport: Transport | undefined, session: Session | undefined): void {
    this.#unlisten?.();
    // The live connection refused the token: renew now, as a refused REST call would, rather
    // than at the visitor's next action.
    this.#unlisten = transport?.subscribe((e) => {
      if (e.type === 'refused') this.#failed(new TransportError('auth', `the live connection refused the token (${e.reason})`, 401));
    });
    // Several tabs: one socket and one outbox (src/transport/shared-transport.ts).
    if (transport instanceof SharedTransport)
      transport.link(
        this.outbox,
        () => this.#options.onRead?.(),
        () => (void this.#end(), this.#options.onLogout?.()),
      );
    this.#transport = transport;
    this.#session = session;
    this.#online = false;
    this.connection.attach(transport);
    this.conversation.attach(transport, session?.userId);
    this.outbox.attach(transport, session?.userId);
  }

  /** Every new session from auth (renewals, the refresh timer). */
  #renewed(session: Session): void {
    const old = this.#session;
    if (!this.#transport || !old) return; // the run that asked for it builds the transport
    // Same visitor, conversation and way in: swap the token. Otherwise start over with a new transport.
    if (
      session.mode === old.mode &&
      session.userId === old.userId &&
      session.channelId === old.channelId &&
      session.serverUrl === old.serverUrl
    )
      return this.#transport.setToken(session.token);
    this.#attach(undefined, undefined);
    this.#begin();
  }

  #connectionChanged(state: ConnectionState): void {
    if (state === 'online') {
      // Every reconnect: fetch what the socket missed. The first `online` too when the history is
      // already shown: a post made between the REST read and the socket's registration is on
      // neither. (resync() shares a run already in flight.)
      if (this.#online || this.conversation.loaded) this.conversation.resync().catch((e) => this.#failed(e));
      this.#online = true;
      this.health.success();
      this.outbox.flush();
    }
  }

  /** The failure policy: what a failed run, resync or send means for the session and the breaker. */
  #failed(e: unknown, code?: PortholeErrorCode): void {
    // Work cancelled on purpose (logout, disconnect, a newer run) is not a failure.
    if (isAbortError(e)) return;
    if (e instanceof TransportError && e.kind === 'auth') {
      // The server no longer takes the token (revoked, expired early, the visitor logged out in
      // another tab): get a new session and carry on. Twice within the window means something is wrong.
      this.#report('auth_failed', e.message);
      const now = this.#clock.now();
      if (now - this.#renewedAt < RENEWAL_WINDOW_MS) return this.health.failure(true);
      this.#renewedAt = now;
      return this.#begin(true);
    }
    if (e instanceof AuthError) {
      this.#refused = e.code === 'auth_rejected';
      this.#report(e.code, e.message);
      return this.health.failure(true);
    }
    if (e instanceof TransportError && e.kind === 'rate_limited') {
      // The server pacing this visitor, not an outage. A send waits in the outbox for its
      // Retry-After and is no health failure (no fallback for a visitor who typed fast); a
      // limited read still counts, as the breaker's probe is what tries it again.
      this.#report('rate_limited', e.message);
      if (code !== 'send_failed') this.health.failure();
      return;
    }
    // Only Mattermost down: the companion still stores messages, so the outbox keeps sending.
    if (e instanceof TransportError && e.code === 'mattermost_unavailable') {
      this.#chatServerDown = true;
      this.outbox.paused = false;
    }
    const retryable = isRetryable(e);
    this.#report(retryable ? 'network' : (code ?? 'request_rejected'), e instanceof Error ? e.message : String(e));
    if (retryable) this.health.failure();
    // A refused request that is not one message (history, resync): the conversation cannot be
    // shown as it is, so say so and offer a retry rather than an empty chat.
    else if (!code) this.health.failure(true);
  }

  #report(code: PortholeErrorCode, message: string): void {
    this.#options.onError?.(code, message);
  }
}
