// GET /healthz (the process is up) and GET /readyz (whether this instance should get traffic).
// A load balancer takes a 503 instance out; so /readyz answers 503 only for what is wrong with this
// instance alone (starting, draining, its own socket to Mattermost). An outage every instance
// shares — Mattermost, Redis, seats — is reported as `degraded` with 200: taking every instance
// out at once would only replace the widget's clear answers with the load balancer's error page.
import { Hono } from 'hono';
import { z } from 'zod';
import type { MattermostAdmin } from './mattermost-admin.js';

/** One readiness check. */
export interface ReadinessCheck {
  name: 'mattermost_ping' | 'admin_token' | 'team' | 'user_headroom' | 'gateway' | 'bot_socket' | 'store_data' | 'redis' | 'draining';
  ok: boolean;
  /**
   * `instance`: a failure is this instance's alone (the report is `not_ready`, 503); `shared`: every
   * instance sees it (the report is `degraded`, 200).
   */
  scope: 'instance' | 'shared';
  /** Safe, short explanation (no Mattermost text in production). */
  message: string;
}

/** Body of `GET /readyz`. */
export interface ReadinessReport {
  /** `ready` and `degraded` answer 200, `not_ready` 503 (see {@link ReadinessCheck.scope}). */
  status: 'ready' | 'degraded' | 'not_ready';
  checks: ReadinessCheck[];
  /** Active users and the hard limit (0 = unlimited), when known. */
  users?: { active: number; limit: number; headroom: number | null };
}

/** The body of `GET /healthz`, as a schema (the OpenAPI document is generated from it). */
export const healthBodySchema = z.object({ status: z.literal('ok') });

/** The body of `GET /readyz`, as a schema (the OpenAPI document is generated from it): {@link ReadinessReport}. */
export const readinessReportSchema = z.object({
  status: z.enum(['ready', 'degraded', 'not_ready']),
  checks: z.array(
    z.object({
      name: z.enum(['mattermost_ping', 'admin_token', 'team', 'user_headroom', 'gateway', 'bot_socket', 'store_data', 'redis', 'draining']),
      ok: z.boolean(),
      scope: z.enum(['instance', 'shared']),
      message: z.string(),
    }),
  ),
  users: z.object({ active: z.number().int(), limit: z.number().int(), headroom: z.number().int().nullable() }).optional(),
});
// The schema and the interfaces above describe the same body: adding a check name to one but not the other fails the type check.
true satisfies SameType<z.infer<typeof readinessReportSchema>, ReadinessReport>;
type SameType<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/** Settings of {@link healthRoutes}. */
export interface HealthRouteOptions {
  admin: MattermostAdmin;
  teamId: string;
  production: boolean;
  /** The `user_headroom` check fails (degraded, never 503) when fewer user slots than this remain under the hard limit. Default: 1. */
  minHeadroom?: number;
}

function reason(err: unknown, production: boolean, generic: string): string {
  return production ? generic : `${generic}: ${err instanceof Error ? err.message : String(err)}`;
}

/** The status of a set of checks: a failed instance check → `not_ready`, a failed shared one → `degraded`. */
export function readinessStatus(checks: readonly ReadinessCheck[]): ReadinessReport['status'] {
  if (checks.some((check) => !check.ok && check.scope === 'instance')) return 'not_ready';
  return checks.every((check) => check.ok) ? 'ready' : 'degraded';
}

/**
 * Runs the readiness checks in order, stopping at the first that makes the next meaningless:
 * Mattermost answers its ping; the admin token is valid; the team exists; there is room for at
 * least `minHeadroom` more active users (unlicensed Team Edition refuses users past 250).
 */
export async function checkReadiness(options: HealthRouteOptions): Promise<ReadinessReport> {
  const { admin, production } = options;
  const checks: ReadinessCheck[] = [];
  const done = (users?: ReadinessReport['users']): ReadinessReport => ({
    status: readinessStatus(checks),
    checks,
    ...(users ? { users } : {}),
  });

  try {
    await admin.ping();
    checks.push({ name: 'mattermost_ping', scope: 'shared', ok: true, message: 'Mattermost answers' });
  } catch (err) {
    checks.push({
      name: 'mattermost_ping',
      scope: 'shared',
      ok: false,
      message: reason(err, production, 'Mattermost does not answer its ping'),
    });
    return done();
  }
  try {
    const me = await admin.getAdminUser();
    checks.push({ name: 'admin_token', scope: 'shared', ok: true, message: `token of ${me.username}` });
  } catch (err) {
    checks.push({ name: 'admin_token', scope: 'shared', ok: false, message: reason(err, production, 'the admin token is refused') });
    return done();
  }
  try {
    const team = await admin.getTeam(options.teamId);
    checks.push(
      team
        ? { name: 'team', scope: 'shared', ok: true, message: `team ${team.name}` }
        : { name: 'team', scope: 'shared', ok: false, message: `team ${options.teamId} not found` },
    );
  } catch (err) {
    checks.push({ name: 'team', scope: 'shared', ok: false, message: reason(err, production, 'the team lookup failed') });
  }
  try {
    const limits = await admin.getServerLimits();
    const limit = limits.maxUsersHardLimit;
    const headroom = limit > 0 ? limit - limits.activeUserCount : null;
    const ok = headroom === null || headroom >= (options.minHeadroom ?? 1);
    checks.push({
      name: 'user_headroom',
      scope: 'shared',
      ok,
      message:
        headroom === null
          ? `${limits.activeUserCount} active users, no limit`
          : `${limits.activeUserCount} of ${limit} active users (${headroom} left)`,
    });
    return done({ active: limits.activeUserCount, limit, headroom });
  } catch (err) {
    checks.push({
      name: 'user_headroom',
      scope: 'shared',
      ok: false,
      message: reason(err, production, 'the user limits could not be read'),
    });
    return done();
  }
}

/**
 * `GET /healthz` → 200 `{ status: "ok" }`; `GET /readyz` → 200 (ready, degraded) or 503 (not ready) with a {@link ReadinessReport}:
 * direct mode's checks ({@link checkReadiness}) for options, or the report `readiness` returns.
 */
export function healthRoutes(options: HealthRouteOptions | (() => Promise<ReadinessReport>)): Hono {
  const readiness = typeof options === 'function' ? options : () => checkReadiness(options);
  const route = new Hono();
  route.get('/healthz', (c) => {
    c.header('Cache-Control', 'no-store');
    return c.json({ status: 'ok' });
  });
  route.get('/readyz', async (c) => {
    const report = await readiness();
    c.header('Cache-Control', 'no-store');
    return c.json(report, report.status === 'not_ready' ? 503 : 200);
  });
  return route;
}
