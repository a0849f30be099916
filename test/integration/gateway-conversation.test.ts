// Gateway mode against the REAL Mattermost from the harness: conversations are threads posted by
// the companion's bot, visitors hold only Porthole tokens, agents answer from Mattermost.
// Run: PORTHOLE_KEEP_MM=1 node --experimental-websocket --import tsx --test test/integration/gateway-conversation.test.ts
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { adminApi, mattermost, type MattermostInfo } from '../support/mattermost.ts';
import { LIVE_MAX_FRAME_BYTES, LiveCloseCode, type WireMessage } from '../../src/server/gateway/index.ts';
import {
  GatewayFixture,
  LiveTestClient,
  mattermostAs,
  mattermostLogin,
  waitUntil,
  type ServedGateway,
} from '../../src/server/gateway/test-support.ts';

let mm: MattermostInfo;
let origin: string;
let fixture: GatewayFixture;
let companion: ServedGateway;
let botUserId: string;

const visitor = (s: ServedGateway) => fixture.visitor(s);
const agentToken = (agent: MattermostInfo['agents'][number]) => mattermostLogin(mm.url, agent.username, agent.password);
const asAgent = <T = any>(token: string, method: string, route: string, body?: unknown) =>
  mattermostAs<T>(mm.url, token, method, route, body);

/** The root post id of a visitor's conversation (as an admin sees the message's post). */
async function rootOf(messageId: string): Promise<string> {
  return (await adminApi('GET', `/posts/${messageId}`)).root_id;
}

before(async () => {
  mm = await mattermost();
  origin = mm.allowedOrigins[0]!;
  const cfg = await adminApi('GET', '/config');
  if (!cfg.ServiceSettings.EnablePostUsernameOverride || !cfg.ServiceSettings.EnablePostIconOverride) {
    await adminApi('PUT', '/config/patch', { ServiceSettings: { EnablePostUsernameOverride: true, EnablePostIconOverride: true } });
  }
  fixture = new GatewayFixture(mm);
  companion = await fixture.serve();
  botUserId = companion.gateway.status().botUserId!;
});

after(() => fixture?.dispose());

describe('gateway mode against the real Mattermost', () => {
  it('ensures a bot that takes no user seat and is a member of the support channel', async () => {
    const user = await adminApi('GET', `/users/${botUserId}`);
    assert.equal(user.is_bot, true);
    assert.equal(user.username, fixture.botUsername);
    await adminApi('GET', `/channels/${mm.inboxChannelId}/members/${botUserId}`);
    assert.equal(companion.gateway.status().botSocket, 'connected');
  });

  it('a session creates nothing in Mattermost', async () => {
    const [before] = (await adminApi('GET', `/channels/${mm.inboxChannelId}/posts?per_page=1`)).order;
    const users = (await adminApi('GET', '/users/stats')).total_users_count;
    for (let i = 0; i < 10; i++) await visitor(companion).session({ name: `Quiet ${i}` });
    assert.equal((await adminApi('GET', `/channels/${mm.inboxChannelId}/posts?per_page=1`)).order[0], before);
    assert.equal((await adminApi('GET', '/users/stats')).total_users_count, users);
  });

  it('the first message creates the bot’s root post and a reply with the visitor props; the channel turns unread', async () => {
    const agent = await agentToken(mm.agents[0]!);
    // The agent has read the channel; the new conversation must make it unread again.
    await asAgent(agent, 'POST', `/channels/members/${mm.agents[0]!.id}/view`, { channel_id: mm.inboxChannelId });
    const s = await visitor(companion).session({ name: 'Ada Lovelace', page: `${origin}/pricing` });
    const clientId = randomUUID();
    const message = await visitor(companion).send(s.token, 'Hello, I need help with my order', clientId);
    assert.equal(message.userId, s.userId);
    assert.equal(message.clientId, clientId);

    const reply = await adminApi('GET', `/posts/${message.id}`);
    const root = await adminApi('GET', `/posts/${reply.root_id}`);
    assert.equal(root.user_id, botUserId);
    assert.equal(root.channel_id, mm.inboxChannelId);
    assert.equal(root.root_id, '');
    assert.match(root.message, /New conversation from \*\*Ada Lovelace\*\* · anonymous/);
    assert.ok(root.message.includes(`Page: ${origin}/pricing`), 'the page, on an allowed origin, is announced');
    assert.equal(reply.user_id, botUserId);
    assert.equal(reply.message, 'Hello, I need help with my order');
    assert.equal(reply.props.from_webhook, 'true');
    assert.equal(reply.props.override_username, 'Ada Lovelace (visitor)');
    assert.equal(reply.props.porthole_client_id, clientId);
    assert.equal(reply.props.from_bot, 'true', 'Mattermost marks it as a bot post and keeps our props');
    const unread = await asAgent(agent, 'GET', `/users/${mm.agents[0]!.id}/channels/${mm.inboxChannelId}/unread`);
    assert.ok(unread.msg_count >= 1, JSON.stringify(unread));
  });

  it('a repeated send with the same client id yields one post, also after a companion restart', async () => {
    const s = await visitor(companion).session();
    const clientId = randomUUID();
    const first = await visitor(companion).send(s.token, 'only once', clientId);
    const again = await visitor(companion).send(s.token, 'only once', clientId);
    assert.equal(again.id, first.id);
    // A restart on the same data directory reuses the stored bot token and the conversation.
    const tokensBefore = (await adminApi('GET', `/users/${botUserId}/tokens`)).length;
    const restarted = await fixture.serve();
    assert.equal((await adminApi('GET', `/users/${botUserId}/tokens`)).length, tokensBefore, 'no new bot token');
    const third = await visitor(restarted).send(s.token, 'only once', clientId);
    assert.equal(third.id, first.id);
    const next = await visitor(restarted).send(s.token, 'and a second message');
    assert.equal(await rootOf(next.id), await rootOf(first.id), 'same thread');
    const thread = await adminApi('GET', `/posts/${await rootOf(first.id)}/thread`);
    const copies = Object.values(thread.posts as Record<string, { props: Record<string, unknown> }>).filter(
      (p) => p.props?.porthole_client_id === clientId,
    );
    assert.equal(copies.length, 1);
  });

  it('the visitor’s token is refused by Mattermost itself', async () => {
    const s = await visitor(companion).session();
    const res = await fetch(`${mm.url}/api/v4/users/me`, { headers: { Authorization: `Bearer ${s.token}` } });
    assert.equal(res.status, 401);
  });

  it('another conversation’s data is unreachable', async () => {
    const a = await visitor(companion).session();
    const b = await visitor(companion).session();
    const secret = await visitor(companion).send(a.token, 'a private matter');
    const bPage = await visitor(companion).call('GET', '/v1/messages', { token: b.token });
    assert.deepEqual(bPage.json, { messages: [], hasMore: false });
    assert.equal(
      (await visitor(companion).call('GET', `/v1/messages?before=${secret.id}`, { token: b.token })).json.error.code,
      'invalid_cursor',
    );
    assert.equal((await visitor(companion).call('GET', `/v1/messages?since=1`, { token: b.token })).json.messages.length, 0);
    const clash = await visitor(companion).send(b.token, 'b reuses a’s client id', secret.clientId);
    assert.notEqual(clash.id, secret.id);
    assert.notEqual(await rootOf(clash.id), await rootOf(secret.id));
    const aPage = await visitor(companion).call('GET', '/v1/messages', { token: a.token });
    assert.deepEqual(
      aPage.json.messages.map((m: WireMessage) => m.text),
      ['a private matter'],
    );
    // b's live socket never sees a's thread.
    const bLive = await LiveTestClient.ready(companion.url, b.token, origin);
    await visitor(companion).send(a.token, 'a again');
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(
      bLive.frames.filter((f) => f.type !== 'ready'),
      [],
    );
    bLive.close();
  });

  it('an agent’s reply in the thread arrives live; typing shows both ways; the agent is named', async () => {
    const { agentInfo, agent, session: s, first, root, reply } = await fixture.conversation(companion, 0, 'Grace', 'Is anyone there?');
    const live = await LiveTestClient.ready(companion.url, s.token, origin);

    // The agent's Mattermost socket sees the visitor typing in the thread.
    const agentSocket = new WebSocket(`${mm.url.replace(/^http/, 'ws')}/api/v4/websocket`);
    const agentEvents: { event?: string; data?: Record<string, unknown> }[] = [];
    agentSocket.on('message', (d) => agentEvents.push(JSON.parse(d.toString())));
    await new Promise((r) => agentSocket.once('open', r));
    agentSocket.send(JSON.stringify({ seq: 1, action: 'authentication_challenge', data: { token: agent } }));
    await waitUntil(() => agentEvents.some((e) => (e as { seq_reply?: number }).seq_reply === 1));
    assert.equal((await visitor(companion).call('POST', '/v1/typing', { token: s.token })).status, 204);
    await waitUntil(() => agentEvents.some((e) => e.event === 'typing' && e.data?.parent_id === root && e.data?.user_id === botUserId));
    agentSocket.close();

    await asAgent(agent, 'POST', `/users/${agentInfo.id}/typing`, { channel_id: mm.inboxChannelId, parent_id: root });
    const typing = await live.next((f) => f.type === 'typing');
    assert.deepEqual(typing, { type: 'typing', userId: agentInfo.id });

    const answer = await reply('Yes, how can I help?');
    const posted = await live.next((f) => f.type === 'posted' && f.message.id === answer.id);
    assert.equal(posted.type === 'posted' && posted.message.userId, agentInfo.id);
    assert.equal(posted.type === 'posted' && posted.message.text, 'Yes, how can I help?');
    await asAgent(agent, 'PUT', `/posts/${answer.id}/patch`, { message: 'Yes! How can I help?' });
    const edited = await live.next((f) => f.type === 'edited' && f.message.id === answer.id);
    assert.equal(edited.type === 'edited' && edited.message.edited, true);

    const agents = await visitor(companion).call('GET', '/v1/agents', { token: s.token });
    assert.deepEqual(
      agents.json.agents.map((a: { userId: string }) => a.userId),
      [agentInfo.id],
    );
    const page = await visitor(companion).call('GET', '/v1/messages', { token: s.token });
    assert.deepEqual(
      page.json.messages.map((m: WireMessage) => m.text),
      ['Is anyone there?', 'Yes! How can I help?'],
    );

    await asAgent(agent, 'DELETE', `/posts/${answer.id}`);
    await live.next((f) => f.type === 'deleted' && f.message.id === answer.id);
    const since = await visitor(companion).call('GET', `/v1/messages?since=${first.createAt}`, { token: s.token });
    assert.deepEqual(
      since.json.messages.map((m: WireMessage) => [m.id, m.deleted]),
      [[answer.id, true]],
      'a resync reports the deletion',
    );
    live.close();
  });

  it('an agent who replied sees the visitor’s next reply as unread in their threads', async () => {
    const { agentInfo, agent, session: s, root, reply } = await fixture.conversation(companion, 1, 'Follow Up', 'first question');
    await reply('Answer');
    await visitor(companion).send(s.token, 'follow-up question');
    await waitUntil(async () => {
      const threads = await asAgent(agent, 'GET', `/users/${agentInfo.id}/teams/${mm.teamId}/threads?unread=true&per_page=50`);
      return threads.threads.some((t: { id: string; unread_replies: number }) => t.id === root && t.unread_replies >= 1);
    });
  });

  it('bad frames get the documented close codes and affect no other socket', async () => {
    const s = await visitor(companion).session();
    const bystander = await LiveTestClient.ready(companion.url, s.token, origin);
    const expectClose = async (frame: string | undefined, code: number) => {
      const c = await LiveTestClient.open(companion.url, origin);
      if (frame !== undefined) c.send(frame);
      assert.equal((await c.closed).code, code, String(frame).slice(0, 40));
    };
    const forged = `${s.token.slice(0, -4)}AAAA`;
    await Promise.all([
      expectClose('this is not JSON', LiveCloseCode.invalidFrame),
      expectClose(JSON.stringify({ type: 'subscribe', channel: 'town-square' }), LiveCloseCode.invalidFrame),
      expectClose('x'.repeat(LIVE_MAX_FRAME_BYTES * 2), LiveCloseCode.tooBig),
      expectClose(JSON.stringify({ type: 'auth', token: forged }), LiveCloseCode.unauthorized),
      expectClose(JSON.stringify({ type: 'auth', token: 'pt1.bogus' }), LiveCloseCode.unauthorized),
      expectClose(undefined, LiveCloseCode.authTimeout),
    ]);
    await assert.rejects(LiveTestClient.open(companion.url, 'https://evil.example.com'), { status: 403 });
    bystander.send({ type: 'ping' });
    await bystander.next((f) => f.type === 'pong');
    bystander.close();
  });

  it('logout revokes the visitor’s tokens and closes their sockets', async () => {
    const s = await visitor(companion).session();
    const live = await LiveTestClient.ready(companion.url, s.token, origin);
    assert.equal((await visitor(companion).call('DELETE', '/v1/session', { token: s.token })).status, 204);
    assert.equal((await live.closed).code, LiveCloseCode.normal);
    assert.equal((await visitor(companion).call('GET', '/v1/messages', { token: s.token })).json.error.code, 'token_revoked');
  });
});
