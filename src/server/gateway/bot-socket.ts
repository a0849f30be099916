// The bot's one WebSocket to Mattermost (/api/v4/websocket): every event of every thread of the
// support channel arrives here. Authenticates with a challenge frame (tokens in the URL are
// refused), reconnects with capped exponential backoff and jitter, and drops a silent socket.
import { WebSocket } from 'ws';
import { z } from 'zod';
import type { Logger } from '../logger.js';

/** A Mattermost WebSocket event (public/model/websocket_message.go), validated. */
export interface MattermostEvent {
  event: string;
  data: Record<string, unknown>;
  broadcast: { channel_id?: string; user_id?: string; team_id?: string };
  seq?: number;
}

const frameSchema = z.object({
  event: z.string().optional(),
  data: z.record(z.string(), z.unknown()).nullish(),
  broadcast: z
    .object({ channel_id: z.string().optional(), user_id: z.string().optional(), team_id: z.string().optional() })
    .passthrough()
    .nullish(),
  seq: z.number().optional(),
  status: z.string().optional(),
  seq_reply: z.number().optional(),
  error: z.object({ id: z.string().optional(), message: z.string().optional() }).passthrough().nullish(),
});

/** Where the bot's socket is. */
export type BotSocketState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'stopped';

/** What {@link BotSocket} needs. */
export interface BotSocketOptions {
  /** Mattermost base URL (http or https; the socket uses ws or wss). */
  mattermostUrl: string;
  /** The bot's access token. Secret. */
  token: string;
  logger: Logger;
  /** Every validated event. */
  onEvent(event: MattermostEvent): void;
  /** After each successful authentication; `reconnect` is false the first time. */
  onConnected(info: { reconnect: boolean }): void;
  /** When an authenticated socket was lost. */
  onDisconnected?(): void;
  /** A failure logged at error level (Mattermost refused the bot's token), for error tracking. */
  onError?(error: Error): void;
  /** Default: 500 ms; doubles per failed attempt up to `maxBackoffMs` (default 30 s), with jitter. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** A ws ping this often; no pong by the next one drops the socket. Default: 30 s. */
  heartbeatMs?: number;
  /** How long opening plus authentication may take. Default: 15 s. */
  connectTimeoutMs?: number;
  /** Jitter source, for tests. */
  random?: () => number;
}

/**
 * The bot's WebSocket to Mattermost.
 *
 * @example
 * ```ts
 * const socket = new BotSocket({ mattermostUrl, token, logger, onEvent: relay.handle, onConnected: relay.connected });
 * socket.start();
 * ```
 */
export class BotSocket {
  private readonly o: BotSocketOptions;
  private ws: WebSocket | undefined;
  private stateValue: BotSocketState = 'idle';
  private attempts = 0;
  private authenticatedOnce = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private connectTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: BotSocketOptions) {
    this.o = options;
  }

  /** The current state. */
  get state(): BotSocketState {
    return this.stateValue;
  }

  /** Connects (and keeps reconnecting until {@link stop}). */
  start(): void {
    if (this.stateValue !== 'idle') return;
    this.connect();
  }

  private url(): string {
    const u = new URL(`${this.o.mattermostUrl.replace(/\/+$/, '')}/api/v4/websocket`);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    return u.href;
  }

  private connect(): void {
    this.stateValue = this.authenticatedOnce ? 'reconnecting' : 'connecting';
    const ws = new WebSocket(this.url(), { perMessageDeflate: false, handshakeTimeout: this.o.connectTimeoutMs ?? 15_000 });
    this.ws = ws;
    let authenticated = false;
    let alive = true;
    this.connectTimer = setTimeout(() => ws.terminate(), this.o.connectTimeoutMs ?? 15_000);

    ws.on('open', () => {
      ws.send(JSON.stringify({ seq: 1, action: 'authentication_challenge', data: { token: this.o.token } }));
    });
    ws.on('pong', () => (alive = true));
    ws.on('message', (raw) => {
      alive = true;
      let json: unknown;
      try {
        json = JSON.parse(raw.toString());
      } catch {
        this.o.logger.warn({ msg: 'gateway bot socket: a frame from Mattermost is not JSON' });
        return;
      }
      const parsed = frameSchema.safeParse(json);
      if (!parsed.success) {
        this.o.logger.warn({ msg: 'gateway bot socket: unexpected frame shape from Mattermost' });
        return;
      }
      const frame = parsed.data;
      if (frame.seq_reply === 1 && !authenticated) {
        if (frame.status !== 'OK') {
          this.o.logger.error({ msg: 'gateway bot socket: Mattermost refused the bot token', error: frame.error?.id });
          this.o.onError?.(new Error(`Mattermost refused the bot's token on its WebSocket (${frame.error?.id ?? 'no error id'})`));
          ws.terminate();
          return;
        }
        authenticated = true;
        clearTimeout(this.connectTimer);
        const reconnect = this.authenticatedOnce;
        this.authenticatedOnce = true;
        this.attempts = 0;
        this.stateValue = 'connected';
        this.heartbeat = setInterval(() => {
          if (!alive) return ws.terminate();
          alive = false;
          ws.ping();
        }, this.o.heartbeatMs ?? 30_000);
        this.o.logger.info({ msg: 'gateway bot socket connected', reconnect });
        this.o.onConnected({ reconnect });
        return;
      }
      if (frame.event && authenticated) {
        this.o.onEvent({ event: frame.event, data: frame.data ?? {}, broadcast: frame.broadcast ?? {}, seq: frame.seq });
      }
    });
    ws.on('error', (err) => {
      this.o.logger.warn({ msg: 'gateway bot socket error', error: err.message });
    });
    ws.on('close', (code) => {
      clearTimeout(this.connectTimer);
      if (this.heartbeat) clearInterval(this.heartbeat);
      this.heartbeat = undefined;
      if (this.ws === ws) this.ws = undefined;
      if (authenticated) {
        if (this.stateValue === 'stopped') this.o.logger.info({ msg: 'gateway bot socket closed', code });
        else {
          this.o.logger.warn({ msg: 'gateway bot socket lost', code });
          this.stateValue = 'reconnecting'; // before onDisconnected, which may read it
        }
        this.o.onDisconnected?.();
      }
      if (this.stateValue === 'stopped') return;
      this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    const min = this.o.minBackoffMs ?? 500;
    const max = this.o.maxBackoffMs ?? 30_000;
    const base = Math.min(max, min * 2 ** this.attempts);
    const delay = Math.round(base * (0.5 + (this.o.random ?? Math.random)() * 0.5));
    this.attempts = Math.min(this.attempts + 1, 30);
    this.stateValue = this.authenticatedOnce ? 'reconnecting' : 'connecting';
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.stateValue !== 'stopped') this.connect();
    }, delay);
    // The companion's server keeps the process alive; a retry alone should not.
    this.retryTimer.unref();
  }

  /** Drops the current socket (it reconnects, as after a network failure). For tests and ops. */
  dropConnection(): void {
    this.ws?.terminate();
  }

  /** Closes the socket for good. */
  async stop(): Promise<void> {
    this.stateValue = 'stopped';
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.heartbeat) clearInterval(this.heartbeat);
    clearTimeout(this.connectTimer);
    const ws = this.ws;
    if (!ws || ws.readyState === ws.CLOSED) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        ws.terminate();
        resolve();
      }, 2000);
      ws.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      if (ws.readyState === ws.CONNECTING) ws.terminate();
      else ws.close(1000);
    });
  }
}
