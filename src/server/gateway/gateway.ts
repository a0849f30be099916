// Gateway mode, assembled: the visitor API routes, the `/v1/live` socket, the bot account, the
// bot's socket to Mattermost and the relay between them, over one store.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import os from 'node:os';
import type { Duplex } from 'node:stream';
import type { Context, Hono } from 'hono';
import { HttpError } from '../errors.js';
import { createJsonLogger, type Logger } from '../logger.js';
import { MemoryRateLimitStore, type RateLimitStore } from '../rate-limit.js';
import { ensureBotAccount, type BotAccount } from './bot-account.js';
import { BotSocket, type BotSocketState } from './bot-socket.js';
import type { GatewayConfig } from './config.js';
import { ConversationService } from './conversation-service.js';
import { LiveHub } from './live-hub.js';
import { MattermostRestClient, type BotProvisioningApi, type GatewayMattermost } from './mattermost-api.js';
import { Relay } from './relay.js';
import type { GatewayStore } from './store.js';
import { authenticateVisitor } from './visitor-auth.js';
import { visitorRoutes } from './visitor-routes.js';

/** Optional collaborators of {@link createGateway}; the defaults suit production. */
export interface GatewayDeps {
  /** Log sink. Default: JSON lines on stdout. */
  logger?: Logger;
  /** The store. Default: SQLite in `config.dataDir`, opened by `start()` and closed by `stop()`. */
  store?: GatewayStore;
  /** Rate-limit counters (per conversation and per address). Default: in memory. */
  rateLimitStore?: RateLimitStore;
  /** Clock in ms. */
  now?: () => number;
  /** The client address of a request. Default: `X-Forwarded-For`'s first hop with `trustProxy`, else the Node socket's address. */
  clientIp?: (c: Context) => string | undefined;
  /** A Mattermost REST client acting with `token`. Default: {@link MattermostRestClient}. */
  mattermost?: (token: string) => GatewayMattermost & BotProvisioningApi;
  /** Reconnection and heartbeat timing of the bot's socket (tests shorten them). */
  botSocket?: { minBackoffMs?: number; maxBackoffMs?: number; heartbeatMs?: number };
  /** How long `start()` waits for the bot's socket before going on without it. Default: 10 s. */
  connectWaitMs?: number;
  /** This instance's name in store locks. Default: host name + random. */
  instanceId?: string;
}

/** What the gateway reports for `/readyz`. */
export interface GatewayStatus {
  started: boolean;
  /** The bot's socket to Mattermost; live events flow only when `connected`. */
  botSocket: BotSocketState;
  botUserId: string | undefined;
  /** Open `/v1/live` sockets on this instance. */
  liveSockets: number;
}

/** Gateway mode, ready to mount. */
export interface Gateway {
  /**
   * The visitor API: `POST/DELETE /v1/session`, `GET/POST /v1/messages`, `POST /v1/typing`,
   * `GET /v1/agents`. Mount at the companion's root (`app.route('/', gateway.routes)`) behind its
   * request-id, CORS (allow GET too) and error-handler middleware. Before `start()`, all but
   * `POST /v1/session` answer 503 `gateway_starting`.
   */
  routes: Hono;
  /** The `/v1/live` WebSocket, for Node's http server `upgrade` event. */
  live: {
    /** Takes the upgrade if its path ends in `/v1/live` (returns true), else returns false. */
    handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  };
  /**
   * Opens the store, ensures the bot (creating it with the admin token when needed), and connects
   * the bot's socket (waiting up to `connectWaitMs` for it; it keeps retrying after).
   *
   * @throws {GatewayStartError} / {StoreOpenError} with what to change.
   */
  start(): Promise<void>;
  /** Closes the live sockets (1012), the bot's socket and the store it opened. Final: create a new gateway to start again. */
  stop(): Promise<void>;
  status(): GatewayStatus;
}

const starting = () =>
  new HttpError(503, 'gateway_starting', 'The chat service is starting. Try again in a moment.', { headers: { 'Retry-After': '2' } });

/** A stand-in that forwards to `get()` once it is set, and answers 503 before. */
function deferred<T extends object>(get: () => T | undefined): T {
  return new Proxy({} as T, {
    get(_, prop) {
      const target = get();
      if (!target) throw starting();
      const value = (target as Record<PropertyKey, unknown>)[prop];
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

function forwardedFor(header: string | string[] | undefined): string | undefined {
  const first = (Array.isArray(header) ? header[0] : header)?.split(',')[0]?.trim();
  return first || undefined;
}

/**
 * Creates gateway mode from its configuration. Nothing touches Mattermost or the disk until
 * `start()`.
 *
 * @example
 * ```ts
 * const gateway = createGateway(loadGatewayConfig(process.env));
 * app.route('/', gateway.routes);
 * server.on('upgrade', (req, socket, head) => gateway.live.handleUpgrade(req, socket, head) || socket.destroy());
 * await gateway.start();
 * ```
 */
export function createGateway(config: GatewayConfig, deps: GatewayDeps = {}): Gateway {
  const logger = deps.logger ?? createJsonLogger();
  const now = deps.now ?? Date.now;
  const clientFor = deps.mattermost ?? ((token: string) => new MattermostRestClient({ url: config.mattermostUrl, token }));
  const rateLimitStore = deps.rateLimitStore ?? new MemoryRateLimitStore();
  const instanceId = deps.instanceId ?? `${os.hostname()}:${randomUUID()}`;
  const clientIp = (c: Context): string => {
    const chosen = deps.clientIp ? deps.clientIp(c) : config.trustProxy ? forwardedFor(c.req.header('X-Forwarded-For')) : undefined;
    return (
      chosen ?? (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket?.remoteAddress ?? 'unknown'
    );
  };

  let store: GatewayStore | undefined;
  let ownsStore = false;
  let bot: BotAccount | undefined;
  let api: GatewayMattermost | undefined;
  let botSocket: BotSocket | undefined;
  let relay: Relay | undefined;
  let started = false;
  let stopped = false;

  const storeHandle = deferred(() => store);
  const apiHandle = deferred(() => api);
  const botOf = (): BotAccount => {
    if (!bot) throw starting();
    return bot;
  };

  const hub = new LiveHub({
    allowedOrigins: config.allowedOrigins,
    authenticate: (token) => authenticateVisitor(token, { tokenSecret: config.tokenSecret, store: storeHandle, now }),
    revokedBefore: (conversationId) => storeHandle.getRevokedBefore(conversationId),
    logger,
    now,
    rateLimitStore,
    clientIp: (req) =>
      (config.trustProxy ? forwardedFor(req.headers['x-forwarded-for']) : undefined) ?? req.socket.remoteAddress ?? 'unknown',
  });

  const conversations = new ConversationService({
    api: apiHandle,
    store: storeHandle,
    bot: botOf,
    tokenSecret: config.tokenSecret,
    visitorIconUrl: config.visitorIconUrl,
    logger,
    now,
    instanceId,
  });

  const routes = visitorRoutes({
    config,
    conversations,
    store: storeHandle,
    rateLimitStore,
    clientIp,
    onLogout: (conversationId) => hub.closeConversation(conversationId),
    logger,
    now,
  });

  return {
    routes,
    live: {
      handleUpgrade: (req, socket, head) => hub.handleUpgrade(req, socket, head),
    },
    async start() {
      if (started) return;
      if (stopped) throw new Error('This gateway was stopped; create a new one with createGateway().');
      if (!store) {
        if (deps.store) store = deps.store;
        else {
          const { SqliteGatewayStore } = await import('./sqlite-store.js');
          store = SqliteGatewayStore.open(config.dataDir);
          ownsStore = true;
        }
      }
      const account = await ensureBotAccount({
        adminToken: config.adminToken,
        botToken: config.botToken,
        botUsername: config.botUsername,
        botDisplayName: config.botDisplayName,
        supportChannelId: config.supportChannelId,
        store,
        clientFor,
        logger,
      });
      bot = account;
      api = clientFor(account.token);
      const r = new Relay({ api, store, hub, bot: () => account, logger, now });
      relay = r;
      let resolveConnected!: () => void;
      const connected = new Promise<void>((resolve) => (resolveConnected = resolve));
      botSocket = new BotSocket({
        mattermostUrl: config.mattermostUrl,
        token: account.token,
        logger,
        onEvent: r.handle,
        onConnected: (info) => {
          r.connected(info);
          resolveConnected();
        },
        ...deps.botSocket,
      });
      botSocket.start();
      hub.open();
      started = true;
      const wait = deps.connectWaitMs ?? 10_000;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), wait)));
      if (await Promise.race([connected.then(() => false), timedOut])) {
        logger.warn({ msg: 'gateway: the bot socket is not connected yet; live events start when it is', waitedMs: wait });
      }
      clearTimeout(timer);
      await r.idle();
      logger.info({ msg: 'gateway started', botUserId: account.userId, supportChannelId: account.channelId, teamId: account.teamId });
    },
    async stop() {
      await hub.close();
      relay?.stop();
      await botSocket?.stop();
      await relay?.idle();
      if (ownsStore) await store?.close();
      stopped = true;
    },
    status: () => ({ started, botSocket: botSocket?.state ?? 'idle', botUserId: bot?.userId, liveSockets: hub.size }),
  };
}
