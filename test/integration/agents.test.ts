// Agents and availability against the REAL Mattermost from the harness: statuses, profile images,
// and what Mattermost lets a non-admin learn of an agent's read position (the "Seen" question).
// Run: PORTHOLE_MM_READY=1 flock -s /tmp/mm.lock node --import tsx --test test/integration/agents.test.ts
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Hono } from 'hono';
import { adminApi, mattermost, type MattermostInfo } from '../support/mattermost.ts';
import { directAvailabilityRoute } from '../../src/server/availability-route.ts';
import { silentLogger } from '../../src/server/logger.ts';
import { MemoryRateLimitStore } from '../../src/server/rate-limit.ts';
import { GatewayFixture, mattermostAs, mattermostLogin, type ServedGateway } from '../../src/server/gateway/test-support.ts';
import { createCompanion, serve, type RunningServer } from '../../src/server/index';
import { testConfig } from '../../src/server/test-support.ts';
import { MattermostTransport } from '../../src/transport/mattermost-transport.ts';

let mm: MattermostInfo;
let fixture: GatewayFixture;
let companion: ServedGateway;
let clock = Date.now();
/** Each agent's status before the suite, put back after it. */
const original = new Map<string, string>();

const setStatus = (userId: string, status: string) => adminApi('PUT', `/users/${userId}/status`, { user_id: userId, status });
const noSettings = { officeHours: undefined, expectedReply: 'Within the hour', fields: [], emailReplies: false };

before(async () => {
  mm = await mattermost();
  for (const a of mm.agents) original.set(a.id, (await adminApi('GET', `/users/${a.id}/status`)).status);
  fixture = new GatewayFixture(mm);
  // Only the first agent is configured: the second one's face is served only once they answer.
  companion = await fixture.serve({ availability: { ...noSettings, agents: [mm.agents[0]!.username] } }, { now: () => clock });
});

after(async () => {
  for (const [id, status] of original) await setStatus(id, status).catch(() => {});
  await fixture?.dispose();
});

describe('agents and availability against the real Mattermost', () => {
  it('GET /v1/availability follows the configured agent’s status: online, away, dnd (away), offline', async () => {
    const ada = mm.agents[0]!.id;
    const grace = mm.agents[1]!.id;
    await setStatus(grace, 'online'); // not configured: must not count
    const seen: string[] = [];
    for (const status of ['online', 'away', 'dnd', 'offline']) {
      await setStatus(ada, status);
      clock += 31_000; // past the 30 s cache
      const s = await fixture.visitor(companion).session();
      const r = await fixture.visitor(companion).call('GET', '/v1/availability', { token: s.token });
      assert.equal(r.status, 200);
      seen.push(r.json.state);
      assert.equal(r.json.expectedReply, 'Within the hour');
    }
    assert.deepEqual(seen, ['online', 'away', 'away', 'offline']);
  });

  it('direct mode’s route asks the same statuses with PORTHOLE_AGENT_IDS, and says unreachable (200) for a Mattermost that is not there', async () => {
    await setStatus(mm.agents[1]!.id, 'away');
    const route = (url: string) => {
      const app = new Hono();
      app.route(
        '/',
        directAvailabilityRoute({
          settings: undefined,
          mattermostUrl: url,
          token: mm.adminToken,
          agentIds: [mm.agents[1]!.id],
          rateLimitStore: new MemoryRateLimitStore(),
          clientIp: () => '192.0.2.9',
          logger: silentLogger,
          now: Date.now,
        }),
      );
      return app;
    };
    assert.equal((await (await route(mm.url).request('/v1/availability')).json()).state, 'away');
    const down = await route('http://127.0.0.1:8929').request('/v1/availability');
    assert.equal(down.status, 200);
    assert.equal((await down.json()).state, 'unreachable');
  });

  it('serves an agent’s profile image byte for byte as Mattermost has it, and 404 for anyone not of the conversation', async () => {
    const ada = mm.agents[0]!;
    const grace = mm.agents[1]!;
    const { session, root, agent } = await fixture.conversation(companion, 1, 'Face Test', 'hello');
    const image = (userId: string) =>
      fetch(`${companion.url}/v1/agents/${userId}/image`, { headers: { Authorization: `Bearer ${session.token}` } });
    const fromMattermost = async (userId: string) =>
      new Uint8Array(
        await (
          await fetch(`${mm.url}/api/v4/users/${userId}/image`, { headers: { Authorization: `Bearer ${mm.adminToken}` } })
        ).arrayBuffer(),
      );

    // Configured: served at once.
    const configured = await image(ada.id);
    assert.equal(configured.status, 200);
    assert.equal(configured.headers.get('Content-Type'), 'image/png');
    assert.equal(configured.headers.get('X-Content-Type-Options'), 'nosniff');
    assert.equal(configured.headers.get('Cache-Control'), 'private, max-age=3600');
    assert.deepEqual(new Uint8Array(await configured.arrayBuffer()), await fromMattermost(ada.id));

    // The configured agent is named before posting (for "Ada is typing…"); Grace is not, yet.
    const named = await fixture.visitor(companion).call('GET', '/v1/agents', { token: session.token });
    assert.deepEqual(
      named.json.agents.map((a: { userId: string }) => a.userId),
      [ada.id],
    );

    // Not configured and not yet in the conversation: 404; once Grace answers in the thread, served.
    assert.equal((await image(grace.id)).status, 404);
    await mattermostAs(mm.url, agent, 'POST', '/posts', { channel_id: mm.inboxChannelId, root_id: root, message: 'Hi, Grace here' });
    const answered = await image(grace.id);
    assert.equal(answered.status, 200);
    assert.deepEqual(new Uint8Array(await answered.arrayBuffer()), await fromMattermost(grace.id));

    // The admin, the bot, unknown ids: never.
    for (const id of [mm.adminUserId, companion.gateway.status().botUserId!, 'x'.repeat(26)])
      assert.equal((await image(id)).status, 404, id);
  });

  it('Seen: an agent’s read position is hidden from every other non-admin user, so the widget shows no "Seen"', async () => {
    // A thread of a visitor that the second agent reads in full, as their app would (CRT on).
    const { root, agent, reply } = await fixture.conversation(companion, 1, 'Seen Test', 'did you read me?');
    const grace = mm.agents[1]!;
    await reply('Looking into it'); // she follows the thread from here
    await mattermostAs(mm.url, agent, 'POST', `/channels/members/${grace.id}/view`, { channel_id: mm.inboxChannelId });
    await mattermostAs(mm.url, agent, 'PUT', `/users/${grace.id}/teams/${mm.teamId}/threads/${root}/read/${Date.now()}`);
    // Grace sees her own position…
    const own = await mattermostAs(mm.url, agent, 'GET', `/channels/${mm.inboxChannelId}/members/${grace.id}`);
    assert.ok(own.last_viewed_at > 0);
    // …a fellow channel member who is not an admin (as the bot, or a direct-mode visitor in its
    // channel, is) reads -1 (model.ChannelMember.SanitizeForCurrentUser), and is refused the thread
    // membership (api4/user.go getThreadForUser: SessionHasPermissionToUser).
    const other = await mattermostLogin(mm.url, mm.agents[0]!.username, mm.agents[0]!.password);
    const seenByOther = await mattermostAs(mm.url, other, 'GET', `/channels/${mm.inboxChannelId}/members/${grace.id}`);
    assert.equal(seenByOther.last_viewed_at, -1);
    const members = await mattermostAs<any[]>(mm.url, other, 'GET', `/channels/${mm.inboxChannelId}/members?per_page=200`);
    assert.equal(members.find((m) => m.user_id === grace.id)?.last_viewed_at, -1);
    const thread = await fetch(`${mm.url}/api/v4/users/${grace.id}/teams/${mm.teamId}/threads/${root}`, {
      headers: { Authorization: `Bearer ${other}` },
    });
    assert.equal(thread.status, 403);
  });
});

describe('direct mode: a visitor of the real companion', () => {
  let running: RunningServer | undefined;
  const created: { user?: string; channel?: string } = {};
  const startedAt = Date.now();

  after(async () => {
    await running?.close();
    if (created.channel) await adminApi('DELETE', `/channels/${created.channel}?permanent=true`).catch(() => {});
    if (created.user) await adminApi('DELETE', `/users/${created.user}?permanent=true`).catch(() => {});
    const inbox = await adminApi('GET', `/channels/${mm.inboxChannelId}/posts?since=${startedAt}`);
    for (const id of inbox.order ?? [])
      if (/New conversation from/.test(inbox.posts[id]?.message ?? '')) await adminApi('DELETE', `/posts/${id}`).catch(() => {});
  });

  it('GET /v1/availability without a token; the visitor’s token reads agents’ faces from Mattermost but never their read position', async () => {
    const companion = createCompanion(
      testConfig({
        mattermostUrl: mm.url,
        publicUrl: mm.url,
        token: mm.adminToken,
        teamId: mm.teamId,
        agentIds: mm.agents.map((a) => a.id),
        inboxChannelId: mm.inboxChannelId,
        allowedOrigins: mm.allowedOrigins,
        rateLimitPerMinute: 1000,
        port: 0,
        availability: { agents: undefined, officeHours: undefined, expectedReply: 'Soon', fields: ['email'], emailReplies: false },
      }),
      { logger: silentLogger },
    );
    running = await serve(companion, { port: 0, host: '127.0.0.1' });
    const origin = mm.allowedOrigins[0]!;
    for (const a of mm.agents) await setStatus(a.id, 'offline');
    await setStatus(mm.agents[1]!.id, 'dnd');
    const availability = await fetch(`${running.url}/v1/availability`, { headers: { Origin: origin } });
    assert.equal(availability.status, 200);
    assert.equal(availability.headers.get('Access-Control-Allow-Origin'), origin);
    assert.deepEqual(await availability.json(), { state: 'away', expectedReply: 'Soon', fields: ['email'], emailReplies: false });

    const res = await fetch(`${running.url}/v1/session`, {
      method: 'POST',
      headers: { Origin: origin, 'Content-Type': 'application/json' },
      body: '{}',
    });
    assert.equal(res.status, 200);
    const session = await res.json();
    created.user = session.userId;
    created.channel = session.channelId;
    const transport = new MattermostTransport({ mode: 'direct', ...session });
    const ada = mm.agents[0]!;
    const blob = await transport.avatar(ada.id);
    const expected = new Uint8Array(
      await (
        await fetch(`${mm.url}/api/v4/users/${ada.id}/image`, { headers: { Authorization: `Bearer ${mm.adminToken}` } })
      ).arrayBuffer(),
    );
    assert.deepEqual(new Uint8Array(await blob!.arrayBuffer()), expected);
    assert.equal(await transport.avatar('x'.repeat(26)), undefined, 'no such user: nothing to show');

    // Ada reads the visitor's channel; the visitor's token sees -1 for her position.
    const token = await mattermostLogin(mm.url, ada.username, ada.password);
    await mattermostAs(mm.url, token, 'POST', `/channels/members/${ada.id}/view`, { channel_id: session.channelId });
    const member = await mattermostAs(mm.url, session.token, 'GET', `/channels/${session.channelId}/members/${ada.id}`);
    assert.equal(member.last_viewed_at, -1);
  });
});
