// `porthole-server doctor`: checks that Mattermost is hardened and configured the way Porthole needs.
import { z } from 'zod';
import type { CompanionConfig } from './config.js';
import type { MattermostAdmin } from './mattermost-admin.js';

/** The outcome of one doctor check. */
export interface DoctorCheck {
  ok: boolean;
  /** What is checked, e.g. "email addresses hidden". */
  name: string;
  /** The setting and its value, or what to change. */
  detail: string;
}

const mmConfig = z.object({
  ServiceSettings: z
    .object({
      EnableUserAccessTokens: z.boolean().optional(),
      AllowCorsFrom: z.string().optional(),
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
 * Runs the hardening checks of DESIGN.md against the live server: admin token, team, email
 * addresses hidden, user access tokens enabled, every allowed origin in `AllowCorsFrom`, open
 * server off, direct messages restricted to the team, and room in `MaxUsersPerTeam`.
 */
export async function runDoctor(admin: MattermostAdmin, config: Pick<CompanionConfig, 'teamId' | 'allowedOrigins'>): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  try {
    const me = await admin.getAdminUser();
    const isAdmin = me.roles.split(/\s+/).includes('system_admin');
    checks.push({ ok: isAdmin, name: 'admin token', detail: isAdmin ? `valid, user ${me.username} is a system admin` : `user ${me.username} is not a system admin (needed to create users and tokens and read the config)` });
    if (!isAdmin) return checks;
  } catch (err) {
    checks.push({ ok: false, name: 'admin token', detail: `refused or Mattermost unreachable: ${err instanceof Error ? err.message : String(err)}` });
    return checks;
  }
  const team = await admin.getTeam(config.teamId).catch(() => null);
  checks.push({ ok: !!team, name: 'support team', detail: team ? `${team.name} (${team.id})` : `team ${config.teamId} not found` });

  const parsed = mmConfig.safeParse(await admin.getConfig());
  if (!parsed.success) {
    checks.push({ ok: false, name: 'server configuration', detail: 'GET /api/v4/config returned an unexpected shape' });
    return checks;
  }
  const { ServiceSettings: s, TeamSettings: t, PrivacySettings: p } = parsed.data;
  checks.push({ ok: p.ShowEmailAddress === false, name: 'email addresses hidden', detail: `PrivacySettings.ShowEmailAddress=${p.ShowEmailAddress} (want false)` });
  checks.push({ ok: s.EnableUserAccessTokens === true, name: 'user access tokens enabled', detail: `ServiceSettings.EnableUserAccessTokens=${s.EnableUserAccessTokens} (want true: visitor credentials are access tokens)` });
  const cors = new Set((s.AllowCorsFrom ?? '').split(/\s+/).filter(Boolean));
  const missing = config.allowedOrigins.filter((o) => !cors.has(o));
  checks.push({
    ok: missing.length === 0,
    name: 'allowed origins in AllowCorsFrom',
    detail: missing.length === 0 ? `all ${config.allowedOrigins.length} present` : `missing from ServiceSettings.AllowCorsFrom: ${missing.join(' ')} (browsers on those sites cannot reach Mattermost's REST API or WebSocket)`,
  });
  checks.push({ ok: t.EnableOpenServer === false, name: 'open server off', detail: `TeamSettings.EnableOpenServer=${t.EnableOpenServer} (want false: only the companion creates accounts)` });
  checks.push({ ok: t.RestrictDirectMessage === 'team', name: 'direct messages restricted to the team', detail: `TeamSettings.RestrictDirectMessage=${JSON.stringify(t.RestrictDirectMessage)} (want "team")` });
  const maxPerTeam = t.MaxUsersPerTeam;
  checks.push({ ok: maxPerTeam === undefined || maxPerTeam >= 250, name: 'room in the support team', detail: `TeamSettings.MaxUsersPerTeam=${maxPerTeam} (want at least 250; the default 50 stops new visitors early)` });
  return checks;
}

/** Formats checks as one line each: `ok   name: detail` or `FAIL name: detail`. */
export function formatDoctor(checks: DoctorCheck[]): string[] {
  return checks.map((c) => `${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
}
