// Keeps an unlicensed Mattermost under its active-user limit: visitors idle for long are
// deactivated (which also ends their sessions and tokens), and reactivated when they return.
import type { Logger } from './logger.js';
import type { MattermostAdmin } from './mattermost-admin.js';
import { isVisitorAccount } from './visitor-provisioner.js';

/** Options of {@link recycleIdleVisitors}. */
export interface RecycleOptions {
  /** The support team visitors are in. */
  teamId: string;
  /** A visitor without activity for this long is deactivated, ms. */
  idleMs: number;
  /** The current time, ms (tests pass a later one). */
  now: number;
  logger: Logger;
  /** Page size of the user listings. Default 200 (Mattermost's maximum). */
  perPage?: number;
}

/**
 * Deactivates every active `visitor-…` account of the support team whose last activity (or, for
 * one that never connected, its creation) is older than `idleMs`. Unlicensed Team Edition stops
 * creating and reactivating users at 250 active ones; deactivated users do not count, and the
 * companion reactivates a visitor's account when they come back. Staff accounts are never touched.
 *
 * @returns how many visitors were deactivated.
 */
export async function recycleIdleVisitors(admin: MattermostAdmin, o: RecycleOptions): Promise<number> {
  const perPage = o.perPage ?? 200;
  const all = async (byActivity: boolean) => {
    const out = [];
    for (let page = 0; ; page++) {
      const users = await admin.listTeamUsers(o.teamId, page, perPage, byActivity);
      out.push(...users);
      if (users.length < perPage) return out;
    }
  };
  // Mattermost keeps the last activity in its status table, listed only when sorting by it.
  const lastActive = new Map((await all(true)).map((u) => [u.id, u.last_activity_at ?? 0]));
  // Collect first, deactivate after: deactivating while paging would shift the pages.
  const idle = (await all(false)).filter(
    // update_at moves when the account is reactivated: a visitor who just came back is not idle.
    (u) => isVisitorAccount(u) && o.now - Math.max(lastActive.get(u.id) ?? 0, u.create_at, u.update_at) >= o.idleMs,
  );
  let done = 0;
  for (const u of idle) {
    try {
      await admin.setUserActive(u.id, false);
      done++;
    } catch (err) {
      o.logger.warn({ msg: 'could not deactivate an idle visitor', userId: u.id, error: err instanceof Error ? err.message : String(err) });
    }
  }
  return done;
}
