// `porthole-server doctor`: checks that Mattermost is hardened and configured the way Porthole
// needs — both what its configuration says and what the running server actually applies.
import { z } from 'zod';
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
  ok: boolean;
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
}

const mmConfig = z.object({
  ServiceSettings: z
    .object({
      EnableUserAccessTokens: z.boolean().optional(),
      AllowCorsFrom: z.string().optional(),
      EnablePostUsernameOverride: z.boolean().optional(),
      EnablePostIconOverride: z.boolean().optional(),
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
});

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
function preflightAllows(answer: CorsPreflightAnswer, origin: string): boolean {
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

/**
 * Runs the hardening checks of DESIGN.md against the live server: admin token, team, email
 * addresses hidden, user access tokens enabled, every allowed origin in `AllowCorsFrom` — and,
 * for the first allowed origins, a real CORS preflight and WebSocket upgrade, since Mattermost
 * applies CORS settings only after a restart — open server off, direct messages restricted to
 * the team, room in `MaxUsersPerTeam`, and post username and icon overrides on (gateway mode).
 *
 * @example
 * ```ts
 * const checks = await runDoctor(new HttpMattermostAdmin({ url, token }), config);
 * for (const line of formatDoctor(checks)) console.log(line);
 * ```
 */
export async function runDoctor(
  admin: MattermostAdmin,
  config: Pick<DirectConfig, 'teamId' | 'allowedOrigins' | 'mattermostUrl'>,
  options: DoctorOptions = {},
): Promise<DoctorCheck[]> {
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
  checks.push({ ok: !!team, name: 'support team', detail: team ? `${team.name} (${team.id})` : `team ${config.teamId} not found` });

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
  return checks;
}

/** Formats checks as one line each: `ok   name: detail` or `FAIL name: detail`. */
export function formatDoctor(checks: DoctorCheck[]): string[] {
  return checks.map((check) => `${check.ok ? 'ok  ' : 'FAIL'} ${check.name}: ${check.detail}`);
}
