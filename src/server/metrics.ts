// The companion's Prometheus metrics: one prom-client Registry per companion (never the global
// one: several companions may share a process), counters the code moves as things happen, and
// gauges read at scrape time from the readiness report, the live hub, the store and the bot's socket.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { MiddlewareHandler } from 'hono';
import type { ReadinessReport } from './health-route.js';

/** How a `POST /v1/session` ended: a visitor seen for the first time, one who came back, or a refusal. */
export type SessionOutcome = 'new' | 'returning' | 'refused';

/** Which way a relayed message went (gateway mode: direct-mode messages never pass the companion). */
export type RelayDirection = 'to_mattermost' | 'to_visitor';

/** The limits whose refusals `porthole_rate_limited_total{limit}` counts. */
export type RateLimitName =
  | 'session_address'
  | 'session_site'
  | 'session_visitor'
  | 'reads'
  | 'sends'
  | 'typing'
  | 'live_connects'
  | 'new_conversations'
  | 'transcripts'
  | 'erasures'
  | 'privacy_address'
  | 'uploads';

/** Where the scrape-time gauges come from; each is read once per scrape. */
export interface MetricsSources {
  /** The `/readyz` report (`porthole_ready`, `porthole_mattermost_up`, `porthole_redis_up`, `porthole_seat_headroom`). */
  readiness(): Promise<ReadinessReport>;
  /** Open `/v1/live` sockets on this instance (gateway). */
  liveSockets?(): number;
  /** Whether the bot's socket to Mattermost is connected (gateway). */
  botSocketConnected?(): boolean;
  /** Whether the store answers (gateway). */
  storeUp?(): Promise<boolean>;
}

/**
 * What the companion counts. Every method is cheap and never throws; {@link noMetrics} does
 * nothing, so code built without metrics calls the same methods.
 */
export interface CompanionMetrics {
  /** False for {@link noMetrics}. */
  readonly enabled: boolean;
  /** Counts a `POST /v1/session`; `reason` (the error code) only with `refused`. */
  sessionMinted(outcome: SessionOutcome, reason?: string): void;
  /** Counts a conversation created in Mattermost (gateway: a thread; direct: a visitor channel). */
  conversationStarted(): void;
  /** Counts one visitor message posted to Mattermost, or one agent post delivered to a visitor. */
  messageRelayed(direction: RelayDirection): void;
  /**
   * Records one call to Mattermost's REST API. `path` is the called path (query and ids are
   * removed: see {@link mattermostRoute}); `status` is the HTTP status, or `error` without a response.
   */
  mattermostRequest(method: string, path: string, status: number | 'error', seconds: number): void;
  /** Counts one error response, by its error code and HTTP status. */
  httpError(code: string, status: number): void;
  /** Counts one request refused by a rate limit. */
  rateLimited(limit: RateLimitName): void;
  /** Offline part (store and forward): a visitor message queued while Mattermost was down, forwarded once it was back, or dropped (refused for good). */
  messageQueued?(event: 'queued' | 'forwarded' | 'dropped'): void;
  /** Files: counts one visitor upload stored in Mattermost through the gateway, and its bytes. */
  fileUploaded(bytes: number): void;
  /** Sets where the scrape-time gauges come from (called once the companion is assembled). */
  observe(sources: MetricsSources): void;
  /** The metrics in Prometheus's text format, the scrape-time gauges freshly read. */
  scrape(): Promise<string>;
  /** The `Content-Type` of {@link scrape}'s text. */
  readonly contentType: string;
}

/** Metrics that record nothing (no `PORTHOLE_METRICS_TOKEN`, unit tests). */
export const noMetrics: CompanionMetrics = {
  enabled: false,
  sessionMinted() {},
  conversationStarted() {},
  messageRelayed() {},
  mattermostRequest() {},
  httpError() {},
  rateLimited() {},
  fileUploaded() {},
  observe() {},
  scrape: async () => '',
  contentType: 'text/plain; version=0.0.4; charset=utf-8',
};

/** Options of {@link createCompanionMetrics}. */
export interface CompanionMetricsOptions {
  /** The `mode` label of the session and conversation counters; gateway mode also gets the live, store and bot gauges. */
  mode: 'gateway' | 'direct';
  /** Whether the instance uses Redis (`porthole_redis_up` exists only then). */
  redis: boolean;
  /** How long a scrape waits for the readiness report and the store before reporting them as down, ms. Default: 3000. */
  scrapeTimeoutMs?: number;
  /** Node's default metrics (`porthole_process_*`, `porthole_nodejs_*`). Default: true. */
  defaultMetrics?: boolean;
}

/** A 26-character Mattermost id (users, posts, channels, tokens…). */
const MM_ID = /^[a-z0-9]{26}$/;
/** A path word of Mattermost's API (`users`, `tokens`, `revoke`): lowercase letters and `_`, never an id's length. */
const STATIC_SEGMENT = /^[a-z][a-z_]{0,23}$/;
/** Segments after which the next one is a name, not a path word (`/users/username/{username}`). */
const NAMED_AFTER: Record<string, string> = { username: '{username}', name: '{name}', email: '{email}' };

/**
 * The route label of a Mattermost API path: the query is dropped and every segment that is not a
 * path word of the API becomes a placeholder, so a label never holds an id, a name or a token.
 *
 * @example
 * ```ts
 * mattermostRoute('/api/v4/users/abcdefghijklmnopqrstuvwxyz/tokens?page=0'); // '/api/v4/users/{id}/tokens'
 * mattermostRoute('/api/v4/teams/abcdefghijklmnopqrstuvwxyz/channels/name/porthole-1'); // '/api/v4/teams/{id}/channels/name/{name}'
 * ```
 */
export function mattermostRoute(path: string): string {
  const segments = (path.split(/[?#]/)[0] ?? '').split('/');
  return segments
    .map((segment, i) => {
      if (i === 0 || segment === '') return segment;
      const named = NAMED_AFTER[segments[i - 1] ?? ''];
      if (named && i > 1 && segments[i - 2] !== '') return named;
      if (i <= 2 && (segment === 'api' || /^v\d$/.test(segment))) return segment;
      return STATIC_SEGMENT.test(segment) && !MM_ID.test(segment) ? segment : '{id}';
    })
    .join('/');
}

/** An error code as a label: our codes are snake_case; anything else is `other` (labels must stay few). */
function codeLabel(code: string | undefined): string {
  return code !== undefined && /^[a-z][a-z0-9_]{0,63}$/.test(code) ? code : 'other';
}

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);

/** What one scrape learnt from the sources. */
interface Snapshot {
  report: ReadinessReport | undefined;
  storeUp: boolean | undefined;
}

function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([promise.catch(() => undefined), timeout]).finally(() => clearTimeout(timer));
}

/**
 * One companion's metrics, in their own prom-client `Registry`. Counters and the latency
 * histogram move as things happen; the gauges `porthole_ready`, `porthole_mattermost_up`,
 * `porthole_redis_up`, `porthole_store_up`, `porthole_bot_socket_connected`, `porthole_live_sockets`
 * and `porthole_seat_headroom` are read in their `collect()` at scrape time, from one readiness
 * evaluation per scrape (waited for at most `scrapeTimeoutMs`: a slow Mattermost reads as down).
 *
 * @example
 * ```ts
 * const metrics = new PrometheusCompanionMetrics({ mode: 'direct', redis: false });
 * metrics.observe({ readiness: () => checkReadiness({ admin, teamId, production: true }) });
 * metrics.sessionMinted('refused', 'rate_limited');
 * const text = await metrics.scrape();
 * ```
 */
export class PrometheusCompanionMetrics implements CompanionMetrics {
  /** The registry holding this companion's metrics (and nothing else). */
  readonly registry = new Registry();
  /** @inheritdoc */
  readonly enabled = true;
  private readonly mode: 'gateway' | 'direct';
  private readonly timeoutMs: number;
  private sources: MetricsSources | undefined;
  private pending: Promise<Snapshot> | undefined;
  /** The snapshot of the scrapes under way (read before their collection), and how many there are. */
  private scraped: Snapshot | undefined;
  private scrapes = 0;
  private readonly sessions: Counter<'mode' | 'outcome' | 'reason'>;
  private readonly conversations: Counter<'mode'>;
  private readonly relayed: Counter<'direction'>;
  private readonly mattermost: Histogram<'method' | 'route' | 'status'>;
  private readonly errors: Counter<'code' | 'status'>;
  private readonly limited: Counter<'limit'>;
  private readonly uploads: Counter;
  private readonly uploadBytes: Counter;
  private readonly queued: Counter<'event'>;

  constructor(options: CompanionMetricsOptions) {
    this.mode = options.mode;
    this.timeoutMs = options.scrapeTimeoutMs ?? 3000;
    const registers = [this.registry];
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'porthole_' });

    this.sessions = new Counter({
      name: 'porthole_sessions_total',
      help: 'POST /v1/session requests by outcome (new, returning, refused); reason is the error code of a refusal.',
      labelNames: ['mode', 'outcome', 'reason'],
      registers,
    });
    this.conversations = new Counter({
      name: 'porthole_conversations_started_total',
      help: 'Conversations created in Mattermost (gateway: a thread in the support channel; direct: a visitor channel).',
      labelNames: ['mode'],
      registers,
    });
    this.queued = new Counter({
      name: 'porthole_messages_queued_total',
      help: 'Store and forward (gateway): visitor messages queued while Mattermost was unreachable, forwarded once it was back, or dropped (refused for good).',
      labelNames: ['event'],
      registers,
    });
    this.relayed = new Counter({
      name: 'porthole_messages_relayed_total',
      help: 'Messages relayed by the gateway: visitor messages posted to Mattermost, agent posts delivered to visitors.',
      labelNames: ['direction'],
      registers,
    });
    this.mattermost = new Histogram({
      name: 'porthole_mattermost_request_duration_seconds',
      help: "Duration of the companion's calls to Mattermost's REST API, by templated route and HTTP status (error: no response).",
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.errors = new Counter({
      name: 'porthole_http_errors_total',
      help: 'Error responses sent by the companion, by error code and HTTP status.',
      labelNames: ['code', 'status'],
      registers,
    });
    this.limited = new Counter({
      name: 'porthole_rate_limited_total',
      help: 'Requests refused by a rate limit, by the limit that refused.',
      labelNames: ['limit'],
      registers,
    });
    // Files
    this.uploads = new Counter({
      name: 'porthole_files_uploaded_total',
      help: 'Visitor files stored in Mattermost through the gateway (POST /v1/files; refusals are in porthole_http_errors_total).',
      registers,
    });
    this.uploadBytes = new Counter({
      name: 'porthole_file_upload_bytes_total',
      help: 'Bytes of the visitor files stored in Mattermost through the gateway.',
      registers,
    });
    // Known series start at 0, so rate() sees their first increase.
    this.sessions.inc({ mode: this.mode, outcome: 'new', reason: '' }, 0);
    this.sessions.inc({ mode: this.mode, outcome: 'returning', reason: '' }, 0);
    this.conversations.inc({ mode: this.mode }, 0);
    if (this.mode === 'gateway') for (const direction of ['to_mattermost', 'to_visitor'] as const) this.relayed.inc({ direction }, 0);
    if (this.mode === 'gateway') for (const event of ['queued', 'forwarded', 'dropped'] as const) this.queued.inc({ event }, 0);

    // Scrape-time gauges: each collect() reads the scrape's one snapshot.
    const self = this;
    const gauge = (name: string, help: string, read: (s: Snapshot) => number | undefined) =>
      new Gauge({
        name,
        help,
        registers,
        async collect() {
          this.set(read(self.scraped ?? (await self.snapshot())) ?? NaN);
        },
      });
    const check = (s: Snapshot, name: string) => (s.report?.checks.find((c) => c.name === name)?.ok ? 1 : 0);
    gauge('porthole_ready', '1 when /readyz reports ready, else 0 (degraded, not ready, or no answer in time).', (s) =>
      s.report?.status === 'ready' ? 1 : 0,
    );
    gauge('porthole_mattermost_up', '1 when Mattermost answers its ping (the readiness check), else 0.', (s) =>
      check(s, 'mattermost_ping'),
    );
    if (options.redis) gauge('porthole_redis_up', '1 when Redis answers (the readiness check), else 0.', (s) => check(s, 'redis'));
    if (this.mode === 'gateway') {
      gauge('porthole_store_up', "1 when the gateway's store answers, else 0.", (s) => (s.storeUp ? 1 : 0));
      gauge('porthole_bot_socket_connected', "1 when the bot's socket to Mattermost is connected, else 0.", () =>
        this.sources?.botSocketConnected?.() ? 1 : 0,
      );
      gauge('porthole_live_sockets', 'Open /v1/live sockets on this instance.', () => this.sources?.liveSockets?.() ?? 0);
    } else {
      gauge(
        'porthole_seat_headroom',
        'Free seats under the hard limit of active users (+Inf without a limit; NaN when the limits could not be read).',
        (s) => {
          const users = s.report?.users;
          if (!users) return undefined;
          return users.headroom === null ? Infinity : users.headroom;
        },
      );
    }
  }

  /** @inheritdoc */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** @inheritdoc */
  observe(sources: MetricsSources): void {
    this.sources = sources;
  }

  /**
   * The sources, read once for the gauges of a scrape (prom-client calls every `collect()` at once)
   * and for scrapes that overlap it.
   */
  private snapshot(): Promise<Snapshot> {
    this.pending ??= this.read().finally(() => (this.pending = undefined));
    return this.pending;
  }

  private async read(): Promise<Snapshot> {
    const sources = this.sources;
    if (!sources) return { report: undefined, storeUp: undefined };
    const [report, storeUp] = await Promise.all([
      within(
        Promise.resolve().then(() => sources.readiness()),
        this.timeoutMs,
      ),
      sources.storeUp
        ? within(
            Promise.resolve().then(() => sources.storeUp!()),
            this.timeoutMs,
          )
        : undefined,
    ]);
    return { report, storeUp };
  }

  /**
   * The metrics in Prometheus's text format, the scrape-time gauges freshly read. The sources are
   * read first, so the scrape also holds the latency of the readiness checks it caused.
   */
  async scrape(): Promise<string> {
    const snapshot = await this.snapshot();
    this.scraped = snapshot;
    this.scrapes++;
    try {
      return await this.registry.metrics();
    } finally {
      if (--this.scrapes === 0) this.scraped = undefined;
    }
  }

  /** @inheritdoc */
  sessionMinted(outcome: SessionOutcome, reason?: string): void {
    this.sessions.inc({ mode: this.mode, outcome, reason: outcome === 'refused' ? codeLabel(reason) : '' });
  }

  /** @inheritdoc */
  conversationStarted(): void {
    this.conversations.inc({ mode: this.mode });
  }

  /** @inheritdoc */
  messageRelayed(direction: RelayDirection): void {
    this.relayed.inc({ direction });
  }

  /** @inheritdoc */
  fileUploaded(bytes: number): void {
    this.uploads.inc();
    this.uploadBytes.inc(bytes);
  }

  /** @inheritdoc */
  mattermostRequest(method: string, path: string, status: number | 'error', seconds: number): void {
    const upper = method.toUpperCase();
    this.mattermost.observe(
      {
        method: METHODS.has(upper) ? upper : 'OTHER',
        route: mattermostRoute(path),
        status: status === 'error' ? 'error' : String(Math.trunc(status)),
      },
      Math.max(0, seconds),
    );
  }

  /** @inheritdoc */
  httpError(code: string, status: number): void {
    this.errors.inc({ code: codeLabel(code), status: String(Math.trunc(status)) });
  }

  /** @inheritdoc */
  rateLimited(limit: RateLimitName): void {
    this.limited.inc({ limit });
  }

  messageQueued(event: 'queued' | 'forwarded' | 'dropped'): void {
    this.queued.inc({ event });
  }
}

/** Creates one companion's metrics: {@link PrometheusCompanionMetrics} (see its options). */
export function createCompanionMetrics(options: CompanionMetricsOptions): CompanionMetrics {
  return new PrometheusCompanionMetrics(options);
}

/**
 * Middleware for `POST /v1/session`, mounted ahead of its rate limits: counts every refusal
 * (`porthole_sessions_total{outcome="refused",reason=<error code>}`) once the error handler has
 * answered. The route counts its own successes (new or returning).
 */
export function countRefusedSessions(metrics: CompanionMetrics, codeOf: (error: Error) => { code: string }): MiddlewareHandler {
  return async (c, next) => {
    await next();
    if (c.error) metrics.sessionMinted('refused', codeOf(c.error).code);
  };
}

/**
 * Times one call to Mattermost for {@link CompanionMetrics.mattermostRequest}: resolves to the
 * response, recording its status, or rethrows, recording `error`.
 */
export async function timedMattermostCall(
  metrics: CompanionMetrics | undefined,
  method: string,
  path: string,
  call: () => Promise<Response>,
): Promise<Response> {
  if (!metrics?.enabled) return call();
  const started = performance.now();
  try {
    const response = await call();
    metrics.mattermostRequest(method, path, response.status, (performance.now() - started) / 1000);
    return response;
  } catch (e) {
    metrics.mattermostRequest(method, path, 'error', (performance.now() - started) / 1000);
    throw e;
  }
}
