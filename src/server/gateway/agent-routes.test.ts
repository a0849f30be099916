import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, it } from 'node:test';
import { parseOfficeHours } from '../office-hours.js';
import { startTestGateway, TEST_PNG } from './test-support.js';

type TestGateway = Awaited<ReturnType<typeof startTestGateway>>;
const running: TestGateway[] = [];
async function start(options: Parameters<typeof startTestGateway>[0] = {}): Promise<TestGateway> {
  const t = await startTestGateway(options);
  running.push(t);
  return t;
}
afterEach(async () => {
  for (const t of running.splice(0)) await t.gateway.stop();
});

const noSettings = { agents: undefined, officeHours: undefined, expectedReply: undefined, fields: [], emailReplies: false };

/** A conversation with one message from the visitor; returns the session and the thread's root. */
async function conversation(t: TestGateway) {
  const s = await t.session();
  const r = await t.call('POST', '/v1/messages', { token: s.token, body: { clientId: randomUUID(), text: 'hello' } });
  assert.equal(r.status, 201);
  return { s, root: (await t.store.getConversation(s.channelId))!.rootPostId };
}

const image = (t: TestGateway, token: string | undefined, userId: string) =>
  t.app.request(`/v1/agents/${userId}/image`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });

describe('GET /v1/availability (gateway)', () => {
  it('follows the channel members’ statuses (bots and the admin’s status included as people), cached 30 s per instance', async () => {
    let now = Date.UTC(2026, 11, 2, 10, 0);
    const t = await start({ now: () => now, config: { availability: { ...noSettings, expectedReply: 'Within an hour' } } });
    const ada = t.mm.addAgent('ada');
    const s = await t.session();
    const get = async () => (await t.call('GET', '/v1/availability', { token: s.token })).json;
    assert.deepEqual(await get(), { state: 'offline', expectedReply: 'Within an hour', fields: [], emailReplies: false });
    t.mm.statuses.set(ada, 'online');
    assert.equal((await get()).state, 'offline', 'cached');
    const calls = t.mm.calls.filter((c) => c === 'getUserStatuses').length;
    now += 30_000;
    assert.equal((await get()).state, 'online');
    t.mm.statuses.set(ada, 'dnd');
    now += 30_000;
    assert.equal((await get()).state, 'away');
    assert.equal(t.mm.calls.filter((c) => c === 'getUserStatuses').length, calls + 2);
  });

  it('asks only the agents of PORTHOLE_AGENTS when set', async () => {
    const t = await start({ config: { availability: { ...noSettings, agents: ['grace'] } } });
    const ada = t.mm.addAgent('ada');
    const grace = t.mm.addAgent('grace');
    t.mm.statuses.set(ada, 'online');
    t.mm.statuses.set(grace, 'away');
    const s = await t.session();
    assert.equal((await t.call('GET', '/v1/availability', { token: s.token })).json.state, 'away');
  });

  it('is closed outside office hours, and unreachable (200) while Mattermost is down', async () => {
    let now = Date.UTC(2026, 11, 5, 10, 0); // Saturday
    const t = await start({
      now: () => now,
      config: { availability: { ...noSettings, officeHours: parseOfficeHours('Mon-Fri 09:00-17:00', 'UTC') } },
    });
    const s = await t.session();
    assert.equal((await t.call('GET', '/v1/availability', { token: s.token })).json.state, 'closed');
    now = Date.UTC(2026, 11, 7, 10, 0); // Monday
    const monday = await t.session();
    t.mm.down = true;
    const down = await t.call('GET', '/v1/availability', { token: monday.token });
    assert.equal(down.status, 200);
    assert.equal(down.json.state, 'unreachable');
    assert.equal(down.res.headers.get('Cache-Control'), 'no-store');
  });

  it('needs a valid token', async () => {
    const t = await start();
    assert.equal((await t.call('GET', '/v1/availability')).status, 401);
  });
});

describe('GET /v1/agents/:userId/image (gateway)', () => {
  it('streams the image of an agent who answered in the conversation, with safe headers', async () => {
    const t = await start();
    const ada = t.mm.addAgent('ada');
    const { s, root } = await conversation(t);
    t.mm.reply(ada, root, 'Hi!');
    const r = await image(t, s.token, ada);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('Content-Type'), 'image/png');
    assert.equal(r.headers.get('X-Content-Type-Options'), 'nosniff');
    assert.equal(r.headers.get('Cache-Control'), 'private, max-age=3600');
    // The answer depends on the token: cached per Authorization, never across a logout or erasure.
    assert.equal(r.headers.get('Vary'), 'Authorization');
    assert.deepEqual(new Uint8Array(await r.arrayBuffer()), TEST_PNG);
  });

  it('serves configured agents, and 404 for anyone else (the admin, unknown ids, malformed ids)', async () => {
    const t = await start({ config: { availability: { ...noSettings, agents: ['grace'] } } });
    const grace = t.mm.addAgent('grace');
    const other = t.mm.addAgent('other');
    const { s } = await conversation(t);
    assert.equal((await image(t, s.token, grace)).status, 200, 'configured');
    for (const id of [other, t.mm.admin.id, 'x'.repeat(26), '..%2f..%2fsystem']) {
      const r = await image(t, s.token, id);
      assert.equal(r.status, 404, id);
      assert.equal((await r.json()).error.code, 'agent_not_found');
    }
    assert.equal((await image(t, undefined, grace)).status, 401);
  });

  it('refuses an image type that is not an image', async () => {
    const t = await start();
    const ada = t.mm.addAgent('ada');
    const { s, root } = await conversation(t);
    t.mm.reply(ada, root, 'Hi!');
    t.mm.images.set(ada, { bytes: new TextEncoder().encode('<script>alert(1)</script>'), contentType: 'text/html' });
    const r = await image(t, s.token, ada);
    assert.equal(r.status, 502);
    assert.equal((await r.json()).error.code, 'unexpected_image_type');
    t.mm.images.set(ada, { bytes: TEST_PNG, contentType: 'image/webp; charset=binary' });
    const ok = await image(t, s.token, ada);
    assert.equal(ok.headers.get('Content-Type'), 'image/webp');
  });
});

describe('GET /v1/agents with PORTHOLE_AGENTS (gateway)', () => {
  it('names the listed agents before they post, after those who posted; without the setting only those who posted', async () => {
    const t = await start({ config: { availability: { ...noSettings, agents: ['grace'] } } });
    const ada = t.mm.addAgent('ada', { first_name: 'Ada', last_name: 'L' });
    const grace = t.mm.addAgent('grace', { first_name: 'Grace', last_name: 'H' });
    const { s, root } = await conversation(t);
    t.mm.reply(ada, root, 'Hi!');
    assert.deepEqual((await t.call('GET', '/v1/agents', { token: s.token })).json.agents, [
      { userId: ada, name: 'Ada L' },
      { userId: grace, name: 'Grace H' },
    ]);
    const plain = await start();
    const other = plain.mm.addAgent('grace');
    const c = await conversation(plain);
    assert.deepEqual((await plain.call('GET', '/v1/agents', { token: c.s.token })).json.agents, []);
    assert.ok(other);
  });
});
