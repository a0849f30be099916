// Gateway mode's promise to the server: new anonymous conversations cost no user seat and no
// channel on the REAL Mattermost, only posts in the support channel.
// Run: PORTHOLE_KEEP_MM=1 node --experimental-websocket --import tsx --test test/integration/gateway-scale.test.ts
// PORTHOLE_SCALE_CONVERSATIONS (default 30) sets how many; the full run uses 300.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminApi, mattermost, type MattermostInfo } from '../support/mattermost.ts';
import { GatewayFixture, type ServedGateway } from '../../src/server/gateway/test-support.ts';

const CONVERSATIONS = Number(process.env.PORTHOLE_SCALE_CONVERSATIONS ?? 30);

let mm: MattermostInfo;
let fixture: GatewayFixture;
let companion: ServedGateway;

before(async () => {
  mm = await mattermost();
  fixture = new GatewayFixture(mm);
  companion = await fixture.serve({ addressSendsPerMinute: 100_000 });
});

after(() => fixture?.dispose());

/** What a visitor could cost the server: seats, users, channels (public and private, archived included). */
async function footprint() {
  const [limits, users, channels] = await Promise.all([
    adminApi('GET', '/limits/server'),
    adminApi('GET', '/users/stats'),
    adminApi('GET', '/channels?per_page=1&include_total_count=true&include_deleted=true'),
  ]);
  return {
    activeUsers: limits.activeUserCount as number,
    users: users.total_users_count as number,
    channels: channels.total_count as number,
  };
}

describe(`${CONVERSATIONS} new anonymous conversations`, () => {
  it('add no user and no channel to Mattermost, one thread each', async () => {
    const visitor = fixture.visitor(companion);
    const before = await footprint();
    const started = Date.now();
    const roots = new Set<string>();
    for (let i = 0; i < CONVERSATIONS; i += 10) {
      await Promise.all(
        Array.from({ length: Math.min(10, CONVERSATIONS - i) }, async (_, j) => {
          const s = await visitor.session({ name: `Scale ${i + j}` });
          const m = await visitor.send(s.token, `hello from visitor ${i + j}`);
          roots.add((await adminApi('GET', `/posts/${m.id}`)).root_id);
        }),
      );
    }
    const seconds = (Date.now() - started) / 1000;
    const after = await footprint();
    assert.deepEqual(after, before);
    assert.equal(roots.size, CONVERSATIONS, 'one thread per conversation');
    const since = await adminApi('GET', `/channels/${mm.inboxChannelId}/posts?since=${started - 1}`);
    const rootsInChannel = (since.order as string[]).filter((id) => roots.has(id));
    assert.equal(rootsInChannel.length, CONVERSATIONS, 'every thread is in the support channel');
    console.log(
      `# ${CONVERSATIONS} conversations in ${seconds.toFixed(1)} s (${(CONVERSATIONS / seconds).toFixed(1)}/s); footprint ${JSON.stringify(after)}`,
    );
  });
});
