// Direct mode's configuration: read from environment variables and validated with zod once, at
// start. A bad value is reported as one line per problem, and secret values are never echoed.
// (`loadConfig` in companion-config.ts picks the mode; gateway mode's settings are in gateway/.)
import { z } from 'zod';
import { uploadLimits, uploadVariables, type UploadLimits } from './uploads.js';

/** The HTTP server's own settings, the same in both modes (`PORTHOLE_PORT`, `PORTHOLE_REDIS_URL`, …; see docs/companion.md). */
export interface ServerSettings {
  /** Session requests allowed per client address (IPv6: per /64) and minute. */
  rateLimitPerMinute: number;
  /** Session requests allowed per site (the request's `Origin`) and minute, all addresses together. */
  siteSessionsPerMinute: number;
  /** Port the CLI listens on. */
  port: number;
  /** Interface the CLI listens on. */
  host: string;
  /** Redis shared by several instances (`redis://` or `rediss://`); unset: one instance, state in process. Secret (it may hold a password). */
  redisUrl: string | undefined;
  /** Prefix of every Redis key, so several deployments can share one Redis. */
  redisPrefix: string;
  /** On SIGTERM: seconds `/readyz` answers 503 before the instance stops accepting (for the load balancer to notice). */
  drainDelaySeconds: number;
  /** On SIGTERM: seconds in-flight requests get to finish before every connection is cut. */
  drainGraceSeconds: number;
  /** Where audit lines go (`PORTHOLE_AUDIT_LOG`): a file path or `stdout`; unset: no audit log. */
  auditLog: string | undefined;
  /** The bearer token `GET /metrics` requires (`PORTHOLE_METRICS_TOKEN`); unset: no `/metrics` route. Secret. */
  metricsToken: string | undefined;
  /** Conversations idle this many days are erased by the retention job (`PORTHOLE_RETENTION_DAYS`); 0: never. */
  retentionDays: number;
}

/** Direct mode's validated settings (see docs/companion.md for the environment variables). */
export interface DirectConfig extends ServerSettings {
  /** Visitors become Mattermost users (`PORTHOLE_MODE=direct`). */
  mode: 'direct';
  /** Agents, office hours and the expected-reply text (`PORTHOLE_AGENTS`…; see availability.ts). Unset: the defaults. */
  availability?: import('./availability.js').AvailabilitySettings;
  /** Mattermost base URL as the companion reaches it (no trailing slash). */
  mattermostUrl: string;
  /** Mattermost base URL returned to browsers (`serverUrl`); defaults to {@link mattermostUrl}. */
  publicUrl: string;
  /** Admin (or bot with the needed permissions) access token used by the companion. Secret. */
  token: string;
  /** The support team visitors are added to. */
  teamId: string;
  /** Agents added to every visitor channel. */
  agentIds: string[];
  /** Channel that receives a notice for every new conversation. */
  inboxChannelId: string;
  /** Exact site origins allowed to call the companion from a browser. */
  allowedOrigins: string[];
  /** Key for the HMAC-SHA256 signature of the visitor cookie (≥ 32 characters). Secret. */
  cookieSecret: string;
  /** Shared HS256 key for host-signed identities; when unset, identities are refused. Secret. */
  identitySecret: string | undefined;
  /** `NODE_ENV=production`: secure cookies, no internals in error bodies. */
  production: boolean;
  /** Lifetime of a visitor credential, in seconds. */
  sessionTtlSeconds: number;
  /** Take the client IP from the first `X-Forwarded-For` hop instead of the socket. */
  trustProxy: boolean;
  /** Live credentials kept per visitor; older ones are revoked when a new one is minted. */
  maxCredentialsPerVisitor: number;
  /** Visitors idle this many days are deactivated (reactivated when they return); 0 turns it off. */
  idleVisitorDays: number;
  /**
   * What the widget lets visitors upload (`PORTHOLE_MAX_UPLOAD_BYTES`, `PORTHOLE_UPLOAD_TYPES`), told in
   * the session response. Advisory in direct mode: Mattermost's `FileSettings.MaxFileSize` is the hard limit.
   */
  uploads?: UploadLimits;
}

/** Thrown by {@link loadConfig}; `problems` holds one line per bad or missing variable. */
export class ConfigError extends Error {
  /** One human-readable line per problem, e.g. `PORTHOLE_TEAM_ID: … (received "x")`. */
  readonly problems: string[];

  constructor(problems: string[]) {
    super(`Invalid companion configuration:\n${problems.join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Variables whose values must never appear in messages or logs. */
export const SECRET_VARIABLES: ReadonlySet<string> = new Set([
  'PORTHOLE_MM_TOKEN',
  'PORTHOLE_COOKIE_SECRET',
  'PORTHOLE_IDENTITY_SECRET',
  'PORTHOLE_REDIS_URL',
  'PORTHOLE_METRICS_TOKEN',
]);

const MM_ID = /^[a-z0-9]{26}$/;

const httpUrl = z
  .string({ error: 'is required' })
  .trim()
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'http:' || url.protocol === 'https:') && !url.search && !url.hash;
    } catch {
      return false;
    }
  }, 'must be an http(s) URL without query or fragment, e.g. https://chat.example.com')
  .transform((v) => v.replace(/\/+$/, ''));

const mmId = z.string({ error: 'is required' }).trim().regex(MM_ID, 'must be a Mattermost id (26 lowercase letters and digits)');

const list = (item: z.ZodType<string, string>, what: string) =>
  z
    .string({ error: 'is required' })
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(z.array(item).min(1, `must list at least one ${what}, separated by commas`));

const origin = z.string().refine((value) => {
  try {
    return new URL(value).origin === value && value !== 'null';
  } catch {
    return false;
  }
}, 'every entry must be an exact origin like https://www.example.com (scheme, host and optional port; no path, no trailing slash, no wildcard)');

const secret = (min: number) => z.string({ error: 'is required' }).min(min, `must be at least ${min} characters long`);

const int = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

const bool = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ['true', 'false', '1', '0', 'yes', 'no'].includes(v), 'must be true or false')
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const redisUrl = z
  .string()
  .trim()
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '';
    } catch {
      return false;
    }
  }, 'must be a Redis URL like redis://redis:6379 or rediss://user:password@redis.example.com:6380/0');

/** The HTTP server's own settings, the same in both modes. */
export const serverVariables = {
  PORTHOLE_RATE_LIMIT_PER_MINUTE: int(1, 100_000).default(5),
  PORTHOLE_SITE_SESSIONS_PER_MINUTE: int(1, 10_000_000).default(600),
  PORTHOLE_PORT: int(1, 65_535).default(8787),
  PORTHOLE_HOST: z.string().trim().min(1, 'must not be empty').default('127.0.0.1'),
  PORTHOLE_REDIS_URL: redisUrl.optional(),
  PORTHOLE_REDIS_PREFIX: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9:_.-]{1,64}$/, 'must be 1 to 64 letters, digits, ":", "_", "." or "-"')
    .default('porthole:'),
  PORTHOLE_DRAIN_DELAY_SECONDS: int(0, 300).default(0),
  PORTHOLE_DRAIN_GRACE_SECONDS: int(0, 600).default(10),
  PORTHOLE_AUDIT_LOG: z.string().trim().min(1, 'must be a file path or "stdout"').optional(),
  PORTHOLE_METRICS_TOKEN: z.string().min(24, 'must be at least 24 characters long').optional(),
  PORTHOLE_RETENTION_DAYS: int(0, 36_500).default(0),
};

/** The {@link ServerSettings} of variables read with {@link serverVariables}. */
export function serverSettings(vars: z.infer<z.ZodObject<typeof serverVariables>>): ServerSettings {
  return {
    rateLimitPerMinute: vars.PORTHOLE_RATE_LIMIT_PER_MINUTE,
    siteSessionsPerMinute: vars.PORTHOLE_SITE_SESSIONS_PER_MINUTE,
    port: vars.PORTHOLE_PORT,
    host: vars.PORTHOLE_HOST,
    redisUrl: vars.PORTHOLE_REDIS_URL,
    redisPrefix: vars.PORTHOLE_REDIS_PREFIX,
    drainDelaySeconds: vars.PORTHOLE_DRAIN_DELAY_SECONDS,
    drainGraceSeconds: vars.PORTHOLE_DRAIN_GRACE_SECONDS,
    auditLog: vars.PORTHOLE_AUDIT_LOG,
    metricsToken: vars.PORTHOLE_METRICS_TOKEN,
    retentionDays: vars.PORTHOLE_RETENTION_DAYS,
  };
}

const schema = z.object({
  ...serverVariables,
  PORTHOLE_MM_URL: httpUrl,
  PORTHOLE_MM_PUBLIC_URL: httpUrl.optional(),
  PORTHOLE_MM_TOKEN: secret(26),
  PORTHOLE_TEAM_ID: mmId,
  PORTHOLE_AGENT_IDS: list(
    z.string().regex(MM_ID, 'every entry must be a Mattermost user id (26 lowercase letters and digits)'),
    'agent user id',
  ),
  PORTHOLE_INBOX_CHANNEL_ID: mmId,
  PORTHOLE_ALLOWED_ORIGINS: list(origin, 'origin'),
  PORTHOLE_COOKIE_SECRET: secret(32),
  PORTHOLE_IDENTITY_SECRET: secret(32).optional(),
  PORTHOLE_SESSION_TTL_SECONDS: int(60, 30 * 24 * 3600).default(3600),
  PORTHOLE_TRUST_PROXY: bool.default(false),
  PORTHOLE_MAX_CREDENTIALS_PER_VISITOR: int(1, 20).default(3),
  PORTHOLE_IDLE_VISITOR_DAYS: int(0, 3650).default(30),
  // files
  ...uploadVariables,
  NODE_ENV: z.string().optional(),
});

/** Describes what was received without ever revealing a secret. */
function received(name: string, value: string | undefined): string {
  if (value === undefined) return 'received nothing';
  if (value.trim() === '') return 'received an empty value';
  if (SECRET_VARIABLES.has(name)) return `received a secret of ${value.length} characters`;
  const shown = value.length > 120 ? `${value.slice(0, 120)}…` : value;
  return `received ${JSON.stringify(shown)}`;
}

/**
 * Parses the variables of `shape` from `env` (empty ones count as unset, unknown ones are
 * ignored). Returns the values, or the problems: one line per variable, saying what is wrong and
 * what was received (secrets by length only).
 */
export function readVariables<S extends z.ZodRawShape>(
  shape: S,
  env: Record<string, string | undefined>,
): { ok: true; vars: z.infer<z.ZodObject<S>> } | { ok: false; problems: string[] } {
  const cleaned: Record<string, string> = {};
  for (const key of Object.keys(shape)) {
    const value = env[key];
    if (value !== undefined && value.trim() !== '') cleaned[key] = value;
  }
  const parsed = z.object(shape).safeParse(cleaned);
  if (parsed.success) return { ok: true, vars: parsed.data };
  const problems: string[] = [];
  for (const issue of parsed.error.issues) {
    const name = String(issue.path[0] ?? '');
    const line = `${name}: ${issue.message} (${received(name, env[name])})`;
    if (!problems.includes(line)) problems.push(line);
  }
  return { ok: false, problems };
}

/**
 * Reads and validates direct mode's settings from environment variables.
 *
 * Empty variables count as unset. Unknown variables are ignored.
 *
 * @param env - usually `process.env`.
 * @throws {ConfigError} with one line per problem: which variable, what is wrong, what was received
 *   (secrets are described by length only).
 * @example
 * ```ts
 * const config = loadDirectConfig(process.env);
 * ```
 */
export function loadDirectConfig(env: Record<string, string | undefined>): DirectConfig {
  const read = readVariables(schema.shape, env);
  if (!read.ok) throw new ConfigError(read.problems);
  const vars = read.vars;
  return {
    mode: 'direct',
    mattermostUrl: vars.PORTHOLE_MM_URL,
    publicUrl: vars.PORTHOLE_MM_PUBLIC_URL ?? vars.PORTHOLE_MM_URL,
    token: vars.PORTHOLE_MM_TOKEN,
    teamId: vars.PORTHOLE_TEAM_ID,
    agentIds: [...new Set(vars.PORTHOLE_AGENT_IDS)],
    inboxChannelId: vars.PORTHOLE_INBOX_CHANNEL_ID,
    allowedOrigins: [...new Set(vars.PORTHOLE_ALLOWED_ORIGINS)],
    cookieSecret: vars.PORTHOLE_COOKIE_SECRET,
    identitySecret: vars.PORTHOLE_IDENTITY_SECRET,
    ...serverSettings(vars),
    production: vars.NODE_ENV === 'production',
    sessionTtlSeconds: vars.PORTHOLE_SESSION_TTL_SECONDS,
    trustProxy: vars.PORTHOLE_TRUST_PROXY,
    maxCredentialsPerVisitor: vars.PORTHOLE_MAX_CREDENTIALS_PER_VISITOR,
    idleVisitorDays: vars.PORTHOLE_IDLE_VISITOR_DAYS,
    uploads: uploadLimits(vars),
  };
}
