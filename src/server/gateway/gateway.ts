// Gateway mode, assembled: the visitor API routes, the `/v1/live` socket, the bot account, the
// bot's socket to Mattermost and the relay between them, over one store.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import os from 'node:os';
import type { Duplex } from 'node:stream';
import type { Context, Hono } from 'hono';
import type { Redis } from 'ioredis';
import { noAuditLog, type AuditLog } from '../audit-log.js';
import { addressKey, defaultClientIp, upgradeClientIp } from '../client-address.js';
import { HttpError, type ErrorReporter } from '../errors.js';
import { createJsonLogger, type Logger } from '../logger.js';
import { noMetrics, type CompanionMetrics } from '../metrics.js';
import { enforceRateLimit, MemoryRateLimitStore, type RateLimitStore } from '../rate-limit.js';
import { ensureBotAccount, type BotAccount } from './bot-account.js';
import { BotSocket, type BotSocketState } from './bot-socket.js';
import { BOT_SOCKET_GRACE_MS, BotSocketWatch, redisBotSocketPeers } from './bot-socket-watch.js';
import type { StoreEpochWatch } from './store-epoch.js';
import type { GatewayConfig } from './config.js';
import { ConversationService } from './conversation-service.js';
import { Forwarder, type ForwarderTiming } from './forwarder.js';
import { ensureBotOrKept } from './offline-start.js';
import { LiveCloseCode } from '../../protocol/gateway.js';
import { GatewayPrivacy } from './erasure.js';
import { LiveHub } from './live-hub.js';
import { displayName, MattermostRestClient, type BotProvisioningApi, type GatewayMattermost } from './mattermost-api.js';
import { Relay } from './relay.js';
import type { GatewayStore } from './store.js';
import { privacyRoutes } from './privacy-routes.js';
import { agentDirectory, agentRoutes } from './agent-routes.js';
import { pageRoutes } from './page-routes.js';
import { eraseIdleGatewayConversations } from '../retention.js';
import { guardStore } from './store-guard.js';
import { authenticateVisitor } from './visitor-auth.js';
import { visitorRoutes } from './visitor-routes.js';
import { visitorAuthenticator } from './visitor-guard.js';
import { fileRoutes } from './file-routes.js';

/** Optional collaborators of {@link createGateway}; the defaults suit production. */
export interface GatewayDeps {
  /** Log sink. Default: JSON lines on stdout. */
  logger?: Logger;
  /**
   * The store. Default: Redis's when `redis` is given (shared by every instance), else SQLite in
   * `config.dataDir`, opened by `start()` and closed by `stop()`.
   */
  store?: GatewayStore;
  /** Rate-limit counters (per conversation and per address). Default: in memory. */
  rateLimitStore?: RateLimitStore;
  /**
   * A connected Redis shared by several instances: the default store, and the channel on which an
   * instance tells the others to close a logged-out conversation's sockets. The caller closes it.
   */
  redis?: Redis;
  /** Prefix of Redis keys and channels. Default: `porthole:`. */
  redisPrefix?: string;
  /** Clock in ms. */
  now?: () => number;
  /** The client address of a request. Default: `X-Forwarded-For`'s first hop with `trustProxy`, else the Node socket's address. */
  clientIp?: (c: Context) => string | undefined;
  /** A Mattermost REST client acting with `token`. Default: {@link MattermostRestClient}. */
  mattermost?: (token: string) => GatewayMattermost & BotProvisioningApi;
  /** Reconnection and heartbeat timing of the bot's socket (tests shorten them). */
  botSocket?: { minBackoffMs?: number; maxBackoffMs?: number; heartbeatMs?: number };
  /**
   * How long the bot's socket may be down, and another instance's connected, before `/readyz`
   * calls it this instance's fault (see `BotSocketWatch` in bot-socket-watch.ts). Default: 60 s.
   */
  botSocketGraceMs?: number;
  /** How often the bot socket's state is reported to the other instances through Redis. Default: 10 s. */
  botSocketReportMs?: number;
  /** How often the Redis store's epoch is checked (see `StoreEpochWatch` in store-epoch.ts). Default: 30 s. */
  storeEpochCheckMs?: number;
  /** How long `start()` waits for the bot's socket before going on without it. Default: 10 s. */
  connectWaitMs?: number;
  /** This instance's name in store locks. Default: host name + random. */
  instanceId?: string;
  /** Audit sink (identified sessions, refused identities, logouts). Default: none. */
  audit?: AuditLog;
  /** What the gateway counts (sessions, conversations, messages relayed, Mattermost calls, rate limits). Default: nothing. */
  metrics?: CompanionMetrics;
  /** Timing of the store-and-forward forwarder (tests shorten it). */
  forwarder?: ForwarderTiming;
  /** Told of background failures (relay, live sockets, the bot's socket). Default: none. */
  onError?: ErrorReporter;
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

/** Redis channel (after the prefix) on which instances announce logouts: the message is the conversation id. */
export const LOGOUT_CHANNEL = 'gw:logout';

/** Gateway mode, ready to mount. */
export interface Gateway {
  /**
   * The visitor API: `POST/DELETE /v1/session`, `GET/POST /v1/messages`, `POST /v1/typing`,
   * `GET /v1/agents`, `GET /v1/transcript`, `DELETE /v1/conversation`. Mount at the companion's root (`app.route('/', gateway.routes)`) behind its
   * request-id, CORS (allow GET too) and error-handler middleware. Before `start()`, all but
   * `POST /v1/session` answer 503 `gateway_starting`.
   */
  routes: Hono;
  /**
   * Export and erasure (`GET /v1/transcript` and `DELETE /v1/conversation` among the routes; the
   * CLI and the retention job call it directly). Usable once `start()` has run.
   */
  privacy: GatewayPrivacy;
  /**
   * Erases the conversations last active more than `idleMs` before `at` (retention; see
   * `eraseIdleGatewayConversations`); returns how many. Needs `start()` first.
   */
  eraseIdleConversations(idleMs: number, at: number): Promise<number>;
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
  /** Closes the live sockets with 1012 `draining` and refuses new ones; the visitor API keeps serving requests in flight. */
  drain(): Promise<void>;
  /** Closes the live sockets (1012), the bot's socket and the store it opened. Final: create a new gateway to start again. */
  stop(): Promise<void>;
  status(): GatewayStatus;
  /**
   * Whether the bot's socket being down is this instance's own fault: down for longer than the
   * grace while another instance's (through Redis) has been connected that long. Never without Redis.
   */
  botSocketOwnFault(): Promise<boolean>;
  /**
   * When this instance noticed that Redis lost the store's data (see `StoreEpochWatch` in store-epoch.ts), for
   * 15 minutes after; undefined otherwise, and without the Redis store.
   */
  storeDataLostAt(): number | undefined;
  /** Whether the store answers one read (false before `start()`, or when it fails). */
  storeReachable(): Promise<boolean>;
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
  const metrics = deps.metrics ?? noMetrics;
  const onError: ErrorReporter = deps.onError ?? (() => {});
  const clientFor =
    deps.mattermost ?? ((token: string) => new MattermostRestClient({ url: config.mattermostUrl, token, metrics: deps.metrics }));
  const rateLimitStore = deps.rateLimitStore ?? new MemoryRateLimitStore();
  const instanceId = deps.instanceId ?? `${os.hostname()}:${randomUUID()}`;
  const clientIp = (c: Context): string => addressKey(deps.clientIp ? deps.clientIp(c) : defaultClientIp(c, config.trustProxy));
  const prefix = deps.redisPrefix ?? 'porthole:';
  let subscriber: Redis | undefined;
  let botSocket: BotSocket | undefined;
  let storeEpoch: StoreEpochWatch | undefined;
  const botSocketWatch = new BotSocketWatch({
    instanceId,
    isConnected: () => botSocket?.state === 'connected',
    peers: deps.redis && redisBotSocketPeers(deps.redis, prefix, logger),
    graceMs: deps.botSocketGraceMs ?? BOT_SOCKET_GRACE_MS,
    reportEveryMs: deps.botSocketReportMs,
    now,
    logger,
  });

  let store: GatewayStore | undefined;
  let ownsStore = false;
  let bot: BotAccount | undefined;
  let api: GatewayMattermost | undefined;
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
    connectsPerMinute: config.liveConnectsPerMinute,
    clientIp: (req) => addressKey(upgradeClientIp(req, config.trustProxy)),
    metrics,
    onError,
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
    metrics,
    admitNewConversation: () =>
      enforceRateLimit(
        rateLimitStore,
        {
          key: 'gateway:new-conversations',
          limit: config.newConversationsPerMinute,
          what: 'new conversations',
          name: 'new_conversations',
          metrics,
          onRefused: () =>
            logger.warn({ msg: 'gateway: the budget of new conversations is spent', perMinute: config.newConversationsPerMinute }),
          message: (limit, retryAfter) =>
            `The chat service is taking too many new conversations right now (at most ${limit} a minute). Retry after ${retryAfter} s.`,
        },
        now(),
      ),
  });

  /** Closes a conversation's live sockets here and, through Redis, on the other instances (logout, erasure). */
  const closeConversation = (conversationId: string) => {
    hub.closeConversation(conversationId);
    // The visitor's other tabs may hold sockets on other instances.
    deps.redis?.publish(`${prefix}${LOGOUT_CHANNEL}`, conversationId).catch((e: unknown) =>
      logger.warn({
        msg: 'gateway: could not announce a logout to the other instances; their sockets of it close at the next revocation sweep',
        error: e instanceof Error ? e.message : String(e),
      }),
    );
  };

  // Offline part: store and forward while Mattermost is unreachable.
  const forwarder = new Forwarder({ conversations, store: storeHandle, logger, now, instanceId, metrics, ...deps.forwarder });

  // Agents and availability: the configured agents (PORTHOLE_AGENTS, else the channel's people).
  const agentIds = agentDirectory(apiHandle, config.availability, config.supportChannelId, () => botOf().userId, now);
  const routes = visitorRoutes({
    config,
    conversations,
    // Named before they post ("Ada is typing…") only when the site lists them (PORTHOLE_AGENTS).
    configuredAgents: config.availability?.agents
      ? async () => (await apiHandle.getUsersByIds(await agentIds())).map((u) => ({ userId: u.id, name: displayName(u) }))
      : undefined,
    forwarder,
    store: storeHandle,
    rateLimitStore,
    clientIp,
    onLogout: closeConversation,
    audit: deps.audit,
    metrics,
    logger,
    now,
  });

  const privacy = new GatewayPrivacy({
    store: storeHandle,
    api: apiHandle,
    admin: config.adminToken ? clientFor(config.adminToken) : undefined,
    bot: botOf,
    closeConversation,
    audit: deps.audit ?? noAuditLog,
    logger,
    now,
    instanceId,
  });
  routes.route('/', privacyRoutes({ config, privacy, store: storeHandle, rateLimitStore, clientIp, metrics, now }));
  // Files: POST /v1/files, GET /v1/files/:fileId.
  routes.route(
    '/',
    fileRoutes({
      config,
      conversations,
      store: storeHandle,
      api: apiHandle,
      admin: config.adminToken ? clientFor(config.adminToken) : undefined,
      rateLimitStore,
      visitorOf: visitorAuthenticator({ tokenSecret: config.tokenSecret, store: storeHandle, now }),
      metrics,
      logger,
      now,
    }),
  );
  // Page reports (opt-in in the widget): POST /v1/conversation/page.
  routes.route('/', pageRoutes({ config, api: apiHandle, store: storeHandle, rateLimitStore, clientIp, metrics, now }));
  // Agents and availability: GET /v1/availability, GET /v1/agents/:userId/image.
  routes.route(
    '/',
    agentRoutes({
      config,
      conversations,
      agentIds,
      api: apiHandle,
      botUserId: () => botOf().userId,
      store: storeHandle,
      rateLimitStore,
      metrics,
      logger,
      now,
    }),
  );

  return {
    routes,
    privacy,
    eraseIdleConversations: (idleMs, at) =>
      eraseIdleGatewayConversations({ privacy, store: storeHandle, instanceId, now, logger }, { idleMs, at }),
    live: {
      handleUpgrade: (req, socket, head) => hub.handleUpgrade(req, socket, head),
    },
    async start() {
      if (started) return;
      if (stopped) throw new Error('This gateway was stopped; create a new one with createGateway().');
      if (!store) {
        if (deps.store) store = deps.store;
        else if (deps.redis) {
          const [{ RedisGatewayStore }, { StoreEpochWatch }] = await Promise.all([import('./redis-store.js'), import('./store-epoch.js')]);
          store = new RedisGatewayStore(deps.redis, { prefix });
          ownsStore = true;
          storeEpoch = new StoreEpochWatch({ redis: deps.redis, prefix, logger, now, checkEveryMs: deps.storeEpochCheckMs });
          // Redis down at start: the first check that reaches it takes the epoch.
          await storeEpoch.start().catch(() => {});
        } else {
          const { SqliteGatewayStore } = await import('./sqlite-store.js');
          store = SqliteGatewayStore.open(config.dataDir);
          ownsStore = true;
        }
        store = guardStore(store, logger);
      }
      const ensureOptions = {
        adminToken: config.adminToken,
        botToken: config.botToken,
        botUsername: config.botUsername,
        botDisplayName: config.botDisplayName,
        supportChannelId: config.supportChannelId,
        store,
        clientFor,
        logger,
        instanceId,
      };
      // Offline part: with Mattermost down, start from the account kept by the last start.
      const account = await ensureBotOrKept(() => ensureBotAccount(ensureOptions), {
        store,
        logger,
        supportChannelId: config.supportChannelId,
        botToken: config.botToken,
      });
      bot = account;
      api = clientFor(account.token);
      const r = new Relay({ api, store, hub, bot: () => account, logger, now, metrics, onError });
      relay = r;
      let resolveConnected!: () => void;
      const connected = new Promise<void>((resolve) => (resolveConnected = resolve));
      botSocket = new BotSocket({
        mattermostUrl: config.mattermostUrl,
        token: account.token,
        logger,
        onError: (error) => onError(error, { source: 'background' }),
        onEvent: r.handle,
        onConnected: (info) => {
          botSocketWatch.sample();
          r.connected(info);
          forwarder.resume(); // offline part: Mattermost is back, deliver what was queued now
          resolveConnected();
        },
        onDisconnected: () => botSocketWatch.sample(),
        ...deps.botSocket,
      });
      botSocket.start();
      botSocketWatch.start();
      if (deps.redis) {
        const channel = `${prefix}${LOGOUT_CHANNEL}`;
        subscriber = deps.redis.duplicate({ enableOfflineQueue: true });
        subscriber.on('error', () => {}); // the main connection logs Redis's problems
        subscriber.on('message', (from: string, conversationId: string) => {
          if (from === channel) hub.closeConversation(conversationId);
        });
        await subscriber.subscribe(channel);
      }
      hub.open();
      started = true;
      forwarder.start();
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
    async drain() {
      await hub.close(LiveCloseCode.restarting, 'draining');
    },
    async stop() {
      await forwarder.stop();
      await hub.close();
      subscriber?.disconnect();
      relay?.stop();
      await botSocket?.stop();
      await botSocketWatch.stop();
      storeEpoch?.stop();
      await relay?.idle();
      if (ownsStore) await store?.close();
      stopped = true;
    },
    status: () => ({ started, botSocket: botSocket?.state ?? 'idle', botUserId: bot?.userId, liveSockets: hub.size }),
    botSocketOwnFault: () => botSocketWatch.ownFault(),
    storeDataLostAt: () => (storeEpoch?.lossReported() ? storeEpoch.lostAt : undefined),
    storeReachable: async () => {
      if (!store) return false;
      try {
        await store.getRevokedBefore('porthole-store-probe');
        return true;
      } catch {
        return false;
      }
    },
  };
}
