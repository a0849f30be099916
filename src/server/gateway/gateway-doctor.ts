// `porthole-server doctor` in gateway mode: the tokens, the bot and what it may do in the support
// channel, the people who answer there, the settings a bot posting for visitors needs, whether
// erasure is possible, and the companion's own CORS. Visitors' browsers never call Mattermost in
// this mode, so Mattermost's CORS (AllowCorsFrom) plays no part; the companion answers CORS itself.
import { z } from 'zod';
import type { ServerSettings } from '../config.js';
import {
  gatewayFileCheck,
  describeAnswer,
  erasureCheck,
  postingAllowed,
  preflightAllows,
  readChannel,
  readChannelMember,
  readTeamMember,
  restReader,
  type DoctorChannel,
  type DoctorCheck,
  doctorUserSchema,
  type DoctorUser,
  type MattermostReader,
} from '../doctor.js';
import type { CorsPreflightAnswer } from '../origin-prober.js';
import type { GatewayConfig } from './config.js';

const serviceSettings = z.object({
  ServiceSettings: z
    .object({
      EnablePostUsernameOverride: z.boolean().optional(),
      EnablePostIconOverride: z.boolean().optional(),
      EnableBotAccountCreation: z.boolean().optional(),
      EnableAPIPostDeletion: z.boolean().optional(),
    })
    .partial()
    .default({}),
  // Files
  FileSettings: z.object({ MaxFileSize: z.number().optional(), EnableFileAttachments: z.boolean().optional() }).partial().default({}),
});
const channelMembers = z.array(z.object({ user_id: z.string() }));

/** The settings gateway mode's erasure needs: the thread's posts are deleted for good. */
export const GATEWAY_ERASURE_SETTINGS = ['EnableAPIPostDeletion'] as const;

/** What {@link runGatewayDoctor} reads of the configuration. */
export type GatewayDoctorConfig = Pick<GatewayConfig, 'mattermostUrl' | 'adminToken' | 'botToken' | 'botUsername' | 'supportChannelId'> &
  Partial<Pick<GatewayConfig, 'allowedOrigins' | 'publicUrl' | 'production' | 'visitorIconUrl' | 'uploads'>> &
  Partial<Pick<ServerSettings, 'retentionDays'>>;

/** Optional collaborators of {@link runGatewayDoctor}. */
export interface GatewayDoctorOptions {
  /** fetch for Mattermost and the companion's preflight (tests). Default: global fetch. */
  fetch?: typeof fetch;
  /** How many allowed origins get a preflight against the companion (the first ones). Default: 5. */
  maxProbedOrigins?: number;
}

async function readUserAt(reader: MattermostReader, path: string) {
  const answer = await reader.get(path);
  const parsed = doctorUserSchema.safeParse(answer.body);
  return answer.status === 200 && parsed.success ? { value: parsed.data as DoctorUser, answer } : { value: null, answer };
}

/** The support channel: it exists, is a channel of a team (not a direct message), and is not archived. */
async function supportChannelCheck(reader: MattermostReader, channelId: string): Promise<{ check: DoctorCheck; channel?: DoctorChannel }> {
  const name = 'support channel';
  const fix = 'set PORTHOLE_SUPPORT_CHANNEL_ID (or PORTHOLE_INBOX_CHANNEL_ID) to the id of a channel of your support team';
  const { value: channel, answer } = await readChannel(reader, channelId);
  if (!channel)
    return {
      check: { ok: false, name, detail: `channel ${channelId} not found or not readable (${describeAnswer(answer)}): ${fix}` },
    };
  if (!channel.team_id)
    return { check: { ok: false, name, detail: `${channel.id} is a direct or group message, not a team's channel: ${fix}` } };
  if (channel.delete_at !== 0)
    return { check: { ok: false, name, detail: `${channel.name} (${channel.id}) is archived: unarchive it, or ${fix}` }, channel };
  return { check: { ok: true, name, detail: `${channel.name} (${channel.id}), team ${channel.team_id}` }, channel };
}

/** The people (active, not bots) in the support channel: they see the visitors' threads and answer them. */
async function agentsCheck(reader: MattermostReader, channel: DoctorChannel, botId: string | undefined): Promise<DoctorCheck> {
  const name = 'agents in the support channel';
  const ids: string[] = [];
  for (let page = 0; page < 20; page++) {
    const answer = await reader.get(`/channels/${channel.id}/members?page=${page}&per_page=200`);
    const parsed = channelMembers.safeParse(answer.body);
    if (answer.status !== 200 || !parsed.success)
      return { ok: false, name, detail: `could not list the channel's members (${describeAnswer(answer)})` };
    ids.push(...parsed.data.map((member) => member.user_id).filter((id) => id !== botId));
    if (parsed.data.length < 200) break;
  }
  const people: string[] = [];
  for (let i = 0; i < ids.length && people.length < 5; i += 200) {
    const answer = await reader.post('/users/ids', ids.slice(i, i + 200));
    const users = z.array(doctorUserSchema).safeParse(answer.body);
    if (answer.status !== 200 || !users.success)
      return { ok: false, name, detail: `could not read the members (${describeAnswer(answer)})` };
    people.push(...users.data.filter((user) => user.delete_at === 0 && !user.is_bot).map((user) => `@${user.username}`));
  }
  return people.length > 0
    ? { ok: true, name, detail: `${people.slice(0, 5).join(', ')}${people.length >= 5 ? ' and maybe more' : ''} see the visitors' threads` }
    : {
        ok: false,
        name,
        detail: `no active person is a member of ${channel.name} besides the bot: nobody sees the visitors' messages. Add your agents to the channel`,
      };
}

/** The bot is in the support channel's team and the channel, and may post there. */
async function botPostingChecks(reader: MattermostReader, bot: DoctorUser, channel: DoctorChannel, fix: string): Promise<DoctorCheck[]> {
  const [teamMember, channelMember] = await Promise.all([
    readTeamMember(reader, channel.team_id, bot.id),
    readChannelMember(reader, channel.id, bot.id),
  ]);
  const membership: DoctorCheck =
    teamMember.value && channelMember.value
      ? { ok: true, name: 'bot in the support channel', detail: `@${bot.username} is a member of the team and of ${channel.name}` }
      : {
          ok: false,
          name: 'bot in the support channel',
          detail: `@${bot.username} is not a member of ${teamMember.value ? channel.name : `the channel's team ${channel.team_id}`} (GET ${teamMember.value ? `/channels/${channel.id}/members/${bot.id}` : `/teams/${channel.team_id}/members/${bot.id}`} answered ${describeAnswer(teamMember.value ? channelMember.answer : teamMember.answer)}): ${fix}`,
        };
  if (!membership.ok) return [membership];
  const posting = await postingAllowed(reader, bot, channel, {
    channelRoles: channelMember.value?.roles,
    teamRoles: teamMember.value?.roles,
  });
  return [
    membership,
    posting.allowed
      ? { ok: true, name: 'bot may post in the support channel', detail: posting.why }
      : {
          ok: false,
          name: 'bot may post in the support channel',
          detail: `@${bot.username} cannot create posts in ${channel.name}: ${posting.why}. Give channel members create_post there (channel settings → moderation, or the permission scheme)`,
        },
  ];
}

/**
 * The companion's own CORS, where it can be asked: visitors' browsers call only the companion,
 * which answers preflights from `PORTHOLE_ALLOWED_ORIGINS` (origins are validated at start). With
 * `PORTHOLE_PUBLIC_URL`, a real preflight per origin (the first ones) goes to the running companion
 * as browsers reach it, through any proxy: a proxy that answers preflights itself or strips the CORS
 * headers fails here. A companion that does not answer (not started yet) is a warning.
 */
export async function companionCorsChecks(
  config: Pick<GatewayDoctorConfig, 'allowedOrigins' | 'publicUrl' | 'production'>,
  fetchImpl: typeof fetch = fetch,
  maxProbed = 5,
): Promise<DoctorCheck[]> {
  const origins = config.allowedOrigins ?? [];
  if (origins.length === 0) return [];
  const checks: DoctorCheck[] = [];
  const insecure = origins.filter((origin) => {
    const url = new URL(origin);
    return url.protocol === 'http:' && !['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  });
  checks.push(
    config.production && insecure.length > 0
      ? {
          ok: true,
          warning: true,
          name: 'allowed origins',
          detail: `${insecure.join(' ')} ${insecure.length === 1 ? 'is' : 'are'} plain http: anyone on the network path can alter those pages and the widget on them; serve the site over https`,
        }
      : {
          ok: true,
          name: 'allowed origins',
          detail: `${origins.length} exact origin${origins.length === 1 ? '' : 's'}; browsers call only the companion, which answers CORS itself (Mattermost's AllowCorsFrom plays no part in gateway mode)`,
        },
  );
  if (!config.publicUrl) {
    checks.push({
      ok: true,
      name: 'companion CORS preflight',
      detail:
        'not probed: PORTHOLE_PUBLIC_URL is unset, so doctor does not know where browsers reach the companion; set it to probe through your proxy',
    });
    return checks;
  }
  const probed = origins.slice(0, maxProbed);
  const url = `${config.publicUrl}/v1/messages`;
  for (const origin of probed) {
    const name = `companion CORS preflight from ${origin}`;
    let answer: CorsPreflightAnswer & { allowMethods: string | null };
    try {
      const res = await fetchImpl(url, {
        method: 'OPTIONS',
        headers: {
          Origin: origin,
          'Access-Control-Request-Method': 'POST',
          // As the widget's upload asks (a proxy that strips the file-name header breaks uploads only).
          'Access-Control-Request-Headers': 'authorization,content-type,x-porthole-file-name',
        },
        redirect: 'manual',
        signal: AbortSignal.timeout(5000),
      });
      await res.body?.cancel();
      answer = {
        status: res.status,
        allowOrigin: res.headers.get('Access-Control-Allow-Origin'),
        allowHeaders: res.headers.get('Access-Control-Allow-Headers'),
        allowMethods: res.headers.get('Access-Control-Allow-Methods'),
      };
    } catch (err) {
      checks.push({
        ok: true,
        warning: true,
        name,
        detail: `the companion does not answer at ${url} (${err instanceof Error ? err.message : String(err)}); run doctor again once it serves to check the preflight through your proxy`,
      });
      continue;
    }
    const methods = (answer.allowMethods ?? '').toUpperCase().split(/\s*,\s*/);
    const headers = (answer.allowHeaders ?? '').toLowerCase().split(/\s*,\s*/);
    const ok =
      preflightAllows(answer, origin) && methods.includes('POST') && (headers.includes('x-porthole-file-name') || headers.includes('*'));
    checks.push(
      ok
        ? { ok: true, name, detail: `OPTIONS ${url}: ${answer.status} with Access-Control-Allow-Origin: ${answer.allowOrigin}` }
        : {
            ok: false,
            name,
            detail: `expected OPTIONS ${url} to answer 2xx with Access-Control-Allow-Origin: ${origin}, Access-Control-Allow-Headers covering authorization, content-type, x-porthole-file-name and Access-Control-Allow-Methods with POST; it answered ${answer.status} with Access-Control-Allow-Origin: ${answer.allowOrigin ?? 'none'}, Access-Control-Allow-Headers: ${answer.allowHeaders ?? 'none'}. Check that PORTHOLE_PUBLIC_URL is where browsers reach the companion, that the origin is in PORTHOLE_ALLOWED_ORIGINS of the running companion, and that no proxy in front of it answers or rewrites OPTIONS requests`,
          },
    );
  }
  if (origins.length > probed.length)
    checks.push({
      ok: true,
      name: 'companion CORS preflight',
      detail: `probed the first ${probed.length} of ${origins.length} allowed origins`,
    });
  return checks;
}

/**
 * Runs gateway mode's checks against the live server:
 *
 * - the token the companion starts with: with `PORTHOLE_BOT_TOKEN` (used alone at start), it is a
 *   bot's and the bot is active; else `PORTHOLE_MM_TOKEN` is a system admin's;
 * - the support channel by id: exists, a team's, not archived;
 * - the bot: with a bot token, a member of the channel's team and the channel who may post there
 *   (its roles, as Mattermost decides); with the admin token, `PORTHOLE_BOT_USERNAME` is a bot (or
 *   bot creation is on), and when it is already in the channel, that it may post there (the
 *   companion adds it at start otherwise);
 * - the agents: at least one active person in the support channel (gateway mode has no agent
 *   list: whoever is in the channel answers);
 * - `EnablePostUsernameOverride` and `EnablePostIconOverride` (agents see the visitor's name and
 *   picture, not the bot's), when the admin token can read the configuration;
 * - erasure possible: a system admin's token and `EnableAPIPostDeletion` (a warning unless
 *   `retentionDays` > 0);
 * - the companion's own CORS ({@link companionCorsChecks}).
 *
 * Redis is checked by `runRedisDoctor` (the CLI adds it).
 *
 * @example
 * ```ts
 * for (const line of formatDoctor(await runGatewayDoctor(config))) console.log(line);
 * ```
 */
export async function runGatewayDoctor(config: GatewayDoctorConfig, options: GatewayDoctorOptions = {}): Promise<DoctorCheck[]> {
  const fetchImpl = options.fetch ?? fetch;
  const checks: DoctorCheck[] = [];
  const admin = config.adminToken ? restReader(config.mattermostUrl, config.adminToken, fetchImpl) : undefined;
  const botReader = config.botToken ? restReader(config.mattermostUrl, config.botToken, fetchImpl) : undefined;

  // The admin token, when given: needed at start without a bot token, and for erasure either way.
  let adminUser: DoctorUser | null = null;
  if (admin) {
    const me = await readUserAt(admin, '/users/me');
    adminUser = me.value;
    const isAdmin = !!adminUser && adminUser.roles.split(/\s+/).includes('system_admin');
    checks.push({
      // Refused is wrong whatever else is set; not an admin's only matters without a bot token (and for erasure).
      ok: isAdmin || (!!botReader && !!adminUser),
      warning: !isAdmin && !!botReader && !!adminUser,
      name: 'admin token',
      detail: !adminUser
        ? `PORTHOLE_MM_TOKEN refused or Mattermost unreachable (GET /users/me answered ${describeAnswer(me.answer)}): use a system admin's access token`
        : isAdmin
          ? `valid, @${adminUser.username} is a system admin${botReader ? ' (used for erasure; the bot token is used at start)' : ` (used at start to ensure the bot @${config.botUsername})`}`
          : `@${adminUser.username} is not a system admin: PORTHOLE_MM_TOKEN must be a system admin's (to create or reuse the bot, read the configuration and erase)`,
    });
    if (!isAdmin && !botReader) return checks;
    if (!isAdmin) adminUser = null;
  }

  let bot: DoctorUser | null = null;
  if (botReader) {
    const me = await readUserAt(botReader, '/users/me');
    bot = me.value;
    const problem = !bot
      ? `PORTHOLE_BOT_TOKEN refused or Mattermost unreachable (GET /users/me answered ${describeAnswer(me.answer)}): mint a new token for the bot (System Console → Integrations → Bot Accounts)`
      : !bot.is_bot
        ? `the token belongs to @${bot.username}, who is not a bot (PORTHOLE_BOT_TOKEN must be a bot account's token)`
        : undefined;
    checks.push({ ok: !problem, name: 'bot token', detail: problem ?? `valid, bot @${bot!.username}` });
    if (problem) return checks;
  }

  const reader = (adminUser ? admin : botReader)!;
  // The server configuration needs manage_system: only the admin token reads it.
  const settings = adminUser && admin ? serviceSettings.safeParse((await admin.get('/config')).body) : undefined;
  const { check: supportCheck, channel } = await supportChannelCheck(reader, config.supportChannelId);
  checks.push(supportCheck);

  if (botReader && bot) {
    // The companion starts with the bot token alone: it cannot add the bot anywhere.
    if (channel && supportCheck.ok)
      checks.push(
        ...(await botPostingChecks(
          botReader,
          bot,
          channel,
          `add the bot to the channel's team and the channel (/invite @${bot.username}), or unset PORTHOLE_BOT_TOKEN so the companion adds it with PORTHOLE_MM_TOKEN`,
        )),
      );
  } else if (adminUser && admin) {
    const existing = await readUserAt(admin, `/users/username/${encodeURIComponent(config.botUsername)}`);
    bot = existing.value;
    const creation = settings?.success ? settings.data.ServiceSettings.EnableBotAccountCreation : undefined;
    if (bot && !bot.is_bot)
      checks.push({
        ok: false,
        name: 'bot account',
        detail: `@${config.botUsername} belongs to a regular user, not a bot: set PORTHOLE_BOT_USERNAME to a free name or an existing bot`,
      });
    else if (bot)
      checks.push({
        ok: true,
        name: 'bot account',
        detail: `@${bot.username} exists${bot.delete_at !== 0 ? ' (disabled: the companion re-enables it at start)' : ''}; its token is minted at start and kept in the store`,
      });
    else
      checks.push(
        creation === true
          ? { ok: true, name: 'bot account', detail: `@${config.botUsername} will be created at start (EnableBotAccountCreation=true)` }
          : {
              ok: false,
              name: 'bot account',
              detail: `@${config.botUsername} does not exist and ServiceSettings.EnableBotAccountCreation=${creation} (want true, or create the bot and set PORTHOLE_BOT_TOKEN)`,
            },
      );
    if (bot?.is_bot && channel && supportCheck.ok) {
      const [teamMember, channelMember] = await Promise.all([
        readTeamMember(admin, channel.team_id, bot.id),
        readChannelMember(admin, channel.id, bot.id),
      ]);
      if (teamMember.value && channelMember.value) {
        const posting = await postingAllowed(admin, bot, channel, {
          channelRoles: channelMember.value.roles,
          teamRoles: teamMember.value.roles,
        });
        checks.push(
          posting.allowed
            ? { ok: true, name: 'bot may post in the support channel', detail: posting.why }
            : {
                ok: false,
                name: 'bot may post in the support channel',
                detail: `@${bot.username} cannot create posts in ${channel.name}: ${posting.why}. Give channel members create_post there (channel settings → moderation, or the permission scheme)`,
              },
        );
      } else
        checks.push({
          ok: true,
          name: 'bot in the support channel',
          detail: `not yet: the companion adds @${bot.username} to the team and ${channel.name} at start (run doctor again afterwards to check it may post)`,
        });
    }
  }

  if (channel && supportCheck.ok) checks.push(await agentsCheck(reader, channel, bot?.id));

  if (settings) {
    const cfg = settings;
    if (!cfg.success) {
      checks.push({ ok: false, name: 'server configuration', detail: 'GET /api/v4/config returned an unexpected shape' });
    } else {
      const service = cfg.data.ServiceSettings;
      checks.push({
        ok: service.EnablePostUsernameOverride === true,
        name: 'post username override enabled',
        detail: `ServiceSettings.EnablePostUsernameOverride=${service.EnablePostUsernameOverride} (want true: each visitor message is a bot post under the visitor's name; otherwise agents see every message from the bot)`,
      });
      const icon = service.EnablePostIconOverride === true;
      checks.push({
        ok: icon || !config.visitorIconUrl,
        warning: !icon && !config.visitorIconUrl,
        name: 'post icon override enabled',
        detail: `ServiceSettings.EnablePostIconOverride=${service.EnablePostIconOverride} (want true${config.visitorIconUrl ? ': PORTHOLE_VISITOR_ICON_URL is set, and' : ' when PORTHOLE_VISITOR_ICON_URL is set; otherwise'} visitor messages show the bot's picture)`,
      });
      checks.push(erasureCheck(service, GATEWAY_ERASURE_SETTINGS, undefined, config.retentionDays ?? 0));
      if (config.uploads) checks.push(gatewayFileCheck(cfg.data.FileSettings, config.uploads));
    }
  } else {
    checks.push({
      ok: true,
      warning: true,
      name: 'server configuration',
      detail:
        'not readable without a system admin token: make sure ServiceSettings.EnablePostUsernameOverride and EnablePostIconOverride are on',
    });
    checks.push(
      erasureCheck(
        {},
        [],
        "set PORTHOLE_MM_TOKEN to a system admin's token (the bot cannot delete for good: permanent deletion needs manage_system; also turn on ServiceSettings.EnableAPIPostDeletion)",
        config.retentionDays ?? 0,
      ),
    );
  }

  checks.push(...(await companionCorsChecks(config, fetchImpl, options.maxProbedOrigins)));
  return checks;
}
