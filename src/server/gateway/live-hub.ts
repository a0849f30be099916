// `/v1/live`: the visitor's one WebSocket. It authenticates with its first frame (never the URL),
// then carries the conversation's events. A bad frame closes only the socket that sent it.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { ErrorReporter } from '../errors.js';
import type { Logger } from '../logger.js';
import type { CompanionMetrics } from '../metrics.js';
import type { RateLimitStore } from '../rate-limit.js';
import {
  clientFrameSchema,
  LIVE_AUTH_TIMEOUT_MS,
  LIVE_MAX_FRAME_BYTES,
  LIVE_MAX_FRAMES_PER_MINUTE,
  LiveCloseCode,
  type ServerFrame,
} from '../../protocol/gateway.js';
import { PortholeTokenError } from './porthole-token.js';
import { isStoreUnavailable } from './store-guard.js';
import type { AuthenticatedVisitor } from './visitor-auth.js';

/** What {@link LiveHub} needs. */
export interface LiveHubOptions {
  /** Exact origins allowed to open the socket; a request without `Origin` (no browser) passes. */
  allowedOrigins: readonly string[];
  /** Verifies a token (throws {@link PortholeTokenError} when refused). */
  authenticate(token: string): Promise<AuthenticatedVisitor>;
  /** The conversation's revoked-before time, checked every `revocationCheckMs` for open sockets. */
  revokedBefore(conversationId: string): Promise<number | undefined>;
  logger: Logger;
  now: () => number;
  /** New sockets per client address and minute; needs `rateLimitStore`. Default: 60. */
  connectsPerMinute?: number;
  rateLimitStore?: RateLimitStore;
  /** The client address of an upgrade request. Default: the socket's remote address. */
  clientIp?: (req: IncomingMessage) => string;
  /** Heartbeat (ws ping) period; a socket that misses one pong is dropped. Default: 30 s. */
  heartbeatMs?: number;
  /** Default: 60 s. */
  revocationCheckMs?: number;
  /** Default: {@link LIVE_AUTH_TIMEOUT_MS}. */
  authTimeoutMs?: number;
  /** Counts refused upgrades (`porthole_http_errors_total`, and `live_connects` refusals). Default: none. */
  metrics?: Pick<CompanionMetrics, 'httpError' | 'rateLimited'>;
  /**
   * Told of an unexpected failure while authenticating a socket (also logged at error level); not
   * of a store outage (a warning, once per outage). Default: none.
   */
  onError?: ErrorReporter;
}

interface LiveClient {
  ws: WebSocket;
  visitor: AuthenticatedVisitor | undefined;
  /** The first frame arrived (it had to be `auth`). */
  started: boolean;
  authTimer: ReturnType<typeof setTimeout> | undefined;
  expiryTimer: ReturnType<typeof setTimeout> | undefined;
  alive: boolean;
  frames: number;
  windowStart: number;
}

/** Above this much unsent data a socket is a slow consumer and is dropped. */
const MAX_BUFFERED_BYTES = 1 << 20;
/**
 * Sockets pinged, or conversations checked for revocation, between two turns of the event loop:
 * with 10,000 sockets one synchronous pass stalled every delivery behind it for ~0.5 s.
 */
const SLICE = 250;

/** `pass`, but a call while the previous one still runs (it yields between slices) does nothing. */
function oneAtATime(pass: () => Promise<void>): () => Promise<void> {
  let running = false;
  return async () => {
    if (running) return;
    running = true;
    try {
      await pass();
    } finally {
      running = false;
    }
  };
}

/** Runs `fn` over `items` in slices, yielding to the event loop between them. */
async function inSlices<T>(items: readonly T[], fn: (item: T) => void | Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += SLICE) {
    if (i > 0) await new Promise((resolve) => setImmediate(resolve));
    await Promise.all(items.slice(i, i + SLICE).map(fn));
  }
}

function rejectUpgrade(socket: Duplex, status: number, reason: string, code: string, message: string): void {
  const body = JSON.stringify({ error: { code, message } });
  if (socket.destroyed || !socket.writable) return void socket.destroy();
  // Destroyed once written: the client is not waiting for anything else.
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    () => socket.destroy(),
  );
}

/**
 * The visitors' live sockets, by conversation.
 *
 * Protocol (src/protocol/gateway.ts): the first frame must be `{"type":"auth","token":…}` within 10 s
 * (else 4408); a refused token closes with 4401 and the error code as reason; then `ready`.
 * `ping` → `pong`; a later `auth` with a fresh token of the same conversation extends the socket
 * (another conversation's: 4403). Non-JSON, binary or invalid frames close with 4400, frames over
 * 4 KB with 1009, more than 120 frames a minute with 4429, an expired token with 4401.
 *
 * @example
 * ```ts
 * server.on('upgrade', (req, socket, head) => {
 *   if (!hub.handleUpgrade(req, socket, head)) socket.destroy();
 * });
 * ```
 */
export class LiveHub {
  private readonly o: LiveHubOptions;
  private readonly allowed: ReadonlySet<string>;
  private readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: LIVE_MAX_FRAME_BYTES,
    perMessageDeflate: false,
    clientTracking: false,
  });
  private readonly clients = new Set<LiveClient>();
  private readonly byConversation = new Map<string, Set<LiveClient>>();
  private readonly heartbeat: ReturnType<typeof setInterval>;
  private readonly revocationSweep: ReturnType<typeof setInterval>;
  private accepting = false;
  private closing = false;
  /** A store outage refused a socket, and none has authenticated since: it is reported already. */
  private storeAway = false;
  /** A heartbeat pass and a revocation sweep yield between slices: neither overlaps the one before. */
  private readonly beat = oneAtATime(() => this.beatOnce());
  private readonly sweepRevoked = oneAtATime(() => this.sweepOnce());

  constructor(options: LiveHubOptions) {
    this.o = options;
    this.allowed = new Set(options.allowedOrigins);
    this.heartbeat = setInterval(() => void this.beat(), options.heartbeatMs ?? 30_000);
    this.heartbeat.unref();
    this.revocationSweep = setInterval(() => void this.sweepRevoked(), options.revocationCheckMs ?? 60_000);
    this.revocationSweep.unref();
  }

  /** Open sockets (authenticated or not). */
  get size(): number {
    return this.clients.size;
  }

  /**
   * Takes a Node `upgrade` event if its path ends in `/v1/live`; returns false otherwise (the
   * caller then handles or destroys the socket). A disallowed Origin gets 403, a flood 429.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const path = (req.url ?? '').split('?')[0] ?? '';
    if (!/\/v1\/live\/?$/.test(path)) return false;
    // Node removes the HTTP server's `error` listener from an upgraded socket: without one, a
    // client that resets the connection while we answer (ECONNRESET) would crash the process.
    socket.on('error', () => socket.destroy());
    const origin = req.headers.origin;
    if (origin !== undefined && !this.allowed.has(origin)) {
      this.reject(
        socket,
        403,
        'Forbidden',
        'origin_not_allowed',
        `This origin is not allowed to use the chat service (received Origin ${JSON.stringify(origin.slice(0, 200))}).`,
      );
      return true;
    }
    if (this.closing || !this.accepting) {
      this.reject(
        socket,
        503,
        'Service Unavailable',
        this.closing ? 'restarting' : 'gateway_starting',
        'The chat service is starting or restarting. Reconnect in a moment.',
      );
      return true;
    }
    void this.admit(req).then(
      (ok) => {
        if (this.closing)
          return this.reject(socket, 503, 'Service Unavailable', 'restarting', 'The chat service is restarting. Reconnect in a moment.');
        if (!ok)
          return this.reject(
            socket,
            429,
            'Too Many Requests',
            'rate_limited',
            'Too many live connections from this address. Retry in a minute.',
          );
        this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
      },
      () => socket.destroy(),
    );
    return true;
  }

  /** Answers an upgrade with an HTTP error, counted like the companion's other error responses. */
  private reject(socket: Duplex, status: number, reason: string, code: string, message: string): void {
    this.o.metrics?.httpError(code, status);
    if (code === 'rate_limited') this.o.metrics?.rateLimited('live_connects');
    rejectUpgrade(socket, status, reason, code, message);
  }

  private async admit(req: IncomingMessage): Promise<boolean> {
    if (!this.o.rateLimitStore) return true;
    const ip = this.o.clientIp?.(req) ?? req.socket.remoteAddress ?? 'unknown';
    const hit = await this.o.rateLimitStore.hit(`gateway:live:${ip}`, 60_000, this.o.now());
    return hit.count <= (this.o.connectsPerMinute ?? 60);
  }

  private accept(ws: WebSocket): void {
    const client: LiveClient = {
      ws,
      visitor: undefined,
      started: false,
      authTimer: undefined,
      expiryTimer: undefined,
      alive: true,
      frames: 0,
      windowStart: this.o.now(),
    };
    this.clients.add(client);
    client.authTimer = setTimeout(
      () => this.drop(client, LiveCloseCode.authTimeout, 'auth_timeout'),
      this.o.authTimeoutMs ?? LIVE_AUTH_TIMEOUT_MS,
    );
    ws.on('message', (data, isBinary) => void this.onFrame(client, data, isBinary));
    ws.on('pong', () => (client.alive = true));
    ws.on('error', () => {
      // ws closes the socket itself (1009 for a frame over maxPayload); nothing else to do.
    });
    ws.on('close', () => this.forget(client));
  }

  private async onFrame(client: LiveClient, data: RawData, isBinary: boolean): Promise<void> {
    const t = this.o.now();
    if (t - client.windowStart >= 60_000) {
      client.windowStart = t;
      client.frames = 0;
    }
    if (++client.frames > LIVE_MAX_FRAMES_PER_MINUTE) return this.drop(client, LiveCloseCode.tooManyFrames, 'too_many_frames');
    if (isBinary) return this.drop(client, LiveCloseCode.invalidFrame, 'binary frames are not accepted');
    let json: unknown;
    try {
      json = JSON.parse(data.toString());
    } catch {
      return this.drop(client, LiveCloseCode.invalidFrame, 'frame is not JSON');
    }
    const parsed = clientFrameSchema.safeParse(json);
    if (!parsed.success)
      return this.drop(client, LiveCloseCode.invalidFrame, 'invalid frame: expected {"type":"auth","token"} or {"type":"ping"}');
    const frame = parsed.data;
    const first = !client.started;
    client.started = true;
    if (first && frame.type !== 'auth')
      return this.drop(client, LiveCloseCode.invalidFrame, 'the first frame must be {"type":"auth","token"}');
    if (frame.type === 'ping') {
      this.send(client, { type: 'pong' });
      return;
    }
    await this.authenticate(client, frame.token);
  }

  private async authenticate(client: LiveClient, token: string): Promise<void> {
    let visitor: AuthenticatedVisitor;
    try {
      visitor = await this.o.authenticate(token);
    } catch (e) {
      if (e instanceof PortholeTokenError) return this.drop(client, LiveCloseCode.unauthorized, e.code);
      if (isStoreUnavailable(e)) {
        // Every widget reconnects during an outage: one line for all of them, not an error per
        // socket (the store guard logs the outage itself, once, as an error).
        if (!this.storeAway)
          this.o.logger.warn({
            msg: 'gateway live auth: store unreachable; new sockets are closed with 1011 until it answers',
            error: e.detail,
          });
        this.storeAway = true;
        return this.drop(client, LiveCloseCode.internalError, 'internal_error');
      }
      this.o.logger.error({ msg: 'gateway live auth failed', error: e instanceof Error ? e.message : String(e) });
      this.o.onError?.(e, { source: 'background' });
      return this.drop(client, LiveCloseCode.internalError, 'internal_error');
    }
    this.storeAway = false;
    if (client.ws.readyState !== client.ws.OPEN) return;
    if (client.visitor && client.visitor.conversationId !== visitor.conversationId)
      return this.drop(client, LiveCloseCode.wrongConversation, 'wrong_conversation');
    if (client.authTimer) clearTimeout(client.authTimer);
    client.authTimer = undefined;
    if (client.expiryTimer) clearTimeout(client.expiryTimer);
    client.expiryTimer = setTimeout(
      () => this.drop(client, LiveCloseCode.unauthorized, 'token_expired'),
      Math.max(0, visitor.expiresAt - this.o.now()),
    );
    if (!client.visitor) {
      let set = this.byConversation.get(visitor.conversationId);
      if (!set) this.byConversation.set(visitor.conversationId, (set = new Set()));
      set.add(client);
    }
    client.visitor = visitor;
    this.send(client, { type: 'ready', userId: visitor.userId, expiresAt: visitor.expiresAt });
  }

  private send(client: LiveClient, frame: ServerFrame): boolean {
    const { ws } = client;
    if (ws.readyState !== ws.OPEN) return false;
    if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      ws.terminate();
      return false;
    }
    ws.send(JSON.stringify(frame));
    return true;
  }

  private drop(client: LiveClient, code: number, reason: string): void {
    this.forget(client);
    if (client.ws.readyState === client.ws.OPEN || client.ws.readyState === client.ws.CONNECTING)
      client.ws.close(code, reason.slice(0, 120));
  }

  private forget(client: LiveClient): void {
    if (client.authTimer) clearTimeout(client.authTimer);
    if (client.expiryTimer) clearTimeout(client.expiryTimer);
    client.authTimer = client.expiryTimer = undefined;
    this.clients.delete(client);
    const id = client.visitor?.conversationId;
    const set = id === undefined ? undefined : this.byConversation.get(id);
    if (set) {
      set.delete(client);
      if (set.size === 0) this.byConversation.delete(id!);
    }
  }

  private beatOnce(): Promise<void> {
    return inSlices([...this.clients], (client) => {
      if (!this.clients.has(client)) return;
      if (!client.alive) {
        client.ws.terminate();
        this.forget(client);
        return;
      }
      client.alive = false;
      client.ws.ping();
    });
  }

  /**
   * A safety net: a logout closes its sockets at once (here, and on the other instances through
   * Redis); this catches a revocation whose announcement was lost.
   */
  private async sweepOnce(): Promise<void> {
    let failed = false;
    await inSlices([...this.byConversation.keys()], async (conversationId) => {
      try {
        const before = await this.o.revokedBefore(conversationId);
        if (before === undefined) return;
        for (const client of [...(this.byConversation.get(conversationId) ?? [])])
          if (client.visitor && client.visitor.issuedAt <= before) this.drop(client, LiveCloseCode.unauthorized, 'token_revoked');
      } catch (e) {
        if (!failed) this.o.logger.warn({ msg: 'gateway live revocation check failed', error: e instanceof Error ? e.message : String(e) });
        failed = true;
      }
    });
  }

  /** Starts accepting sockets (until then upgrades get 503). */
  open(): void {
    this.accepting = !this.closing;
  }

  /** Sends a frame to every authenticated socket of a conversation; returns how many. */
  publish(conversationId: string, frame: ServerFrame): number {
    let sent = 0;
    for (const client of this.byConversation.get(conversationId) ?? []) if (this.send(client, frame)) sent++;
    return sent;
  }

  /** Whether a conversation has authenticated sockets here. */
  has(conversationId: string): boolean {
    return this.byConversation.has(conversationId);
  }

  /** Closes every socket of a conversation (logout: 1000). */
  closeConversation(conversationId: string, code: number = LiveCloseCode.normal, reason = 'logged_out'): void {
    for (const client of [...(this.byConversation.get(conversationId) ?? [])]) this.drop(client, code, reason);
  }

  /** Closes every socket with 1012 (reconnect), still accepting new ones: their widgets resync. */
  reconnectAll(reason = 'resync'): void {
    for (const client of [...this.clients]) this.drop(client, LiveCloseCode.restarting, reason);
  }

  /** Closes every socket (1012: reconnect later) and refuses new ones. */
  async close(code: number = LiveCloseCode.restarting, reason = 'companion restarting'): Promise<void> {
    if (this.closing && this.clients.size === 0) return;
    this.closing = true;
    clearInterval(this.heartbeat);
    clearInterval(this.revocationSweep);
    const closed = [...this.clients].map(
      (client) =>
        new Promise<void>((resolve) => {
          if (client.ws.readyState === client.ws.CLOSED) return resolve();
          const timer = setTimeout(() => {
            client.ws.terminate();
            resolve();
          }, 2000);
          client.ws.once('close', () => {
            clearTimeout(timer);
            resolve();
          });
          this.drop(client, code, reason);
        }),
    );
    await Promise.all(closed);
    this.wss.close();
  }
}
