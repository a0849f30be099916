// Fixtures shared by the companion's unit tests (not part of the public API).
import { createCompanion, type Companion, type CompanionOptions } from './app.js';
import type { DirectConfig } from './config.js';
import type { LogEntry, Logger } from './logger.js';
import { MemoryMattermostAdmin } from './memory-mattermost-admin.js';

/** Ids and secrets used by the unit tests. */
export const TEST = {
  teamId: 'teamteamteamteamteamteam01',
  inboxId: 'inboxinboxinboxinboxinbox1',
  agentIds: ['agentagentagentagentagent1', 'agentagentagentagentagent2'],
  origin: 'https://shop.example.com',
  cookieSecret: 'cookie-secret-cookie-secret-cookie-secret',
  identitySecret: 'identity-secret-identity-secret-identity',
  mmToken: 'admintokenadmintokenadmint',
} as const;

/** A valid configuration for unit tests; override any field. */
export function testConfig(overrides: Partial<DirectConfig> = {}): DirectConfig {
  return {
    mode: 'direct',
    mattermostUrl: 'http://mm.internal:8065',
    publicUrl: 'https://chat.example.com',
    token: TEST.mmToken,
    teamId: TEST.teamId,
    agentIds: [...TEST.agentIds],
    inboxChannelId: TEST.inboxId,
    allowedOrigins: [TEST.origin],
    cookieSecret: TEST.cookieSecret,
    identitySecret: TEST.identitySecret,
    rateLimitPerMinute: 5,
    siteSessionsPerMinute: 600,
    port: 8787,
    host: '127.0.0.1',
    redisUrl: undefined,
    redisPrefix: 'porthole:',
    drainDelaySeconds: 0,
    drainGraceSeconds: 10,
    auditLog: undefined,
    metricsToken: undefined,
    retentionDays: 0,
    production: false,
    sessionTtlSeconds: 3600,
    trustProxy: false,
    maxCredentialsPerVisitor: 3,
    idleVisitorDays: 30,
    ...overrides,
  };
}

/** A logger that keeps every entry, and every entry serialised as the JSON logger would. */
export function captureLogger(): Logger & { entries: LogEntry[]; text(): string } {
  const entries: LogEntry[] = [];
  const push = (level: string) => (e: LogEntry) => entries.push({ level, ...e });
  return {
    entries,
    info: push('info'),
    warn: push('warn'),
    error: push('error'),
    text: () => entries.map((e) => JSON.stringify(e)).join('\n'),
  };
}

/** A companion over a fresh in-memory Mattermost, with a captured log and a settable clock. */
export function testCompanion(overrides: Partial<DirectConfig> = {}, options: CompanionOptions = {}) {
  const mm = new MemoryMattermostAdmin({
    teamId: TEST.teamId,
    teamName: 'support',
    agentIds: [...TEST.agentIds],
    inboxChannelId: TEST.inboxId,
  });
  const log = captureLogger();
  const clock = { now: 1_800_000_000_000 };
  const companion: Companion = createCompanion(testConfig(overrides), { admin: mm, logger: log, now: () => clock.now, ...options });
  return { companion, mm, log, clock };
}

/** `POST /v1/session` with a JSON body (or none), from `origin` (default: the allowed one), from a given IP. */
export function postSession(
  companion: Companion,
  init: { body?: unknown; rawBody?: string; cookie?: string; origin?: string | null; ip?: string; headers?: Record<string, string> } = {},
): Promise<Response> {
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  if (init.origin !== null) headers.Origin = init.origin ?? TEST.origin;
  if (init.cookie) headers.Cookie = init.cookie;
  const body = init.rawBody ?? (init.body === undefined ? undefined : JSON.stringify(init.body));
  if (body !== undefined && !headers['Content-Type']) headers['Content-Type'] = 'application/json';
  return companion.fetch(
    new Request('http://companion.test/v1/session', { method: 'POST', headers, body }),
    nodeEnv(init.ip ?? '203.0.113.7'),
  );
}

/** The `env` @hono/node-server passes, reduced to what the companion reads (the socket address). */
export function nodeEnv(ip: string): unknown {
  return { incoming: { socket: { remoteAddress: ip } } };
}

/** The `name=value` part of a Set-Cookie header, for sending it back. */
export function cookieOf(res: Response): string {
  const set = res.headers.get('Set-Cookie') ?? '';
  return set.split(';')[0] ?? '';
}

/** One sample of a Prometheus scrape: `name{labels} value`. */
export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses Prometheus's text format (the subset prom-client writes; `# HELP` / `# TYPE` skipped); throws on a line it cannot read. */
export function parseMetricsText(text: string): MetricSample[] {
  const samples: MetricSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    const raw = m[3]!;
    samples.push({ name: m[1]!, labels, value: raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw) });
  }
  return samples;
}
