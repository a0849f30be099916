import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { silentLogger } from './logger.js';
import { MemoryMattermostAdmin } from './memory-mattermost-admin.js';
import { recycleIdleVisitors } from './visitor-recycler.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 27);

function server() {
  const mm = new MemoryMattermostAdmin({ teamId: 't'.repeat(26), agentIds: ['a'.repeat(26)] });
  const add = async (username: string, createdDaysAgo: number, activeDaysAgo?: number) => {
    const u = await mm.createUser({ username, email: `${username}@x.invalid`, password: 'pw-pw-pw-pw' });
    const stored = mm.users.get(u.id)!;
    stored.create_at = NOW - createdDaysAgo * DAY;
    if (activeDaysAgo !== undefined) stored.last_activity_at = NOW - activeDaysAgo * DAY;
    await mm.addTeamMember('t'.repeat(26), u.id);
    return u.id;
  };
  return { mm, add };
}

describe('recycleIdleVisitors', () => {
  test('deactivates visitors idle past the limit (by last activity, else by creation) and nobody else', async () => {
    const { mm, add } = server();
    const idle = await add('visitor-idle', 90, 40);
    const recent = await add('visitor-recent', 90, 2);
    const neverConnectedOld = await add('visitor-never-old', 45);
    const neverConnectedNew = await add('visitor-never-new', 1);
    const staff = await add('agent-long-gone', 400, 300);
    const n = await recycleIdleVisitors(mm, { teamId: 't'.repeat(26), idleMs: 30 * DAY, now: NOW, logger: silentLogger, perPage: 2 });
    assert.equal(n, 2);
    const active = (id: string) => mm.users.get(id)!.delete_at === 0;
    assert.deepEqual([idle, recent, neverConnectedOld, neverConnectedNew, staff].map(active), [false, true, false, true, true]);
    assert.equal(active(mm.admin.id), true);
  });

  test('goes on past a visitor it cannot deactivate, and says so in the log', async () => {
    const { mm, add } = server();
    await add('visitor-a', 90, 40);
    await add('visitor-b', 90, 40);
    const warnings: unknown[] = [];
    const original = mm.setUserActive.bind(mm);
    let calls = 0;
    mm.setUserActive = async (id, on) => {
      if (++calls === 1) throw new Error('boom');
      return original(id, on);
    };
    const n = await recycleIdleVisitors(mm, {
      teamId: 't'.repeat(26),
      idleMs: 30 * DAY,
      now: NOW,
      logger: { ...silentLogger, warn: (e) => warnings.push(e) },
    });
    assert.equal(n, 1);
    assert.equal(warnings.length, 1);
  });

  test('a visitor who just came back is not idle, however old their last activity', async () => {
    const { mm, add } = server();
    const id = await add('visitor-back', 90, 40);
    const run = () => recycleIdleVisitors(mm, { teamId: 't'.repeat(26), idleMs: 30 * DAY, now: Date.now(), logger: silentLogger });
    assert.equal(await run(), 1);
    await mm.setUserActive(id, true); // what the session route does on their return
    assert.equal(await run(), 0);
    assert.equal(mm.users.get(id)!.delete_at, 0);
  });
});
