// Gateway mode's configuration: read from environment variables and validated with zod once, at
// start, in the same style as ../config.ts (one line per problem, secrets described by length).
import { z } from 'zod';
import { ConfigError, SECRET_VARIABLES } from '../config.js';
import type { AvailabilitySettings } from '../availability.js';
import { uploadLimits, uploadVariables, type UploadLimits } from '../uploads.js';

/** Which way the companion serves visitors: through its bot (`gateway`, default) or as Mattermost users. */
export type PortholeMode = 'gateway' | 'direct';

/** Gateway mode's validated settings (see docs/companion.md for the environment variables). */
export interface GatewayConfig {
  /** Mattermost base URL as the companion reaches it (no trailing slash). */
  mattermostUrl: string;
  /** A system admin's token, used only at start to ensure the bot. Unset with {@link botToken}. Secret. */
  adminToken: string | undefined;
  /** The bot's own access token; when set, no admin token is needed (the bot must be in the channel). Secret. */
  botToken: string | undefined;
  /** Username of the bot the companion creates or reuses (with the admin token). */
  botUsername: string;
  /** Display name of that bot. */
  botDisplayName: string;
  /** The channel whose threads are the conversations (default: the inbox channel). */
  supportChannelId: string;
  /** Directory of the embedded store. */
  dataDir: string;
  /** The companion's public base URL returned as `serverUrl`; unset: derived from the request. */
  publicUrl: string | undefined;
  /** HMAC-SHA256 key of Porthole tokens (≥ 32 characters). Secret. */
  tokenSecret: string;
  /** Lifetime of a Porthole token, in seconds. */
  tokenTtlSeconds: number;
  /** Messages one conversation may send per minute. */
  messagesPerMinute: number;
  /** Typing notices one conversation may send per minute. */
  typingPerMinute: number;
  /** Messages plus typing notices one client address (IPv6: /64) may send per minute (all its conversations). */
  addressSendsPerMinute: number;
  /** Reads (history, agents) one conversation may make per minute. */
  readsPerMinute: number;
  /** New `/v1/live` sockets one client address (IPv6: /64) may open per minute. */
  liveConnectsPerMinute: number;
  /** New conversations all instances together may start per minute: a global budget against floods of first messages. */
  newConversationsPerMinute: number;
  /** `override_icon_url` of visitor messages, when set. */
  visitorIconUrl: string | undefined;
  /** Exact site origins allowed to call the companion and open `/v1/live`. */
  allowedOrigins: string[];
  /** Key of the visitor cookie's signature (≥ 32 characters). Secret. */
  cookieSecret: string;
  /** Shared HS256 key for host-signed identities; unset: identities are refused. Secret. */
  identitySecret: string | undefined;
  /** Take the client IP (and the public URL's scheme and host) from `X-Forwarded-*`. */
  trustProxy: boolean;
  /** `NODE_ENV=production`: secure cookies, no internals in error bodies. */
  production: boolean;
  /** Agents, office hours and the expected-reply text (`PORTHOLE_AGENTS`…; see ../availability.ts). Unset: the defaults. */
  availability?: AvailabilitySettings;
  /** What visitors may upload (`PORTHOLE_MAX_UPLOAD_BYTES`, `PORTHOLE_UPLOAD_TYPES`); unset: the defaults. */
  uploads?: UploadLimits;
  /** Uploads one conversation may make per minute (`PORTHOLE_UPLOADS_PER_MINUTE`); unset: 10. */
  uploadsPerMinute?: number;
}

/** Variables whose values never appear in messages or logs (the direct-mode ones included). */
export const GATEWAY_SECRET_VARIABLES: ReadonlySet<string> = new Set([...SECRET_VARIABLES, 'PORTHOLE_TOKEN_SECRET', 'PORTHOLE_BOT_TOKEN']);

/**
 * Variables today's direct mode requires that gateway mode does not read at all: the team comes
 * from the support channel and agents are whoever answers in it.
 */
export const VARIABLES_NOT_NEEDED_IN_GATEWAY: readonly string[] = [
  'PORTHOLE_TEAM_ID',
  'PORTHOLE_AGENT_IDS',
  'PORTHOLE_MM_PUBLIC_URL',
  'PORTHOLE_SESSION_TTL_SECONDS',
  'PORTHOLE_MAX_CREDENTIALS_PER_VISITOR',
  'PORTHOLE_IDLE_VISITOR_DAYS',
];

const MM_ID = /^[a-z0-9]{26}$/;

const absoluteUrl = (what: string) =>
  z
    .string()
    .trim()
    .refine((v) => {
      try {
        const u = new URL(v);
        return (u.protocol === 'http:' || u.protocol === 'https:') && !u.search && !u.hash;
      } catch {
        return false;
      }
    }, `must be an http(s) URL without query or fragment, e.g. ${what}`)
    .transform((v) => v.replace(/\/+$/, ''));

const mattermostId = z.string().trim().regex(MM_ID, 'must be a Mattermost id (26 lowercase letters and digits)');
const longSecret = (min: number) => z.string({ error: 'is required' }).min(min, `must be at least ${min} characters long`);
const count = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));
const flag = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ['true', 'false', '1', '0', 'yes', 'no'].includes(v), 'must be true or false')
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const exactOrigins = z
  .string({ error: 'is required' })
  .transform((v) => [
    ...new Set(
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ])
  .pipe(
    z
      .array(
        z.string().refine((v) => {
          try {
            return new URL(v).origin === v;
          } catch {
            return false;
          }
        }, 'every entry must be an exact origin like https://www.example.com (scheme, host and optional port; no path, no trailing slash, no wildcard)'),
      )
      .min(1, 'must list at least one origin, separated by commas'),
  );

/** The environment variables gateway mode reads, as a zod object (values are strings; empty = unset). */
export const gatewayConfigSchema = z.object({
  PORTHOLE_MODE: z.enum(['gateway', 'direct'], { error: 'must be gateway or direct' }).default('gateway'),
  PORTHOLE_MM_URL: absoluteUrl('http://mattermost:8065'),
  PORTHOLE_MM_TOKEN: longSecret(26).optional(),
  PORTHOLE_BOT_TOKEN: longSecret(26).optional(),
  PORTHOLE_BOT_USERNAME: z
    .string()
    .trim()
    .toLowerCase()
    .regex(
      /^[a-z][a-z0-9._-]{2,21}$/,
      'must be a Mattermost username: 3 to 22 characters, a letter first, then letters, digits, ".", "_" or "-"',
    )
    .default('porthole-bot'),
  PORTHOLE_BOT_DISPLAY_NAME: z.string().trim().min(1).max(64, 'must be at most 64 characters').default('Porthole'),
  PORTHOLE_SUPPORT_CHANNEL_ID: mattermostId.optional(),
  PORTHOLE_INBOX_CHANNEL_ID: mattermostId.optional(),
  PORTHOLE_DATA_DIR: z.string().trim().min(1).default('./porthole-data'),
  PORTHOLE_PUBLIC_URL: absoluteUrl('https://chat.example.com/porthole').optional(),
  PORTHOLE_TOKEN_SECRET: longSecret(32),
  PORTHOLE_TOKEN_TTL_SECONDS: count(60, 24 * 3600).default(900),
  PORTHOLE_MESSAGES_PER_MINUTE: count(1, 10_000).default(20),
  PORTHOLE_TYPING_PER_MINUTE: count(1, 10_000).default(30),
  PORTHOLE_ADDRESS_SENDS_PER_MINUTE: count(1, 1_000_000).default(300),
  PORTHOLE_READS_PER_MINUTE: count(1, 100_000).default(120),
  PORTHOLE_LIVE_CONNECTS_PER_MINUTE: count(1, 1_000_000).default(60),
  PORTHOLE_NEW_CONVERSATIONS_PER_MINUTE: count(1, 1_000_000).default(300),
  PORTHOLE_VISITOR_ICON_URL: absoluteUrl('https://www.example.com/visitor.png').optional(),
  PORTHOLE_ALLOWED_ORIGINS: exactOrigins,
  PORTHOLE_COOKIE_SECRET: longSecret(32),
  PORTHOLE_IDENTITY_SECRET: longSecret(32).optional(),
  PORTHOLE_TRUST_PROXY: flag.default(false),
  // files
  ...uploadVariables,
  PORTHOLE_UPLOADS_PER_MINUTE: count(1, 10_000).default(10),
  NODE_ENV: z.string().optional(),
});

function describeReceived(name: string, value: string | undefined): string {
  if (value === undefined) return 'received nothing';
  if (value.trim() === '') return 'received an empty value';
  if (GATEWAY_SECRET_VARIABLES.has(name)) return `received a secret of ${value.length} characters`;
  return `received ${JSON.stringify(value.length > 120 ? `${value.slice(0, 120)}…` : value)}`;
}

/** The set (non-empty) variables of `env` that `schema` knows. */
function nonEmpty(env: Record<string, string | undefined>, keys: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of keys) {
    const value = env[key];
    if (value !== undefined && value.trim() !== '') out[key] = value;
  }
  return out;
}

/**
 * The mode `env` asks for: `PORTHOLE_MODE` (`gateway` when unset).
 *
 * @throws {ConfigError} when it is neither `gateway` nor `direct`.
 */
export function loadMode(env: Record<string, string | undefined>): PortholeMode {
  const raw = env.PORTHOLE_MODE?.trim().toLowerCase();
  if (!raw) return 'gateway';
  if (raw === 'gateway' || raw === 'direct') return raw;
  throw new ConfigError([`PORTHOLE_MODE: must be gateway or direct (${describeReceived('PORTHOLE_MODE', env.PORTHOLE_MODE)})`]);
}

/**
 * Reads and validates gateway mode's settings from environment variables.
 *
 * Empty variables count as unset; unknown ones are ignored. Either `PORTHOLE_MM_TOKEN` (the
 * companion then creates or reuses its bot) or `PORTHOLE_BOT_TOKEN` is required, and a support
 * channel: `PORTHOLE_SUPPORT_CHANNEL_ID`, else `PORTHOLE_INBOX_CHANNEL_ID`.
 *
 * @param env - usually `process.env`.
 * @throws {ConfigError} with one line per problem: which variable, what is wrong, what was received
 *   (secrets are described by length only).
 * @example
 * ```ts
 * const gateway = createGateway(loadGatewayConfig(process.env));
 * ```
 */
export function loadGatewayConfig(env: Record<string, string | undefined>): GatewayConfig {
  const given = nonEmpty(env, Object.keys(gatewayConfigSchema.shape));
  const parsed = gatewayConfigSchema.safeParse(given);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = String(issue.path[0] ?? '');
      const message = given[name] === undefined ? 'is required' : issue.message;
      const line = `${name}: ${message} (${describeReceived(name, env[name])})`;
      if (!problems.includes(line)) problems.push(line);
    }
  }
  if (!given.PORTHOLE_MM_TOKEN && !given.PORTHOLE_BOT_TOKEN) {
    problems.push(
      'PORTHOLE_MM_TOKEN: is required unless PORTHOLE_BOT_TOKEN is set (a system admin token, used at start to create or reuse the bot) (received nothing)',
    );
  }
  if (!given.PORTHOLE_SUPPORT_CHANNEL_ID && !given.PORTHOLE_INBOX_CHANNEL_ID) {
    problems.push(
      'PORTHOLE_SUPPORT_CHANNEL_ID: is required (the channel whose threads are the conversations; PORTHOLE_INBOX_CHANNEL_ID is used when unset) (received nothing)',
    );
  }
  const c = parsed.data;
  if (c && c.PORTHOLE_MODE !== 'gateway') {
    problems.push(
      `PORTHOLE_MODE: must be gateway to load the gateway configuration (${describeReceived('PORTHOLE_MODE', env.PORTHOLE_MODE)})`,
    );
  }
  if (problems.length > 0 || !c) throw new ConfigError(problems);
  return {
    mattermostUrl: c.PORTHOLE_MM_URL,
    adminToken: c.PORTHOLE_MM_TOKEN,
    botToken: c.PORTHOLE_BOT_TOKEN,
    botUsername: c.PORTHOLE_BOT_USERNAME,
    botDisplayName: c.PORTHOLE_BOT_DISPLAY_NAME,
    supportChannelId: (c.PORTHOLE_SUPPORT_CHANNEL_ID ?? c.PORTHOLE_INBOX_CHANNEL_ID)!,
    dataDir: c.PORTHOLE_DATA_DIR,
    publicUrl: c.PORTHOLE_PUBLIC_URL,
    tokenSecret: c.PORTHOLE_TOKEN_SECRET,
    tokenTtlSeconds: c.PORTHOLE_TOKEN_TTL_SECONDS,
    messagesPerMinute: c.PORTHOLE_MESSAGES_PER_MINUTE,
    typingPerMinute: c.PORTHOLE_TYPING_PER_MINUTE,
    addressSendsPerMinute: c.PORTHOLE_ADDRESS_SENDS_PER_MINUTE,
    readsPerMinute: c.PORTHOLE_READS_PER_MINUTE,
    liveConnectsPerMinute: c.PORTHOLE_LIVE_CONNECTS_PER_MINUTE,
    newConversationsPerMinute: c.PORTHOLE_NEW_CONVERSATIONS_PER_MINUTE,
    visitorIconUrl: c.PORTHOLE_VISITOR_ICON_URL,
    allowedOrigins: c.PORTHOLE_ALLOWED_ORIGINS,
    cookieSecret: c.PORTHOLE_COOKIE_SECRET,
    identitySecret: c.PORTHOLE_IDENTITY_SECRET,
    trustProxy: c.PORTHOLE_TRUST_PROXY,
    production: c.NODE_ENV === 'production',
    uploads: uploadLimits(c),
    uploadsPerMinute: c.PORTHOLE_UPLOADS_PER_MINUTE,
  };
}
