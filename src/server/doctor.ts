// `porthole-server doctor`: checks that Mattermost is hardened and configured the way Porthole
// needs — both what its configuration says and what the running server actually applies.
import { z } from 'zod';
import type { UploadLimits } from './uploads.js';
import type { AuditEvent } from './audit-log.js';
import type { DirectConfig } from './config.js';
import type { MattermostAdmin } from './mattermost-admin.js';
import {
  HttpOriginProber,
  PREFLIGHT_REQUEST_HEADERS,
  type CorsPreflightAnswer,
  type OriginProber,
  type WebSocketUpgradeAnswer,
} from './origin-prober.js';

/** The outcome of one doctor check. */
export interface DoctorCheck {
  /** False fails the run (`doctor` exits 1). */
  ok: boolean;
  /**
   * A passing check that still asks for attention (printed `WARN`): something the companion can
   * live without today, e.g. erasure not possible while no retention is configured.
   */
  warning?: boolean;
  /** What is checked, e.g. "email addresses hidden". */
  name: string;
  /** The setting and its value, or what to change. */
  detail: string;
}

/** Optional collaborators of {@link runDoctor}. */
export interface DoctorOptions {
  /** Asks the live server per origin; default: {@link HttpOriginProber} on `config.mattermostUrl`. */
  prober?: OriginProber;
  /** How many allowed origins are probed live (the first ones). Default: 5. */
  maxProbedOrigins?: number;
  /** Reads users, members, channels and roles by id; default: {@link restReader} with `config.token`. */
  reader?: MattermostReader;
}

/** Mattermost's answer to one REST call of the doctor; `status` 0 when there was none. */
export interface ReaderAnswer {
  status: number;
  body: unknown;
  /** Why there is no answer, when `status` is 0. */
  error?: string;
}

/** The few REST v4 calls the doctors make by id, with one token. Never rejects. */
export interface MattermostReader {
  /** `GET /api/v4<path>`. */
  get(path: string): Promise<ReaderAnswer>;
  /** `POST /api/v4<path>` with a JSON body (lookups such as `/roles/names`, never writes). */
  post(path: string, body: unknown): Promise<ReaderAnswer>;
}

/**
 * A {@link MattermostReader} over `fetch` acting with `token` (5 s per call). The token goes only
 * in the `Authorization` header.
 *
 * @example
 * ```ts
 * const reader = restReader('http://mattermost:8065', process.env.PORTHOLE_MM_TOKEN!);
 * const { status, body } = await reader.get('/users/me');
 * ```
 */
export function restReader(mattermostUrl: string, token: string, fetchImpl: typeof fetch = fetch): MattermostReader {
  const base = `${mattermostUrl.replace(/\/+$/, '')}/api/v4`;
  const call = async (path: string, init: RequestInit): Promise<ReaderAnswer> => {
    try {
      const res = await fetchImpl(`${base}${path}`, {
        ...init,
        headers: { Authorization: `Bearer ${token}`, ...(init.body ? { 'Content-Type': 'application/json' } : {}) },
        signal: AbortSignal.timeout(5000),
      });
      return { status: res.status, body: await res.json().catch(() => null) };
    } catch (err) {
      return { status: 0, body: null, error: err instanceof Error ? err.message : String(err) };
    }
  };
  return {
    get: (path) => call(path, { method: 'GET' }),
    post: (path, body) => call(path, { method: 'POST', body: JSON.stringify(body) }),
  };
}

/** `404`, `403 …`, or `unreachable (…)`: how an answer that is not 200 is named in a check line. */
export function describeAnswer(answer: ReaderAnswer): string {
  return answer.status === 0 ? `unreachable (${answer.error ?? 'no answer'})` : String(answer.status);
}

/** A Mattermost user as the doctors read it. */
export const doctorUserSchema = z.object({
  id: z.string(),
  username: z.string(),
  delete_at: z.number().default(0),
  is_bot: z.boolean().default(false),
  roles: z.string().default(''),
});
const memberSchema = z.object({ roles: z.string().default(''), delete_at: z.number().default(0) });
const channelSchema = z.object({
  id: z.string(),
  name: z.string(),
  display_name: z.string().default(''),
  team_id: z.string().default(''),
  type: z.string(),
  delete_at: z.number().default(0),
});
const rolesSchema = z.array(z.object({ name: z.string(), permissions: z.array(z.string()).default([]) }));

/** A Mattermost user as the doctor reads it (`GET /users/{id}`). */
export type DoctorUser = z.infer<typeof doctorUserSchema>;
/** A Mattermost channel as the doctor reads it (`GET /channels/{id}`). */
export type DoctorChannel = z.infer<typeof channelSchema>;

/** `GET path` parsed with `schema`: the value, or `null` with the answer (404, unexpected shape…). */
async function read<T>(reader: MattermostReader, path: string, schema: z.ZodType<T>): Promise<{ value: T | null; answer: ReaderAnswer }> {
  const answer = await reader.get(path);
  if (answer.status !== 200) return { value: null, answer };
  const parsed = schema.safeParse(answer.body);
  return parsed.success ? { value: parsed.data, answer } : { value: null, answer: { ...answer, status: 0, error: 'unexpected shape' } };
}

/** A user by id, or `null` with how Mattermost answered. */
export function readUser(reader: MattermostReader, userId: string) {
  return read(reader, `/users/${encodeURIComponent(userId)}`, doctorUserSchema);
}

/** A channel by id, or `null` with how Mattermost answered. */
export function readChannel(reader: MattermostReader, channelId: string) {
  return read(reader, `/channels/${encodeURIComponent(channelId)}`, channelSchema);
}

/** A user's team membership (left teams count as none), or `null`. */
export async function readTeamMember(reader: MattermostReader, teamId: string, userId: string) {
  const found = await read(reader, `/teams/${encodeURIComponent(teamId)}/members/${encodeURIComponent(userId)}`, memberSchema);
  // Leaving a team keeps the row with DeleteAt set (SqlTeamStore.GetMember does not filter on it).
  return found.value && found.value.delete_at !== 0 ? { value: null, answer: { ...found.answer, status: 404 } } : found;
}

/** A user's channel membership, or `null`. */
export function readChannelMember(reader: MattermostReader, channelId: string, userId: string) {
  return read(reader, `/channels/${encodeURIComponent(channelId)}/members/${encodeURIComponent(userId)}`, memberSchema);
}

/**
 * Whether `user` may create posts in `channel`, the way Mattermost decides it (createPost →
 * userCreatePostPermissionCheckWithApp, channels/app/post_permission_utils.go; HasPermissionToChannel,
 * channels/app/authorization.go): `create_post` from the channel member's roles, else from the
 * team member's roles, else from the system roles (`manage_system` grants everything); in a public
 * channel `create_post_public` from the team or system roles also does. Archived channels refuse
 * every post (channels/app/post.go). Roles are read with `POST /roles/names`.
 */
export async function postingAllowed(
  reader: MattermostReader,
  user: Pick<DoctorUser, 'roles'>,
  channel: Pick<DoctorChannel, 'type' | 'delete_at'>,
  memberships: { channelRoles?: string; teamRoles?: string },
): Promise<{ allowed: boolean; why: string }> {
  if (channel.delete_at !== 0) return { allowed: false, why: 'the channel is archived (Mattermost refuses posts there)' };
  const split = (roles: string | undefined) => (roles ?? '').split(/\s+/).filter(Boolean);
  const channelRoles = split(memberships.channelRoles);
  const teamRoles = split(memberships.teamRoles);
  const systemRoles = split(user.roles);
  const names = [...new Set([...channelRoles, ...teamRoles, ...systemRoles])];
  if (names.length === 0) return { allowed: false, why: 'the user has no roles' };
  const answer = await reader.post('/roles/names', names);
  const roles = rolesSchema.safeParse(answer.body);
  if (answer.status !== 200 || !roles.success)
    return { allowed: false, why: `could not read its roles (POST /roles/names answered ${describeAnswer(answer)})` };
  const permissions = new Map(roles.data.map((role) => [role.name, new Set(role.permissions)]));
  const grants = (from: string[], permission: string) => from.some((name) => permissions.get(name)?.has(permission));
  if (grants(systemRoles, 'manage_system')) return { allowed: true, why: 'a system admin may post in any channel' };
  if (grants(channelRoles, 'create_post')) return { allowed: true, why: `create_post from its channel roles (${channelRoles.join(' ')})` };
  if (grants([...teamRoles, ...systemRoles], 'create_post')) return { allowed: true, why: 'create_post from its team or system roles' };
  if (channel.type === 'O' && grants([...teamRoles, ...systemRoles], 'create_post_public'))
    return { allowed: true, why: 'create_post_public in a public channel' };
  return {
    allowed: false,
    why: `none of its roles (${names.join(' ')}) grants create_post there (a channel moderation setting or a permission scheme may have removed it)`,
  };
}

/**
 * The check of each agent id: an existing, active person (not a bot) who is a member of the team
 * (the companion adds agents to every visitor's private channel, which needs team membership).
 */
export async function agentChecks(reader: MattermostReader, agentIds: readonly string[], teamId: string): Promise<DoctorCheck[]> {
  return Promise.all(
    agentIds.map(async (id): Promise<DoctorCheck> => {
      const name = `agent ${id}`;
      const fix = 'fix PORTHOLE_AGENT_IDS (comma-separated user ids, from System Console → Users)';
      const { value: user, answer } = await readUser(reader, id);
      if (!user) return { ok: false, name, detail: `no such user (GET /users/${id} answered ${describeAnswer(answer)}): ${fix}` };
      if (user.delete_at !== 0) return { ok: false, name, detail: `@${user.username} is deactivated: reactivate them or ${fix}` };
      if (user.is_bot) return { ok: false, name, detail: `@${user.username} is a bot, not a person who answers visitors: ${fix}` };
      const member = await readTeamMember(reader, teamId, id);
      if (!member.value)
        return {
          ok: false,
          name,
          detail: `@${user.username} is not a member of the support team ${teamId} (GET /teams/${teamId}/members/${id} answered ${describeAnswer(member.answer)}): add them to the team, or ${fix}`,
        };
      return { ok: true, name, detail: `@${user.username}, active, a member of the support team` };
    }),
  );
}

/** The inbox check: the channel exists, belongs to the support team, is not archived, and `poster` may post there. */
export async function inboxCheck(
  reader: MattermostReader,
  inboxChannelId: string,
  teamId: string,
  poster: DoctorUser,
): Promise<DoctorCheck> {
  const name = 'inbox channel';
  const fix = 'set PORTHOLE_INBOX_CHANNEL_ID to a channel of the support team (its id is under the channel name → View Info)';
  const { value: channel, answer } = await readChannel(reader, inboxChannelId);
  if (!channel)
    return {
      ok: false,
      name,
      detail: `channel ${inboxChannelId} not found (GET /channels/${inboxChannelId} answered ${describeAnswer(answer)}): ${fix}`,
    };
  if (channel.team_id !== teamId)
    return {
      ok: false,
      name,
      detail: `${channel.name} (${channel.id}) is ${channel.team_id ? `in team ${channel.team_id}` : 'a direct or group message'}, not the support team ${teamId}: ${fix}`,
    };
  const [channelMember, teamMember] = await Promise.all([
    readChannelMember(reader, channel.id, poster.id),
    readTeamMember(reader, teamId, poster.id),
  ]);
  const posting = await postingAllowed(reader, poster, channel, {
    channelRoles: channelMember.value?.roles,
    teamRoles: teamMember.value?.roles,
  });
  return posting.allowed
    ? { ok: true, name, detail: `${channel.name} (${channel.id}) in the support team; @${poster.username} may post there: ${posting.why}` }
    : {
        ok: false,
        name,
        detail: `@${poster.username} cannot post new-conversation notices in ${channel.name} (${channel.id}): ${posting.why}. Unarchive it, give the token's user create_post there, or ${fix}`,
      };
}

/**
 * Whether the companion can erase conversations for good (the privacy API, `erase`, retention):
 * a system admin's token and the `ServiceSettings` that allow permanent deletion through the API
 * (`DELETE …?permanent=true` answers 501 without them, channels/api4/post.go). Not ready is a
 * warning while `PORTHOLE_RETENTION_DAYS` is 0, and a failure when the retention job needs it.
 *
 * @param tokenProblem - what is wrong with the token for permanent deletion (no system admin's), if anything.
 */
export function erasureCheck(
  settings: Record<string, unknown>,
  needed: readonly string[],
  tokenProblem: string | undefined,
  retentionDays: number,
): DoctorCheck {
  const off = needed.filter((name) => settings[name] !== true);
  const problems = [
    ...(tokenProblem ? [tokenProblem] : []),
    ...(off.length
      ? [`turn on ${off.map((name) => `ServiceSettings.${name}`).join(', ')} (now ${off.map((name) => String(settings[name])).join(', ')})`]
      : []),
  ];
  const name = 'erasure possible';
  if (problems.length === 0)
    return { ok: true, name, detail: `permanent deletion through the API is on (${needed.join(', ')}) and the token may use it` };
  const consequence =
    retentionDays > 0
      ? `PORTHOLE_RETENTION_DAYS=${retentionDays} needs it: idle conversations cannot be erased`
      : 'visitors asking to delete their conversation get 503 erasure_unavailable, and `porthole-server erase` fails';
  return { ok: retentionDays === 0, warning: retentionDays === 0, name, detail: `${problems.join('; ')}: ${consequence}` };
}

const mmConfig = z.object({
  ServiceSettings: z
    .object({
      EnableUserAccessTokens: z.boolean().optional(),
      AllowCorsFrom: z.string().optional(),
      EnablePostUsernameOverride: z.boolean().optional(),
      EnablePostIconOverride: z.boolean().optional(),
      EnableAPIPostDeletion: z.boolean().optional(),
      EnableAPIChannelDeletion: z.boolean().optional(),
      EnableAPIUserDeletion: z.boolean().optional(),
    })
    .partial()
    .default({}),
  TeamSettings: z
    .object({
      EnableOpenServer: z.boolean().optional(),
      RestrictDirectMessage: z.string().optional(),
      MaxUsersPerTeam: z.number().optional(),
    })
    .partial()
    .default({}),
  PrivacySettings: z.object({ ShowEmailAddress: z.boolean().optional() }).partial().default({}),
  // Files
  FileSettings: z.object({ MaxFileSize: z.number().optional(), EnableFileAttachments: z.boolean().optional() }).partial().default({}),
});

/**
 * Files in gateway mode: the companion uploads as the bot, so Mattermost must take attachments
 * and files as large as `PORTHOLE_MAX_UPLOAD_BYTES` (else visitors get 502 / 413 after the
 * companion accepted the file). WARN otherwise.
 */
export function gatewayFileCheck(settings: { MaxFileSize?: number; EnableFileAttachments?: boolean }, uploads: UploadLimits): DoctorCheck {
  const name = 'file uploads';
  if (settings.EnableFileAttachments === false)
    return {
      ok: true,
      warning: true,
      name,
      detail: 'FileSettings.EnableFileAttachments=false: every visitor upload will fail (Mattermost answers 403); turn it on',
    };
  if (settings.MaxFileSize !== undefined && settings.MaxFileSize < uploads.maxBytes)
    return {
      ok: true,
      warning: true,
      name,
      detail: `FileSettings.MaxFileSize=${settings.MaxFileSize} is less than PORTHOLE_MAX_UPLOAD_BYTES=${uploads.maxBytes}: files in between pass the companion and are refused by Mattermost (413); lower PORTHOLE_MAX_UPLOAD_BYTES or raise MaxFileSize`,
    };
  return {
    ok: true,
    name,
    detail: `FileSettings.MaxFileSize=${settings.MaxFileSize} takes files up to PORTHOLE_MAX_UPLOAD_BYTES=${uploads.maxBytes}`,
  };
}

/**
 * Files in direct mode: the widget holds the visitor's own Mattermost token, so nothing of the
 * companion's stands between it and `POST /api/v4/files`; Mattermost's `FileSettings.MaxFileSize`
 * is the only hard limit. WARN when it allows more than `PORTHOLE_MAX_UPLOAD_BYTES` says.
 */
export function fileSizeCheck(maxFileSize: number | undefined, uploads: UploadLimits): DoctorCheck {
  const name = 'file size limit';
  if (maxFileSize === undefined)
    return {
      ok: true,
      warning: true,
      name,
      detail: 'FileSettings.MaxFileSize is not readable; visitors may upload what Mattermost allows',
    };
  if (maxFileSize > uploads.maxBytes)
    return {
      ok: true,
      warning: true,
      name,
      detail: `FileSettings.MaxFileSize=${maxFileSize} is more than PORTHOLE_MAX_UPLOAD_BYTES=${uploads.maxBytes}: in direct mode the widget enforces ${uploads.maxBytes} and the types of PORTHOLE_UPLOAD_TYPES, but a visitor calling Mattermost with their own token is held only to MaxFileSize (set it to ${uploads.maxBytes} to match)`,
    };
  return { ok: true, name, detail: `FileSettings.MaxFileSize=${maxFileSize} (at most PORTHOLE_MAX_UPLOAD_BYTES=${uploads.maxBytes})` };
}

/**
 * Why a live check can fail although the configuration lists the origin. Mattermost wraps its
 * router in the CORS handler once, in `Server.Start` (server/channels/app/server.go), from
 * `AllowCorsFrom`, `CorsExposedHeaders` and `CorsAllowCredentials`; a config patch changes the
 * file and the API's view of it, not that handler.
 */
const SAVED_NOT_APPLIED =
  'The origin is saved in ServiceSettings.AllowCorsFrom but not applied: Mattermost builds its CORS handler only at start, so restart Mattermost.';

function parseHeaderList(value: string | null): string[] {
  return (value ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
}

/** Whether a browser on `origin` may send the widget's authorised GET after this preflight answer. */
export function preflightAllows(answer: CorsPreflightAnswer, origin: string): boolean {
  if (answer.status < 200 || answer.status >= 300) return false;
  if (answer.allowOrigin !== origin && answer.allowOrigin !== '*') return false;
  const allowed = parseHeaderList(answer.allowHeaders);
  // Per the Fetch standard `*` never covers Authorization.
  return PREFLIGHT_REQUEST_HEADERS.every((name) => allowed.includes(name) || (allowed.includes('*') && name !== 'authorization'));
}

function describePreflight(answer: CorsPreflightAnswer): string {
  if (answer.status === 0) return `Mattermost could not be reached (${answer.error ?? 'no answer'})`;
  const origin =
    answer.allowOrigin === null ? 'without Access-Control-Allow-Origin' : `with Access-Control-Allow-Origin: ${answer.allowOrigin}`;
  const headers = answer.allowHeaders === null ? 'no Access-Control-Allow-Headers' : `Access-Control-Allow-Headers: ${answer.allowHeaders}`;
  return `Mattermost answered ${answer.status} ${origin} and ${headers}`;
}

/** The doctor check for one origin's CORS preflight. */
export function preflightCheck(origin: string, listedInConfig: boolean, answer: CorsPreflightAnswer): DoctorCheck {
  const name = `CORS preflight from ${origin}`;
  if (preflightAllows(answer, origin)) return { ok: true, name, detail: `OPTIONS /api/v4/users/me: ${describePreflight(answer)}` };
  const expected = `expected OPTIONS /api/v4/users/me to answer 2xx with Access-Control-Allow-Origin: ${origin} and Access-Control-Allow-Headers covering ${PREFLIGHT_REQUEST_HEADERS.join(', ')}`;
  const advice =
    answer.status === 0
      ? ''
      : listedInConfig
        ? ` ${SAVED_NOT_APPLIED}`
        : ' Add the origin to ServiceSettings.AllowCorsFrom, then restart Mattermost (CORS settings apply only at start).';
  return {
    ok: false,
    name,
    detail: `${expected}; ${describePreflight(answer)}.${advice} Browsers on that site cannot call Mattermost's REST API.`,
  };
}

/** The doctor check for one origin's WebSocket upgrade. */
export function webSocketCheck(origin: string, listedInConfig: boolean, answer: WebSocketUpgradeAnswer): DoctorCheck {
  const name = `WebSocket from ${origin}`;
  if (answer.status === 101) return { ok: true, name, detail: 'GET /api/v4/websocket: Mattermost answered 101 Switching Protocols' };
  const got =
    answer.status === 0
      ? `Mattermost could not be reached (${answer.error ?? 'no answer'})`
      : `Mattermost answered ${answer.status}${answer.statusText ? ` ${answer.statusText}` : ''}${answer.status === 403 ? ' (origin refused)' : ''}`;
  // Mattermost rereads AllowCorsFrom on every upgrade (App.OriginChecker), so a listed origin
  // refused here means a server that has not loaded the saved settings, or a proxy in between.
  const advice =
    answer.status === 0
      ? ''
      : listedInConfig
        ? ' The origin is saved in ServiceSettings.AllowCorsFrom but not applied by the server that answered: restart Mattermost; if it still fails, check that a proxy in front of it forwards the Origin and Upgrade headers.'
        : ' Add the origin to ServiceSettings.AllowCorsFrom.';
  return {
    ok: false,
    name,
    detail: `expected 101 Switching Protocols for GET /api/v4/websocket with Origin: ${origin}; ${got}.${advice} Browsers on that site get no live messages.`,
  };
}

/**
 * Probes the first `maxProbed` origins (in parallel) and returns a preflight and a WebSocket
 * check for each, plus a note when some origins were not probed. A prober that rejects counts as
 * an unreachable Mattermost.
 */
export async function liveOriginChecks(
  prober: OriginProber,
  origins: readonly string[],
  listedInConfig: (origin: string) => boolean,
  maxProbed = 5,
): Promise<DoctorCheck[]> {
  const probed = origins.slice(0, maxProbed);
  const unreachable = (err: unknown) => ({
    status: 0,
    allowOrigin: null,
    allowHeaders: null,
    error: err instanceof Error ? err.message : String(err),
  });
  const perOrigin = await Promise.all(
    probed.map(async (origin) => {
      const [preflight, upgrade] = await Promise.all([
        prober.corsPreflight(origin).catch(unreachable),
        prober.webSocketUpgrade(origin).catch(unreachable),
      ]);
      return [preflightCheck(origin, listedInConfig(origin), preflight), webSocketCheck(origin, listedInConfig(origin), upgrade)];
    }),
  );
  const checks = perOrigin.flat();
  if (origins.length > probed.length) {
    checks.push({ ok: true, name: 'live origin checks', detail: `probed the first ${probed.length} of ${origins.length} allowed origins` });
  }
  return checks;
}

/** The settings direct mode's erasure needs: the visitor's channel, user and inbox notice are deleted for good. */
export const DIRECT_ERASURE_SETTINGS = ['EnableAPIChannelDeletion', 'EnableAPIUserDeletion', 'EnableAPIPostDeletion'] as const;

/**
 * Runs the hardening checks of DESIGN.md against the live server: admin token, team, email
 * addresses hidden, user access tokens enabled, every allowed origin in `AllowCorsFrom` — and,
 * for the first allowed origins, a real CORS preflight and WebSocket upgrade, since Mattermost
 * applies CORS settings only after a restart — open server off, direct messages restricted to
 * the team, room in `MaxUsersPerTeam`, and post username and icon overrides on (gateway mode).
 *
 * When `config` carries them, also by id: each of `agentIds` (an existing, active person in the
 * team: made-up ids fail), the inbox channel (in the team, not archived, the admin may post
 * there), and whether erasure is possible (see {@link erasureCheck}; `retentionDays`).
 *
 * @throws {TypeError} when `agentIds` or `inboxChannelId` is given with neither `token` nor `options.reader`.
 *
 * @example
 * ```ts
 * const checks = await runDoctor(new HttpMattermostAdmin({ url, token }), config);
 * for (const line of formatDoctor(checks)) console.log(line);
 * ```
 */
export async function runDoctor(
  admin: MattermostAdmin,
  config: Pick<DirectConfig, 'teamId' | 'allowedOrigins' | 'mattermostUrl'> &
    Partial<Pick<DirectConfig, 'token' | 'agentIds' | 'inboxChannelId' | 'retentionDays' | 'uploads'>>,
  options: DoctorOptions = {},
): Promise<DoctorCheck[]> {
  const byId = config.agentIds !== undefined || config.inboxChannelId !== undefined;
  if (byId && !options.reader && !config.token)
    throw new TypeError('runDoctor: checking agentIds or inboxChannelId needs config.token or options.reader (received neither)');
  const reader = byId ? (options.reader ?? restReader(config.mattermostUrl, config.token!)) : undefined;
  const checks: DoctorCheck[] = [];
  try {
    const me = await admin.getAdminUser();
    const isAdmin = me.roles.split(/\s+/).includes('system_admin');
    checks.push({
      ok: isAdmin,
      name: 'admin token',
      detail: isAdmin
        ? `valid, user ${me.username} is a system admin`
        : `user ${me.username} is not a system admin (needed to create users and tokens and read the config)`,
    });
    if (!isAdmin) return checks;
  } catch (err) {
    checks.push({
      ok: false,
      name: 'admin token',
      detail: `refused or Mattermost unreachable: ${err instanceof Error ? err.message : String(err)}`,
    });
    return checks;
  }
  const team = await admin.getTeam(config.teamId).catch(() => null);
  checks.push({
    ok: !!team,
    name: 'support team',
    detail: team ? `${team.name} (${team.id})` : `team ${config.teamId} not found: set PORTHOLE_TEAM_ID to the id of an existing team`,
  });
  if (reader) {
    if (config.agentIds) checks.push(...(await agentChecks(reader, config.agentIds, config.teamId)));
    if (config.inboxChannelId) {
      const me = await read(reader, '/users/me', doctorUserSchema);
      checks.push(
        me.value
          ? await inboxCheck(reader, config.inboxChannelId, config.teamId, me.value)
          : { ok: false, name: 'inbox channel', detail: `GET /users/me answered ${describeAnswer(me.answer)}` },
      );
    }
  }

  const parsed = mmConfig.safeParse(await admin.getConfig());
  if (!parsed.success) {
    checks.push({ ok: false, name: 'server configuration', detail: 'GET /api/v4/config returned an unexpected shape' });
    return checks;
  }
  const { ServiceSettings: service, TeamSettings: teamSettings, PrivacySettings: privacy } = parsed.data;
  checks.push({
    ok: privacy.ShowEmailAddress === false,
    name: 'email addresses hidden',
    detail: `PrivacySettings.ShowEmailAddress=${privacy.ShowEmailAddress} (want false)`,
  });
  checks.push({
    ok: service.EnableUserAccessTokens === true,
    name: 'user access tokens enabled',
    detail: `ServiceSettings.EnableUserAccessTokens=${service.EnableUserAccessTokens} (want true: visitor credentials are access tokens)`,
  });
  const corsOrigins = new Set((service.AllowCorsFrom ?? '').split(/\s+/).filter(Boolean));
  const missing = config.allowedOrigins.filter((origin) => !corsOrigins.has(origin));
  checks.push({
    ok: missing.length === 0,
    name: 'allowed origins in AllowCorsFrom',
    detail:
      missing.length === 0
        ? `all ${config.allowedOrigins.length} present`
        : `missing from ServiceSettings.AllowCorsFrom: ${missing.join(' ')} (browsers on those sites cannot reach Mattermost's REST API or WebSocket)`,
  });
  const prober = options.prober ?? new HttpOriginProber({ mattermostUrl: config.mattermostUrl });
  checks.push(...(await liveOriginChecks(prober, config.allowedOrigins, (origin) => corsOrigins.has(origin), options.maxProbedOrigins)));
  checks.push({
    ok: teamSettings.EnableOpenServer === false,
    name: 'open server off',
    detail: `TeamSettings.EnableOpenServer=${teamSettings.EnableOpenServer} (want false: only the companion creates accounts)`,
  });
  checks.push({
    ok: teamSettings.RestrictDirectMessage === 'team',
    name: 'direct messages restricted to the team',
    detail: `TeamSettings.RestrictDirectMessage=${JSON.stringify(teamSettings.RestrictDirectMessage)} (want "team")`,
  });
  const maxPerTeam = teamSettings.MaxUsersPerTeam;
  checks.push({
    ok: maxPerTeam === undefined || maxPerTeam >= 250,
    name: 'room in the support team',
    detail: `TeamSettings.MaxUsersPerTeam=${maxPerTeam} (want at least 250; the default 50 stops new visitors early)`,
  });
  checks.push({
    ok: service.EnablePostUsernameOverride === true,
    name: 'post username override enabled',
    detail: `ServiceSettings.EnablePostUsernameOverride=${service.EnablePostUsernameOverride} (want true: gateway mode posts each visitor message through one bot under the visitor's name; otherwise agents see every message from the bot)`,
  });
  checks.push({
    ok: service.EnablePostIconOverride === true,
    name: 'post icon override enabled',
    detail: `ServiceSettings.EnablePostIconOverride=${service.EnablePostIconOverride} (want true: gateway mode gives each visitor message the visitor's picture; otherwise every message shows the bot's)`,
  });
  if (byId) checks.push(erasureCheck(service, DIRECT_ERASURE_SETTINGS, undefined, config.retentionDays ?? 0));
  if (config.uploads) checks.push(fileSizeCheck(parsed.data.FileSettings.MaxFileSize, config.uploads));
  return checks;
}

/** Formats checks as one line each: `ok   name: detail`, `WARN name: detail` or `FAIL name: detail`. */
export function formatDoctor(checks: DoctorCheck[]): string[] {
  return checks.map((check) => `${check.ok ? (check.warning ? 'WARN' : 'ok  ') : 'FAIL'} ${check.name}: ${check.detail}`);
}

/**
 * The `doctor.run` audit event of one run: the mode, how many checks passed, warned and failed,
 * and the names of the failed ones (never their details, which may name users or hosts).
 */
export function doctorRunEvent(mode: 'gateway' | 'direct', checks: readonly DoctorCheck[]): AuditEvent {
  const failed = checks.filter((check) => !check.ok).map((check) => check.name);
  return {
    action: 'doctor.run',
    actor: 'operator:cli',
    outcome: failed.length === 0 ? 'ok' : 'failed',
    detail: {
      mode,
      passed: checks.length - failed.length,
      warnings: checks.filter((check) => check.ok && check.warning).length,
      failed: failed.length,
      failedChecks: failed,
    },
  };
}
