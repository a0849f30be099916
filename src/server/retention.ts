// Retention: conversations idle (no message either way) for PORTHOLE_RETENTION_DAYS are erased by a
// scheduled pass (the CLI runs it at start and hourly; off by default). Gateway mode reads idle
// conversations from the store's activity index, under a store lock so one instance runs a pass at
// a time; direct mode reads visitors' last activity from Mattermost, as visitor-recycler.ts does.
import type { DirectPrivacy } from './direct-privacy.js';
import { HttpError } from './errors.js';
import type { GatewayPrivacy } from './gateway/erasure.js';
import type { GatewayStore } from './gateway/store.js';
import type { Logger } from './logger.js';
import type { MattermostAdmin, MmUserActivity } from './mattermost-admin.js';
import { isVisitorAccount } from './visitor-provisioner.js';

/** The audit actor of retention's erasures. */
export const RETENTION_ACTOR = 'system:retention';
/** The store lock a gateway pass holds (renewed after each erasure; the pass stops when it is lost). */
export const RETENTION_LOCK = 'retention';
const LOCK_TTL_MS = 10 * 60_000;
const BATCH = 50;
const DAY_MS = 86_400_000;

/** How long a conversation must be idle before retention erases it, in ms; 0 when retention is off. */
export function retentionMs(retentionDays: number): number {
  return retentionDays > 0 ? retentionDays * DAY_MS : 0;
}

/** A configuration refusal (no admin token, deletion off) stops the pass: every other erasure would fail the same way. */
const stopsThePass = (e: unknown) => e instanceof HttpError && e.code === 'erasure_unavailable';

/** What {@link eraseIdleGatewayConversations} needs. */
export interface GatewayRetentionDeps {
  privacy: Pick<GatewayPrivacy, 'eraseIfIdle'>;
  store: GatewayStore;
  /** This instance's name in the store lock. */
  instanceId: string;
  now: () => number;
  logger: Logger;
}

/**
 * Erases every gateway conversation whose last activity is more than `idleMs` before `at`, least
 * recently active first; each one's activity is read again under its erasure marker right before
 * it is erased, so one that became active during the pass is kept. Returns how many were erased;
 * 0 when another instance holds the pass's lock. The lock is renewed after every erasure, and the
 * pass stops (logged) when it cannot be: another instance may have taken it over. A conversation
 * that fails is logged (and audited) and left for the next pass.
 *
 * @throws {HttpError} 503 `erasure_unavailable` when erasure cannot work at all (the pass stops).
 */
export async function eraseIdleGatewayConversations(deps: GatewayRetentionDeps, options: { idleMs: number; at: number }): Promise<number> {
  const { store, instanceId, now, logger } = deps;
  if (options.idleMs <= 0) return 0;
  if (!(await store.acquireLock(RETENTION_LOCK, instanceId, LOCK_TTL_MS, now()))) {
    logger.info({ msg: 'retention: another instance is running a pass' });
    return 0;
  }
  const cutoff = options.at - options.idleMs;
  const passed = new Set<string>();
  let erased = 0;
  try {
    for (;;) {
      const ids = (await store.idleConversations(cutoff, BATCH + passed.size)).filter((id) => !passed.has(id));
      if (ids.length === 0) return erased;
      for (const id of ids) {
        try {
          if (await deps.privacy.eraseIfIdle(id, cutoff, { actor: RETENTION_ACTOR })) erased++;
          else passed.add(id);
        } catch (e) {
          if (stopsThePass(e)) throw e;
          passed.add(id);
          logger.warn({ msg: 'retention: could not erase a conversation; trying again next pass', conversationId: id, error: String(e) });
        }
        if (!(await store.acquireLock(RETENTION_LOCK, instanceId, LOCK_TTL_MS, now()))) {
          logger.warn({ msg: 'retention: lost the pass lock to another instance; stopping this pass', erased });
          return erased;
        }
      }
    }
  } finally {
    await store.releaseLock(RETENTION_LOCK, instanceId);
  }
}

/** What {@link eraseIdleDirectVisitors} needs. */
export interface DirectRetentionDeps {
  admin: MattermostAdmin;
  privacy: Pick<DirectPrivacy, 'eraseIfIdle'>;
  teamId: string;
  logger: Logger;
}

/**
 * Erases every direct-mode visitor idle for more than `idleMs` before `at`: neither the visitor
 * (Mattermost's last activity, else the account's creation or last change — a deactivation by
 * PORTHOLE_IDLE_VISITOR_DAYS counts as a change, so a recycled visitor is erased later, never
 * earlier) nor anyone in their channel (its last post) was active since. Right before each
 * erasure both are read again (the newest activities, until the first unchanged one; the
 * channel), so a visitor who came back during the pass is kept. Returns how many.
 */
export async function eraseIdleDirectVisitors(deps: DirectRetentionDeps, options: { idleMs: number; at: number }): Promise<number> {
  const { admin, teamId, logger } = deps;
  if (options.idleMs <= 0) return 0;
  const perPage = 200;
  const listAll = async (list: (page: number) => Promise<MmUserActivity[]>) => {
    const out: MmUserActivity[] = [];
    for (let page = 0; ; page++) {
      const batch = await list(page);
      out.push(...batch);
      if (batch.length < perPage) return out;
    }
  };
  const lastActive = new Map(
    (await listAll((p) => admin.listTeamUsers(teamId, p, perPage, true))).map((u) => [u.id, u.last_activity_at ?? 0]),
  );
  /**
   * Reads the activities that changed since the last read. Activity only moves forward, so every
   * user active since sorts before every unchanged one: reading newest first stops at the first
   * user whose activity is the one already known.
   */
  const refreshActivity = async () => {
    for (let page = 0; ; page++) {
      const batch = await admin.listTeamUsers(teamId, page, perPage, true);
      for (const u of batch) {
        const at = u.last_activity_at ?? 0;
        if (lastActive.get(u.id) === at) return;
        lastActive.set(u.id, at);
      }
      if (batch.length < perPage) return;
    }
  };
  // Collect first, erase after: erasing while paging would shift the pages.
  const everyone = [
    ...(await listAll((p) => admin.listTeamUsers(teamId, p, perPage, false))),
    ...(await listAll((p) => admin.listInactiveTeamUsers(teamId, p, perPage))),
  ];
  const cutoff = options.at - options.idleMs;
  const idleNow = (u: MmUserActivity) => Math.max(lastActive.get(u.id) ?? 0, u.create_at, u.update_at) < cutoff;
  const idle = everyone.filter((u) => isVisitorAccount(u) && idleNow(u));
  let erased = 0;
  for (const user of idle) {
    try {
      await refreshActivity();
      if (!idleNow(user)) continue;
      if (await deps.privacy.eraseIfIdle(user, cutoff, { actor: RETENTION_ACTOR })) erased++;
    } catch (e) {
      if (stopsThePass(e)) throw e;
      logger.warn({ msg: 'retention: could not erase a visitor; trying again next pass', userId: user.id, error: String(e) });
    }
  }
  return erased;
}
