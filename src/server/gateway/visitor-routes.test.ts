import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, it } from 'node:test';
import { signIdentity } from '../identity.js';
import { createJsonLogger } from '../logger.js';
import { MAX_MESSAGE_RUNES, messagesResponseSchema, gatewaySessionSchema } from '../../protocol/gateway.js';
import { Hono } from 'hono';
import { createErrorHandler } from '../errors.js';
import { MattermostError } from '../mattermost-admin.js';
import { silentLogger } from '../logger.js';
import { createGateway } from './gateway.js';
import { MemoryGatewayStore } from './memory-store.js';
import { signPortholeToken } from './porthole-token.js';
import { MemoryMattermost, startTestGateway, testGatewayConfig, waitUntil } from './test-support.js';

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

const send = (t: TestGateway, token: string, text: string, clientId: string = randomUUID()) =>
  t.call('POST', '/v1/messages', { token, body: { clientId, text } });
const botPosts = (t: TestGateway) => [...t.mm.posts.values()].filter((p) => t.mm.users.get(p.user_id)?.is_bot);

describe('POST /v1/session (gateway)', () => {
  it('mints a token and creates nothing in Mattermost or the store', async () => {
    const t = await start();
    const callsBefore = t.mm.calls.length;
    const first = await t.session({ name: 'Ada Lovelace', page: 'https://shop.example.com/pricing' });
    assert.ok(gatewaySessionSchema.safeParse(first).success);
    assert.equal(first.mode, 'gateway');
    assert.equal(first.serverUrl, 'http://localhost');
    assert.match(first.token, /^pt1\./);
    assert.equal(first.expiresAt > Date.now() + 800_000, true);
    assert.equal(t.mm.calls.length, callsBefore, 'no Mattermost call');
    assert.equal(await t.store.getConversation(first.channelId), undefined);
    assert.equal(t.mm.posts.size, 0);
    // A returning visitor (same cookie) keeps their ids.
    const again = await t.session({}, first.cookie);
    assert.equal(again.userId, first.userId);
    assert.equal(again.channelId, first.channelId);
    assert.equal(t.mm.calls.length, callsBefore);
  });

  it('uses PORTHOLE_PUBLIC_URL, or the request URL without /v1/session (with X-Forwarded-* behind a trusted proxy)', async () => {
    const configured = await start({ config: { publicUrl: 'https://chat.example.com/porthole' } });
    assert.equal((await configured.session()).serverUrl, 'https://chat.example.com/porthole');
    const proxied = await start({ config: { trustProxy: true } });
    const r = await proxied.call('POST', '/v1/session', {
      headers: { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'chat.example.com' },
    });
    assert.equal(r.json.serverUrl, 'https://chat.example.com');
  });

  it('finds an identified visitor on any device, with the verified email', async () => {
    const t = await start();
    const identity = await signIdentity(
      { sub: 'user-42', name: 'Grace Hopper', email: 'grace@example.com', exp: Math.floor(Date.now() / 1000) + 300 },
      t.config.identitySecret!,
    );
    const a = await t.session({ identity });
    const b = await t.session({ identity, name: 'ignored' });
    assert.equal(a.channelId, b.channelId);
    assert.equal(a.userId, b.userId);
    const anon = await t.session();
    assert.notEqual(anon.channelId, a.channelId);
    await send(t, a.token, 'hello');
    const root = botPosts(t).find((p) => !p.root_id)!;
    assert.match(root.message, /Grace Hopper/);
    assert.match(root.message, /grace@example\\\.com \(verified\)/);
  });

  it('refuses bad bodies and identities with clear codes', async () => {
    const t = await start();
    assert.equal((await t.call('POST', '/v1/session', { body: { page: 'javascript:alert(1)' } })).json.error.code, 'invalid_body');
    assert.equal((await t.call('POST', '/v1/session', { body: { nope: 1 } })).json.error.code, 'invalid_body');
    assert.equal((await t.call('POST', '/v1/session', { body: '{' })).json.error.code, 'invalid_json');
    assert.equal((await t.call('POST', '/v1/session', { body: { identity: 'a.b.c' } })).json.error.code, 'invalid_identity');
    const big = await t.call('POST', '/v1/session', { body: { name: 'x'.repeat(5000) } });
    assert.equal(big.status, 413);
  });
});

describe('POST /v1/messages', () => {
  it('creates the root announcement on the first message, then bot replies with the visitor props', async () => {
    const t = await start({ config: { visitorIconUrl: 'https://shop.example.com/v.png' } });
    const s = await t.session({ name: 'Ada @channel Lovelace', page: 'https://shop.example.com/pricing?x=(1)' });
    const clientId = randomUUID();
    const r = await send(t, s.token, 'Hi @channel, where is my order?', clientId);
    assert.equal(r.status, 201);
    assert.equal(r.json.message.clientId, clientId);
    assert.equal(r.json.message.userId, s.userId);
    assert.equal(r.json.message.text, 'Hi @channel, where is my order?', 'the visitor gets their own text back');

    const [root, reply] = botPosts(t).sort((a, b) => a.create_at - b.create_at);
    assert.equal(root!.root_id, '');
    assert.equal(root!.channel_id, t.mm.channelId);
    assert.match(root!.message, /New conversation from \*\*Ada @\u2060channel Lovelace\*\* · anonymous/);
    assert.match(root!.message, /Page: https:\/\/shop\.example\.com\/pricing\?x=%281%29/);
    assert.equal(reply!.root_id, root!.id);
    assert.equal(reply!.message, 'Hi @\u2060channel, where is my order?', '@-mentions are defused');
    assert.deepEqual(
      { ...reply!.props },
      {
        from_webhook: 'true',
        override_username: 'Ada @channel Lovelace (visitor)',
        override_icon_url: 'https://shop.example.com/v.png',
        porthole_client_id: clientId,
        porthole_visitor: s.userId,
        from_bot: 'true',
      },
    );
    const stored = await t.store.getConversation(s.channelId);
    assert.equal(stored?.rootPostId, root!.id);
    assert.equal(stored?.visitorUserId, s.userId);
  });

  it("announces the visitor's page only when it is on an allowed origin", async () => {
    const t = await start();
    const foreign = await t.session({ page: 'https://evil.example/login?next=shop' });
    assert.equal((await send(t, foreign.token, 'hi')).status, 201);
    const lookalike = await t.session({ page: 'https://shop.example.com.evil.example/' });
    assert.equal((await send(t, lookalike.token, 'hi')).status, 201);
    const roots = botPosts(t).filter((p) => !p.root_id);
    assert.equal(roots.length, 2);
    for (const root of roots) assert.doesNotMatch(root.message, /Page|evil/);
  });

  it('is idempotent by client id, also after a restart and past the 30 s window', async () => {
    let now = Date.now();
    const mm = new MemoryMattermost();
    const t = await start({ mm, now: () => now });
    const s = await t.session();
    const clientId = randomUUID();
    const first = await send(t, s.token, 'once', clientId);
    const repeat = await send(t, s.token, 'once', clientId);
    assert.equal(repeat.status, 200);
    assert.equal(repeat.json.message.id, first.json.message.id);
    // A companion restart over the same store: the store answers.
    const restarted = await start({ mm, store: t.store, now: () => now });
    now += 120_000;
    const late = await restarted.call('POST', '/v1/messages', { token: s.token, body: { clientId, text: 'once' } });
    assert.equal(late.json.message.id, first.json.message.id);
    assert.equal(botPosts(t).filter((p) => p.root_id).length, 1);
  });

  it('finds a send that reached Mattermost but not the store, in the thread', async () => {
    let now = Date.now();
    const t = await start({ now: () => now });
    const s = await t.session();
    await send(t, s.token, 'first');
    const clientId = randomUUID();
    // Simulate a crash after Mattermost saved the post: pending in the store, post in the thread.
    await t.store.markClientPostPending(s.channelId, clientId, now);
    const conversation = (await t.store.getConversation(s.channelId))!;
    const bot = [...t.mm.users.values()].find((u) => u.is_bot)!;
    const orphan = t.mm.clientFor([...t.mm.tokens].find(([, id]) => id === bot.id)![0]);
    const saved = await orphan.createPost({
      channel_id: t.mm.channelId,
      root_id: conversation.rootPostId,
      message: 'again',
      props: { porthole_client_id: clientId },
    });
    now += 60_000;
    const r = await send(t, s.token, 'again', clientId);
    assert.equal(r.json.message.id, saved.id);
    assert.equal(botPosts(t).filter((p) => p.props.porthole_client_id === clientId).length, 1);
  });

  it('finds a send whose answer was lost in the thread, also within 30 s of a Mattermost restart', async () => {
    const t = await start();
    const s = await t.session();
    await send(t, s.token, 'first');
    const clientId = randomUUID();
    t.mm.loseNextAck = true;
    const lost = await send(t, s.token, 'once', clientId);
    // Store and forward: a lost answer looks like Mattermost gone, so the message is queued (202).
    assert.equal(lost.status, 202, `the lost answer is queued (got ${lost.status})`);
    await waitUntil(async () => (await t.store.queuedMessages(s.channelId, 1)).length === 0, 5000, 'the forwarder to deliver');
    t.mm.restart();
    const retry = await send(t, s.token, 'once', clientId);
    assert.equal(retry.status, 200);
    assert.equal(botPosts(t).filter((p) => p.props.porthole_client_id === clientId).length, 1);
    assert.equal(retry.json.message.id, botPosts(t).find((p) => p.props.porthole_client_id === clientId)!.id);
  });

  it('creates one root for concurrent first messages', async () => {
    const t = await start();
    const s = await t.session();
    const results = await Promise.all(Array.from({ length: 5 }, (_, i) => send(t, s.token, `m${i}`)));
    assert.deepEqual(
      results.map((r) => r.status),
      [201, 201, 201, 201, 201],
    );
    assert.equal(botPosts(t).filter((p) => !p.root_id).length, 1);
    assert.equal(botPosts(t).filter((p) => p.root_id).length, 5);
  });

  it('starts a new thread when agents deleted the root', async () => {
    const t = await start();
    const s = await t.session();
    await send(t, s.token, 'one');
    const oldRoot = (await t.store.getConversation(s.channelId))!.rootPostId;
    t.mm.remove(oldRoot);
    const r = await send(t, s.token, 'two');
    assert.equal(r.status, 201);
    const now = (await t.store.getConversation(s.channelId))!;
    assert.notEqual(now.rootPostId, oldRoot);
    assert.equal(t.mm.posts.get(r.json.message.id)!.root_id, now.rootPostId);
  });

  it('refuses texts over 16,383 characters before Mattermost, and empty or malformed bodies', async () => {
    const t = await start();
    const s = await t.session();
    const calls = t.mm.calls.length;
    const long = await send(t, s.token, '😀'.repeat(MAX_MESSAGE_RUNES + 1));
    assert.equal(long.status, 413);
    assert.equal(long.json.error.code, 'message_too_long');
    assert.equal(t.mm.calls.length, calls);
    assert.equal((await send(t, s.token, '😀'.repeat(MAX_MESSAGE_RUNES))).status, 201, 'exactly the limit passes');
    assert.equal((await send(t, s.token, '  ')).json.error.code, 'invalid_body');
    assert.equal(
      (await t.call('POST', '/v1/messages', { token: s.token, body: { clientId: 'nope', text: 'x' } })).json.error.code,
      'invalid_body',
    );
    assert.equal(
      (await t.call('POST', '/v1/messages', { token: s.token, body: { clientId: randomUUID(), text: 'x', channelId: 'other' } })).json.error
        .code,
      'invalid_body',
    );
  });

  it('counts the invisible character each @-word gains, and refuses what Mattermost refuses with 422', async () => {
    const t = await start();
    const s = await t.session();
    const calls = t.mm.calls.length;
    // Within the limit as typed, over it once each "@x" gains U+2060.
    const mentions = '@x '.repeat(Math.ceil(MAX_MESSAGE_RUNES / 3)).slice(0, MAX_MESSAGE_RUNES);
    const long = await send(t, s.token, mentions);
    assert.equal(long.status, 413);
    assert.equal(long.json.error.code, 'message_too_long');
    assert.match(long.json.error.message, /@-words/);
    assert.equal(t.mm.calls.length, calls, 'refused before Mattermost');
    // Mattermost refusing the message itself is the visitor's 4xx (the widget marks it failed), not a 502.
    assert.equal((await send(t, s.token, 'first')).status, 201);
    t.mm.refuseNextPost = new MattermostError(400, 'model.post.is_valid.props.app_error', 'createPost → 400');
    const refused = await send(t, s.token, 'hello');
    assert.equal(refused.status, 422);
    assert.equal(refused.json.error.code, 'message_refused');
  });

  it('limits sends per conversation and per address with 429 + Retry-After', async () => {
    const t = await start({ config: { messagesPerMinute: 2, typingPerMinute: 1, addressSendsPerMinute: 5 } });
    const a = await t.session();
    assert.equal((await send(t, a.token, '1')).status, 201);
    assert.equal((await send(t, a.token, '2')).status, 201);
    const limited = await send(t, a.token, '3');
    assert.equal(limited.status, 429);
    assert.equal(limited.json.error.code, 'rate_limited');
    assert.match(limited.res.headers.get('Retry-After') ?? '', /^\d+$/);
    assert.equal((await t.call('POST', '/v1/typing', { token: a.token })).status, 204);
    assert.equal((await t.call('POST', '/v1/typing', { token: a.token })).status, 429);
    // Another conversation from the same address still has its own quota, until the address one is used up.
    const b = await t.session();
    assert.equal((await send(t, b.token, '1')).status, 429, 'the address sent 5 already');
  });

  it('spends a global budget of new conversations (PORTHOLE_NEW_CONVERSATIONS_PER_MINUTE), not of messages', async () => {
    const t = await start({ config: { newConversationsPerMinute: 2 } });
    const [a, b, c] = [await t.session(), await t.session(), await t.session()];
    assert.equal((await send(t, a.token, 'first of a')).status, 201);
    assert.equal((await send(t, b.token, 'first of b')).status, 201);
    const refused = await send(t, c.token, 'first of c');
    assert.equal(refused.status, 429);
    assert.equal(refused.json.error.code, 'rate_limited');
    assert.match(refused.json.error.message, /too many new conversations/);
    assert.ok(Number(refused.res.headers.get('Retry-After')) >= 1);
    assert.equal((await send(t, a.token, 'second of a')).status, 201, 'a running conversation goes on');
  });

  it('limits reads (history, agents) to PORTHOLE_READS_PER_MINUTE a minute per conversation', async () => {
    const t = await start({ config: { readsPerMinute: 6 } });
    const a = await t.session();
    for (let i = 0; i < 6; i++) assert.equal((await t.call('GET', i % 2 ? '/v1/agents' : '/v1/messages', { token: a.token })).status, 200);
    const limited = await t.call('GET', '/v1/messages', { token: a.token });
    assert.equal(limited.status, 429);
    assert.equal(limited.json.error.code, 'rate_limited');
    const b = await t.session();
    assert.equal((await t.call('GET', '/v1/messages', { token: b.token })).status, 200, 'another conversation has its own quota');
  });
});

describe('token checks', () => {
  it('answers missing, malformed, forged, expired and revoked tokens with clear codes', async () => {
    let now = Date.now();
    const t = await start({ now: () => now });
    const s = await t.session();
    const get = (token?: string) => t.call('GET', '/v1/messages', { token });
    assert.equal((await get()).json.error.code, 'missing_token');
    assert.equal((await get('not-a-token')).json.error.code, 'token_malformed');
    const forged = await signPortholeToken(
      { cid: s.channelId, uid: s.userId, idf: false, iat: now, exp: now + 60_000 },
      'another-secret-another-secret-another-secret',
    );
    const r = await get(forged);
    assert.equal(r.status, 401);
    assert.equal(r.json.error.code, 'token_invalid');
    assert.equal((await get(s.token)).status, 200);
    now += 901_000;
    assert.equal((await get(s.token)).json.error.code, 'token_expired');
    const fresh = await t.session({}, s.cookie);
    assert.equal((await t.call('DELETE', '/v1/session', { token: s.token })).status, 204, 'an expired but authentic token logs out');
    assert.equal((await get(fresh.token)).json.error.code, 'token_revoked');
    now += 1;
    const after = await t.session({}, s.cookie);
    assert.equal((await get(after.token)).status, 200, 'a session after logout works');
  });

  it('keeps each conversation to itself', async () => {
    const t = await start();
    const a = await t.session();
    const b = await t.session();
    const sent = await send(t, a.token, 'secret of a');
    assert.deepEqual((await t.call('GET', '/v1/messages', { token: b.token })).json, { messages: [], hasMore: false });
    const probe = await t.call('GET', `/v1/messages?before=${sent.json.message.id}`, { token: b.token });
    assert.equal(probe.json.error.code, 'invalid_cursor');
    // Reusing a's client id from b creates b's own message (pending_post_id is keyed per conversation).
    const clash = await send(t, b.token, 'b writes', sent.json.message.clientId);
    assert.equal(clash.status, 201);
    assert.notEqual(clash.json.message.id, sent.json.message.id);
  });
});

describe('GET /v1/messages, typing and agents', () => {
  it('pages newest first, older with before, and changes with since (deletions included)', async () => {
    const t = await start();
    const s = await t.session();
    const calls = t.mm.calls.length;
    assert.deepEqual((await t.call('GET', '/v1/messages', { token: s.token })).json, { messages: [], hasMore: false });
    assert.equal(t.mm.calls.length, calls, 'no Mattermost call before the first message');
    for (let i = 0; i < 5; i++) await send(t, s.token, `v${i}`);
    const root = (await t.store.getConversation(s.channelId))!.rootPostId;
    const agent = t.mm.addAgent('agent-ada', { first_name: 'Ada', last_name: 'Agent' });
    const answer = t.mm.reply(agent, root, 'Hello from support');

    const newest = await t.call('GET', '/v1/messages?per_page=3', { token: s.token });
    assert.ok(messagesResponseSchema.safeParse(newest.json).success);
    assert.deepEqual(
      newest.json.messages.map((m: { text: string }) => m.text),
      ['v3', 'v4', 'Hello from support'],
    );
    assert.equal(newest.json.hasMore, true);
    assert.equal(newest.json.messages[2].userId, agent);
    const older = await t.call('GET', `/v1/messages?per_page=3&before=${newest.json.messages[0].id}`, { token: s.token });
    assert.deepEqual(
      older.json.messages.map((m: { text: string }) => m.text),
      ['v0', 'v1', 'v2'],
    );
    assert.equal(older.json.hasMore, false);

    const mark = t.mm.posts.get(answer.id)!.update_at;
    t.mm.edit(answer.id, 'Hello from support (edited)');
    const gone = newest.json.messages[0].id;
    t.mm.remove(gone);
    await t.store.recordDeletion(root, {
      postId: gone,
      userId: s.userId,
      createAt: newest.json.messages[0].createAt,
      deletedAt: t.mm.posts.get(gone)!.delete_at,
    });
    const changes = await t.call('GET', `/v1/messages?since=${mark}`, { token: s.token });
    assert.deepEqual(
      changes.json.messages.map((m: { id: string; text: string; edited: boolean; deleted: boolean }) => [
        m.id,
        m.text,
        m.edited,
        m.deleted,
      ]),
      [
        [gone, '', false, true],
        [answer.id, 'Hello from support (edited)', true, false],
      ],
    );
    assert.equal((await t.call('GET', '/v1/messages?since=1&before=' + gone, { token: s.token })).json.error.code, 'invalid_query');
    assert.equal((await t.call('GET', '/v1/messages?per_page=500', { token: s.token })).json.error.code, 'invalid_query');
  });

  it('relays typing into the thread (throttled) and names only the agents who answered', async () => {
    let now = Date.now();
    const t = await start({ now: () => now });
    const s = await t.session();
    assert.equal((await t.call('POST', '/v1/typing', { token: s.token })).status, 204);
    assert.equal(t.mm.typing.length, 0, 'no thread yet, nothing to show');
    await send(t, s.token, 'hi');
    const root = (await t.store.getConversation(s.channelId))!.rootPostId;
    await t.call('POST', '/v1/typing', { token: s.token });
    await t.call('POST', '/v1/typing', { token: s.token });
    now += 2500;
    await t.call('POST', '/v1/typing', { token: s.token });
    assert.equal(t.mm.typing.length, 2);
    assert.equal(t.mm.typing[0]!.parentId, root);

    const ada = t.mm.addAgent('agent-ada', { first_name: 'Ada', last_name: 'Agent' });
    t.mm.addAgent('agent-idle', { nickname: 'Idle' });
    t.mm.reply(ada, root, 'hello');
    assert.deepEqual((await t.call('GET', '/v1/agents', { token: s.token })).json, { agents: [{ userId: ada, name: 'Ada Agent' }] });
  });

  it('answers 503 gateway_starting before start(), except for sessions', async () => {
    const mm = new MemoryMattermost();
    const gateway = createGateway(testGatewayConfig(), {
      logger: silentLogger,
      store: new MemoryGatewayStore(),
      mattermost: (token) => mm.clientFor(token),
    });
    const app = new Hono();
    app.onError(createErrorHandler({ production: true, logger: silentLogger }));
    app.route('/', gateway.routes);
    const s = await app.request('/v1/session', { method: 'POST' });
    assert.equal(s.status, 200);
    const { token } = (await s.json()) as { token: string };
    const r = await app.request('/v1/messages', { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(r.status, 503);
    assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'gateway_starting');
    assert.equal(r.headers.get('Retry-After'), '2');
    assert.equal(mm.calls.length, 0);
  });

  it('answers 503 mattermost_unavailable when Mattermost is down', async () => {
    const t = await start();
    t.mm.down = true;
    const s = await t.session();
    await t.store.insertConversation({
      conversationId: s.channelId,
      visitorUserId: s.userId,
      rootPostId: 'r'.repeat(26),
      channelId: t.mm.channelId,
      createdAt: 1,
      name: 'x',
    });
    const r = await t.call('GET', '/v1/messages', { token: s.token });
    assert.equal(r.status, 503);
    assert.equal(r.json.error.code, 'mattermost_unavailable');
  });
});

describe('logs', () => {
  it('never hold tokens, cookies, identities, names or message text', async () => {
    const lines: string[] = [];
    const t = await start({ logger: createJsonLogger((line) => lines.push(line)) });
    const identity = await signIdentity(
      { sub: 'user-secret-sub', name: 'Secret Name', email: 'secret@example.com', exp: Math.floor(Date.now() / 1000) + 300 },
      t.config.identitySecret!,
    );
    const s = await t.session({ identity });
    await send(t, s.token, 'the secret message text');
    t.mm.down = true;
    await send(t, s.token, 'failing secret text');
    t.mm.down = false;
    await t.call('DELETE', '/v1/session', { token: s.token });
    const log = lines.join('');
    assert.ok(lines.length >= 2, 'something was logged');
    for (const secret of [
      s.token,
      s.token.split('.')[1]!,
      s.token.split('.')[2]!,
      identity,
      'user-secret-sub',
      'Secret Name',
      'secret@example.com',
      'secret message text',
      'failing secret text',
      t.config.tokenSecret,
      t.mm.adminToken,
    ]) {
      assert.ok(!log.includes(secret), `the log holds ${secret.slice(0, 20)}…`);
    }
  });
});
