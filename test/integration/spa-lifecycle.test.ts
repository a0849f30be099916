// SPA life cycle against the REAL Mattermost: page reports (gateway mode: a marked bot reply in the
// thread that the visitor never sees) and forgetting the visitor (DELETE /v1/session/cookie, both
// modes: the next session is another Mattermost visitor).
// Run: node --experimental-websocket --import tsx --test test/integration/spa-lifecycle.test.ts
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { adminApi, mattermost, type MattermostInfo } from '../support/mattermost.ts';
import { createCompanion, serve, silentLogger, type RunningServer } from '../../src/server/index';
import { testConfig } from '../../src/server/test-support.ts';
import { PAGE_PROP } from '../../src/server/gateway/messages.ts';
import { GatewayFixture, LiveTestClient, mattermostAs, type ServedGateway } from '../../src/server/gateway/test-support.ts';

let mm: MattermostInfo;
let origin: string;
let fixture: GatewayFixture;
let companion: ServedGateway;
const direct: RunningServer[] = [];
const createdUsers = new Set<string>();
const createdChannels = new Set<string>();

before(async () => {
  mm = await mattermost();
  origin = mm.allowedOrigins[0]!;
  fixture = new GatewayFixture(mm);
  companion = await fixture.serve();
});

after(async () => {
  await fixture?.dispose();
  await Promise.all(direct.map((s) => s.close()));
  for (const id of createdChannels) await adminApi('DELETE', `/channels/${id}?permanent=true`).catch(() => {});
  for (const id of createdUsers) await adminApi('DELETE', `/users/${id}?permanent=true`).catch(() => {});
});

/** The replies of a thread, oldest first, as an admin sees them in Mattermost. */
async function replies(rootId: string): Promise<Array<{ id: string; message: string; props: Record<string, unknown> }>> {
  const thread = await adminApi('GET', `/posts/${rootId}/thread`);
  return (thread.order as string[])
    .map((id) => thread.posts[id])
    .filter((p) => p.id !== rootId)
    .sort((a, b) => a.create_at - b.create_at);
}

const attrs = (setCookie: string) =>
  setCookie
    .split('; ')
    .slice(1)
    .filter((a) => !a.startsWith('Max-Age='));

describe('SPA life cycle against the real Mattermost (gateway mode)', () => {
  it('a page report is a marked bot reply in the thread; the visitor’s history, live socket and transcript never show it', async () => {
    const { session, root, reply } = await fixture.conversation(companion, 0, 'Page Visitor', 'Where is my order?');
    const v = fixture.visitor(companion);
    const live = await LiveTestClient.ready(companion.url, session.token, origin);
    try {
      const page = { url: `${origin}/orders/42?tab=1`, title: 'Order 42' };
      assert.equal((await v.call('POST', '/v1/conversation/page', { token: session.token, body: page })).status, 204);
      assert.equal((await v.call('POST', '/v1/conversation/page', { token: session.token, body: page })).status, 204);
      const notes = (await replies(root)).filter((p) => p.props[PAGE_PROP] !== undefined);
      assert.equal(notes.length, 1, 'a repeat of the last page posts nothing');
      assert.equal(notes[0]!.message, `:compass: Visitor is on **Order 42** — ${origin}/orders/42?tab=1`);
      assert.equal(notes[0]!.props[PAGE_PROP], page.url);

      // An agent's answer after the note arrives live; the note never did.
      const answer = await reply('It ships today.');
      await live.next((f) => f.type === 'posted' && f.message.id === answer.id);
      assert.ok(!live.frames.some((f) => 'message' in f && f.message.id === notes[0]!.id));
      assert.ok(!live.frames.some((f) => 'message' in f && /Visitor is on/.test(f.message.text)));

      const history = await v.call('GET', '/v1/messages', { token: session.token });
      assert.deepEqual(
        history.json.messages.map((m: { text: string }) => m.text),
        ['Where is my order?', 'It ships today.'],
      );
      const since = await v.call('GET', '/v1/messages?since=1', { token: session.token });
      assert.ok(!since.json.messages.some((m: { id: string }) => m.id === notes[0]!.id));
      const transcript = await v.call('GET', '/v1/transcript', { token: session.token });
      assert.equal(transcript.status, 200);
      assert.doesNotMatch(JSON.stringify(transcript.json), /Visitor is on/);
    } finally {
      live.close();
    }
  });

  it('page reports do not fill the visitor’s pages: 35 of them before a message, and the first page still shows it and pages on to the older history', async () => {
    const { session, root, reply } = await fixture.conversation(companion, 0, 'Busy Visitor', 'Where is my order?');
    const v = fixture.visitor(companion);
    await reply('It ships today.');
    // 35 reports as page-routes.ts posts them (the bot, PAGE_PROP); past its 20 a minute, so with a bot token of the test's.
    const botId = companion.gateway.status().botUserId!;
    const { token: botToken } = await adminApi('POST', `/users/${botId}/tokens`, { description: 'spa-lifecycle page reports' });
    for (let i = 0; i < 35; i++)
      await mattermostAs(mm.url, botToken, 'POST', '/posts', {
        channel_id: mm.inboxChannelId,
        root_id: root,
        message: `:compass: Visitor is on ${origin}/p/${i}`,
        props: { [PAGE_PROP]: `${origin}/p/${i}`, porthole_visitor: session.userId },
      });
    await v.send(session.token, 'Still there?');
    assert.equal((await replies(root)).filter((p) => p.props[PAGE_PROP] !== undefined).length, 35);

    // The widget's first page (30): before, the 35 newer reports left only the last message.
    const first = await v.call('GET', '/v1/messages?per_page=30', { token: session.token });
    assert.equal(first.status, 200);
    assert.deepEqual(
      first.json.messages.map((m: { text: string }) => m.text),
      ['Where is my order?', 'It ships today.', 'Still there?'],
    );
    assert.equal(first.json.hasMore, false);

    // Smaller pages, as "load older" walks them from the oldest message shown: across the reports, nothing lost.
    const newest = await v.call('GET', '/v1/messages?per_page=2', { token: session.token });
    assert.deepEqual(
      newest.json.messages.map((m: { text: string }) => m.text),
      ['It ships today.', 'Still there?'],
    );
    assert.equal(newest.json.hasMore, true);
    const older = await v.call('GET', `/v1/messages?per_page=2&before=${newest.json.messages[0].id}`, { token: session.token });
    assert.deepEqual(
      older.json.messages.map((m: { text: string }) => m.text),
      ['Where is my order?'],
    );
    assert.equal(older.json.hasMore, false);

    const transcript = await v.call('GET', '/v1/transcript', { token: session.token });
    assert.deepEqual(
      transcript.json.messages.map((m: { text: string }) => m.text),
      ['Where is my order?', 'It ships today.', 'Still there?'],
    );
  });

  it('a report before the first message starts no conversation; another origin is refused', async () => {
    const v = fixture.visitor(companion);
    const s = await v.session();
    const [newest] = (await adminApi('GET', `/channels/${mm.inboxChannelId}/posts?per_page=1`)).order;
    assert.equal((await v.call('POST', '/v1/conversation/page', { token: s.token, body: { url: `${origin}/` } })).status, 204);
    assert.equal((await adminApi('GET', `/channels/${mm.inboxChannelId}/posts?per_page=1`)).order[0], newest);
    const other = await v.call('POST', '/v1/conversation/page', { token: s.token, body: { url: 'https://evil.example.net/' } });
    assert.equal(other.status, 422);
  });

  it('forgetting the visitor (DELETE /v1/session/cookie): the cookie expires as it was set, and a reopen is another visitor and thread', async () => {
    const v = fixture.visitor(companion);
    const first = await v.session();
    const firstMessage = await v.send(first.token, 'Before shutdown');
    const again = await v.call('POST', '/v1/session', { cookie: first.cookie });
    assert.equal(again.json.userId, first.userId, 'the cookie keeps the visitor');
    const set = again.res.headers.get('Set-Cookie')!;

    assert.equal((await v.call('DELETE', '/v1/session', { token: first.token })).status, 204);
    const forgot = await v.call('DELETE', '/v1/session/cookie', { cookie: first.cookie });
    assert.equal(forgot.status, 204);
    const cleared = forgot.res.headers.get('Set-Cookie')!;
    assert.match(cleared, /^porthole_vid=; .*Max-Age=0/);
    assert.deepEqual(attrs(cleared), attrs(set));

    // The browser dropped the cookie: the next session is someone else, with a thread of their own.
    const next = await v.session();
    assert.notEqual(next.userId, first.userId);
    assert.notEqual(next.channelId, first.channelId);
    const nextMessage = await v.send(next.token, 'After shutdown');
    const [a, b] = await Promise.all([adminApi('GET', `/posts/${firstMessage.id}`), adminApi('GET', `/posts/${nextMessage.id}`)]);
    assert.notEqual(a.root_id, b.root_id);
    const history = await v.call('GET', '/v1/messages', { token: next.token });
    assert.deepEqual(
      history.json.messages.map((m: { text: string }) => m.text),
      ['After shutdown'],
    );
  });
});

describe('SPA life cycle against the real Mattermost (direct mode)', () => {
  it('forgetting the visitor: the cookie expires as it was set, and the next session is another Mattermost user and channel', async () => {
    const config = testConfig({
      mattermostUrl: mm.url,
      token: mm.adminToken,
      teamId: mm.teamId,
      agentIds: mm.agents.map((a) => a.id),
      inboxChannelId: mm.inboxChannelId,
      allowedOrigins: mm.allowedOrigins,
      cookieSecret: `it-cookie-${randomUUID()}`,
      rateLimitPerMinute: 1000,
      port: 0,
    });
    const running = await serve(createCompanion(config, { logger: silentLogger }), { port: 0, host: '127.0.0.1' });
    direct.push(running);
    const call = (method: string, path: string, init: { cookie?: string; token?: string } = {}) =>
      fetch(`${running.url}${path}`, {
        method,
        headers: {
          Origin: origin,
          ...(init.cookie ? { Cookie: init.cookie } : {}),
          ...(init.token ? { Authorization: `Bearer ${init.token}` } : {}),
        },
      });
    const mint = async (cookie?: string) => {
      const res = await call('POST', '/v1/session', { cookie });
      assert.equal(res.status, 200);
      const body = (await res.json()) as { userId: string; channelId: string; token: string };
      createdUsers.add(body.userId);
      createdChannels.add(body.channelId);
      return { body, set: res.headers.get('Set-Cookie')!, cookie: res.headers.get('Set-Cookie')!.split(';')[0]! };
    };
    const first = await mint();
    assert.equal((await mint(first.cookie)).body.userId, first.body.userId);
    assert.equal((await call('DELETE', '/v1/session', { token: first.body.token })).status, 204);
    const forgot = await call('DELETE', '/v1/session/cookie', { cookie: first.cookie });
    assert.equal(forgot.status, 204);
    const cleared = forgot.headers.get('Set-Cookie')!;
    assert.match(cleared, /^porthole_vid=; .*Max-Age=0/);
    assert.deepEqual(attrs(cleared), attrs(first.set));
    const next = await mint();
    assert.notEqual(next.body.userId, first.body.userId);
    assert.notEqual(next.body.channelId, first.body.channelId);
    // The first visitor's token was revoked with the logout.
    const me = await fetch(`${mm.url}/api/v4/users/me`, { headers: { Authorization: `Bearer ${first.body.token}` } });
    assert.equal(me.status, 401);
  });
});
