// `porthole-server doctor` in gateway mode: the tokens, the support channel, and the settings a
// bot posting for visitors needs. The browser never talks to Mattermost in this mode, so CORS
// (AllowCorsFrom) plays no part.
import { z } from 'zod';
import type { DoctorCheck } from '../doctor.js';
import type { GatewayConfig } from './config.js';

const me = z.object({ id: z.string(), username: z.string(), roles: z.string().default(''), is_bot: z.boolean().optional() });
const channel = z.object({ id: z.string(), name: z.string(), team_id: z.string() });
const serviceSettings = z.object({
  ServiceSettings: z
    .object({
      EnablePostUsernameOverride: z.boolean().optional(),
      EnablePostIconOverride: z.boolean().optional(),
      EnableBotAccountCreation: z.boolean().optional(),
    })
    .partial()
    .default({}),
});

type Get = (path: string, token: string) => Promise<{ status: number; body: unknown }>;

function getter(mattermostUrl: string, fetchImpl: typeof fetch): Get {
  return async (path, token) => {
    const res = await fetchImpl(`${mattermostUrl}/api/v4${path}`, {
      headers: { Authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(5000),
    });
    return { status: res.status, body: await res.json().catch(() => null) };
  };
}

/**
 * Runs gateway mode's checks against the live server: the admin token is a system admin's (or
 * the bot token is a bot's), the support channel exists and, with only a bot token, the bot is
 * in it; `EnablePostUsernameOverride` and `EnablePostIconOverride` are on (agents see the
 * visitor's name, not the bot's), and bot creation is on when the companion has to create its bot.
 */
export async function runGatewayDoctor(
  config: Pick<GatewayConfig, 'mattermostUrl' | 'adminToken' | 'botToken' | 'botUsername' | 'supportChannelId'>,
  options: { fetch?: typeof fetch } = {},
): Promise<DoctorCheck[]> {
  const get = getter(config.mattermostUrl, options.fetch ?? fetch);
  const checks: DoctorCheck[] = [];
  const token = config.adminToken ?? config.botToken!;
  let who: z.infer<typeof me>;
  try {
    const answer = await get('/users/me', token);
    const parsed = me.safeParse(answer.body);
    if (answer.status !== 200 || !parsed.success) throw new Error(`GET /users/me answered ${answer.status}`);
    who = parsed.data;
  } catch (err) {
    checks.push({
      ok: false,
      name: config.adminToken ? 'admin token' : 'bot token',
      detail: `refused or Mattermost unreachable: ${err instanceof Error ? err.message : String(err)}`,
    });
    return checks;
  }
  if (config.adminToken) {
    const isAdmin = who.roles.split(/\s+/).includes('system_admin');
    checks.push({
      ok: isAdmin,
      name: 'admin token',
      detail: isAdmin
        ? `valid, user ${who.username} is a system admin (used at start to ensure the bot ${config.botUsername})`
        : `user ${who.username} is not a system admin (needed to create or reuse the bot and read the config)`,
    });
    if (!isAdmin) return checks;
  } else {
    checks.push({
      ok: who.is_bot === true,
      name: 'bot token',
      detail: who.is_bot
        ? `valid, bot ${who.username}`
        : `the token belongs to ${who.username}, who is not a bot (PORTHOLE_BOT_TOKEN must be a bot account's token)`,
    });
  }

  const found = await get(`/channels/${config.supportChannelId}`, token).catch(() => ({ status: 0, body: null }));
  const support = channel.safeParse(found.body);
  checks.push({
    ok: found.status === 200 && support.success,
    name: 'support channel',
    detail: support.success
      ? `${support.data.name} (${support.data.id})`
      : `channel ${config.supportChannelId} not found or not readable (${found.status || 'unreachable'})`,
  });

  if (!config.adminToken) {
    // Not GET /channels/{id}: any team member may read a public channel without being in it.
    const membership = await get(`/channels/${config.supportChannelId}/members/me`, token).catch(() => ({ status: 0, body: null }));
    const member = membership.status === 200;
    checks.push({
      ok: member,
      name: 'bot in the support channel',
      detail: member
        ? 'yes'
        : `add the bot to the support channel (with a bot token alone the companion cannot; GET /channels/${config.supportChannelId}/members/me answered ${membership.status || 'unreachable'})`,
    });
    checks.push({
      ok: true,
      name: 'server configuration',
      detail: 'not readable with a bot token: make sure EnablePostUsernameOverride and EnablePostIconOverride are on',
    });
    return checks;
  }
  const cfg = serviceSettings.safeParse((await get('/config', token)).body);
  if (!cfg.success) {
    checks.push({ ok: false, name: 'server configuration', detail: 'GET /api/v4/config returned an unexpected shape' });
    return checks;
  }
  const service = cfg.data.ServiceSettings;
  checks.push({
    ok: service.EnablePostUsernameOverride === true,
    name: 'post username override enabled',
    detail: `ServiceSettings.EnablePostUsernameOverride=${service.EnablePostUsernameOverride} (want true: each visitor message is a bot post under the visitor's name; otherwise agents see every message from the bot)`,
  });
  checks.push({
    ok: service.EnablePostIconOverride === true,
    name: 'post icon override enabled',
    detail: `ServiceSettings.EnablePostIconOverride=${service.EnablePostIconOverride} (want true when PORTHOLE_VISITOR_ICON_URL is set; otherwise visitor messages show the bot's picture)`,
  });
  const bot = await get(`/users/username/${config.botUsername}`, token).catch(() => ({ status: 0, body: null }));
  checks.push(
    bot.status === 200 || service.EnableBotAccountCreation === true
      ? {
          ok: true,
          name: 'bot account',
          detail:
            bot.status === 200
              ? `${config.botUsername} exists`
              : `${config.botUsername} will be created at start (EnableBotAccountCreation=true)`,
        }
      : {
          ok: false,
          name: 'bot account',
          detail: `${config.botUsername} does not exist and ServiceSettings.EnableBotAccountCreation=${service.EnableBotAccountCreation} (want true, or create the bot and set PORTHOLE_BOT_TOKEN)`,
        },
  );
  return checks;
}
