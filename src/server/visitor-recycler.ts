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
export async function recycleIdleVisitors(admin: MattermostAdmin, options: RecycleOptions): Promise<number> {
  const perPage = options.perPage ?? 200;
  const listAll = async (byActivity: boolean) => {
    const members = [];
    for (let page = 0; ; page++) {
      const users = await admin.listTeamUsers(options.teamId, page, perPage, byActivity);
      members.push(...users);
      if (users.length < perPage) return members;
    }
  };
  // Mattermost keeps the last activity in its status table, listed only when sorting by it.
  const lastActive = new Map((await listAll(true)).map((user) => [user.id, user.last_activity_at ?? 0]));
  // Collect first, deactivate after: deactivating while paging would shift the pages.
  const idle = (await listAll(false)).filter(
    // update_at moves when the account is reactivated: a visitor who just came back is not idle.
    (user) =>
      isVisitorAccount(user) && options.now - Math.max(lastActive.get(user.id) ?? 0, user.create_at, user.update_at) >= options.idleMs,
  );
  let deactivated = 0;
  for (const user of idle) {
    try {
      await admin.setUserActive(user.id, false);
      deactivated++;
    } catch (err) {
      options.logger.warn({
        msg: 'could not deactivate an idle visitor',
        userId: user.id,
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }
  return deactivated;
}
