// Export and erasure against the REAL Mattermost, in both modes: a conversation with visitor
// messages, an agent's reply, an agent's file and an edit; the transcript has them all in order;
// after the erasure nothing of the visitor can be found through Mattermost's API (as the admin,
// deleted posts included), the store has no mapping, the old token is refused, and an audit line
// was written. Also the CLI's `export` / `erase`, a retention pass, and an erasure left half-done
// by another instance (sends refused, finished with the revoked token). Ports 8840–8841.
// Run: node --experimental-websocket --import tsx --test test/integration/privacy.test.ts
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { companionEnv } from '../../dev/companion-env.mjs';
import { transcriptSchema, type Transcript } from '../../src/protocol/transcript.ts';
import {
  createCompanion,
  loadConfig,
  serve,
  signIdentity,
  silentLogger,
  type Companion,
  type RunningServer,
} from '../../src/server/index.ts';
import { SqliteGatewayStore } from '../../src/server/gateway/index.ts';
import { LiveTestClient, mattermostAs, mattermostLogin, VisitorTestClient } from '../../src/server/gateway/test-support.ts';
import { adminApi, mattermost, type MattermostInfo } from '../support/mattermost.ts';

const GATEWAY_PORT = 8840;
const DIRECT_PORT = 8841;
const IDENTITY_SECRET = 'privacy-identity-secret-privacy-identity-0123';
const cli = path.resolve('src/server/cli.ts');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'porthole-privacy-it-'));
const auditFile = path.join(tmp, 'audit.jsonl');

let mm: MattermostInfo;
let origin: string;
let agentToken: string;
const running: { companion: Companion; server: RunningServer }[] = [];

/** A word nobody else writes, so a search for it finds this suite's posts only. */
const uniqueWord = () => `porthole${randomUUID().replace(/-/g, '').slice(0, 16)}`;

const asAgent = <T = any>(method: string, route: string, body?: unknown) => mattermostAs<T>(mm.url, agentToken, method, route, body);

/** Uploads a file as the agent (POST /files), for a post's file_ids. */
async function uploadAsAgent(
  channelId: string,
  name: string,
  content: string,
): Promise<{ id: string; name: string; size: number; mime_type: string }> {
  const form = new FormData();
  form.append('channel_id', channelId);
  form.append('files', new Blob([content], { type: 'text/plain' }), name);
  const res = await fetch(`${mm.url}/api/v4/files`, { method: 'POST', headers: { Authorization: `Bearer ${agentToken}` }, body: form });
  assert.equal(res.status, 201, await res.clone().text());
  return ((await res.json()) as { file_infos: { id: string; name: string; size: number; mime_type: string }[] }).file_infos[0]!;
}

/** The admin's view of a path: its status only. */
async function adminStatus(route: string): Promise<number> {
  const res = await fetch(`${mm.url}/api/v4${route}`, { headers: { Authorization: `Bearer ${mm.adminToken}` } });
  await res.text();
  return res.status;
}

/** Post ids a team search for `word` finds (as the admin). */
async function search(word: string): Promise<string[]> {
  return (await adminApi('POST', `/teams/${mm.teamId}/posts/search`, { terms: word, is_or_search: false })).order;
}

function auditLines(): { action: string; actor: string; subject?: string; outcome: string; detail?: Record<string, unknown> }[] {
  if (!fs.existsSync(auditFile)) return [];
  return fs
    .readFileSync(auditFile, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

/** Proves with the admin token that Mattermost has nothing of these posts and files any more. */
async function assertGone(postIds: string[], fileIds: string[], word: string): Promise<void> {
  for (const id of postIds) assert.equal(await adminStatus(`/posts/${id}?include_deleted=true`), 404, `post ${id}, deleted ones included`);
  for (const id of fileIds) assert.equal(await adminStatus(`/files/${id}/info`), 404, `file ${id}`);
  assert.deepEqual(await search(word), [], `a search for ${word}`);
}

function cliRun(env: Record<string, string | undefined>, ...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
}

async function start(env: Record<string, string | undefined>, port: number): Promise<{ companion: Companion; url: string }> {
  let config;
  try {
    config = loadConfig(env);
  } catch (e) {
    throw new Error(`invalid test configuration: ${(e as { problems?: string[] }).problems?.join('; ') ?? e}`);
  }
  const companion = createCompanion(config, { logger: silentLogger });
  await companion.start();
  const server = await serve(companion, { port, host: '127.0.0.1' });
  running.push({ companion, server });
  return { companion, url: `http://127.0.0.1:${port}` };
}

before(async () => {
  mm = await mattermost();
  origin = mm.allowedOrigins[0]!;
  agentToken = await mattermostLogin(mm.url, mm.agents[0]!.username, mm.agents[0]!.password);
  const { ServiceSettings: s } = await adminApi('GET', '/config');
  for (const name of ['EnableAPIPostDeletion', 'EnableAPIUserDeletion', 'EnableAPIChannelDeletion', 'EnablePostUsernameOverride'])
    assert.equal(s[name], true, `the harness server has ServiceSettings.${name} on`);
});

after(async () => {
  for (const { companion, server } of running.reverse()) {
    await companion.stop().catch(() => {});
    server.server.closeAllConnections();
    await server.close().catch(() => {});
  }
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('gateway mode: export and erasure against the real Mattermost', () => {
  const botUsername = `pt-privacy-${randomUUID().slice(0, 8)}`;
  const dataDir = path.join(tmp, 'gateway-data');
  let env: Record<string, string | undefined>;
  let url: string;
  let companion: Companion;
  let visitor: VisitorTestClient;

  before(async () => {
    env = companionEnv(mm, {
      PORTHOLE_ALLOWED_ORIGINS: origin,
      PORTHOLE_COOKIE_SECRET: 'privacy-cookie-secret-privacy-cookie-secret-01',
      PORTHOLE_TOKEN_SECRET: 'privacy-token-secret-privacy-token-secret-012',
      PORTHOLE_IDENTITY_SECRET: IDENTITY_SECRET,
      PORTHOLE_BOT_USERNAME: botUsername,
      PORTHOLE_DATA_DIR: dataDir,
      PORTHOLE_AUDIT_LOG: auditFile,
      PORTHOLE_RETENTION_DAYS: '30',
      PORTHOLE_RATE_LIMIT_PER_MINUTE: '1000',
      PORTHOLE_PORT: String(GATEWAY_PORT),
    });
    ({ companion, url } = await start(env, GATEWAY_PORT));
    visitor = new VisitorTestClient(url, origin);
  });

  after(async () => {
    const bot = await adminApi('GET', `/users/username/${botUsername}`).catch(() => undefined);
    if (bot)
      await adminApi('DELETE', `/users/${bot.id}?permanent=true`).catch((e) =>
        console.error(`could not delete the test bot: ${e.message}`),
      );
  });

  it('exports the whole thread in order, then erases every trace of it', async () => {
    const word = uniqueWord();
    const session = await visitor.session({ name: 'Grace Privacy' });
    const first = await visitor.send(session.token, `Hello, my ${word} order is late`);
    const root = (await adminApi('GET', `/posts/${first.id}`)).root_id as string;
    const reply = await asAgent('POST', '/posts', { channel_id: mm.inboxChannelId, root_id: root, message: 'Let me check' });
    await asAgent('PUT', `/posts/${reply.id}/patch`, { message: 'Let me check that for you' });
    const history = (await asAgent<{ id: string }[]>('GET', `/posts/${reply.id}/edit_history`)).map((p) => p.id);
    assert.equal(history.length, 1, 'the edit left a history post');
    const file = await uploadAsAgent(mm.inboxChannelId, 'invoice.txt', `invoice for ${word}`);
    const withFile = await asAgent('POST', '/posts', {
      channel_id: mm.inboxChannelId,
      root_id: root,
      message: 'Here it is',
      file_ids: [file.id],
    });
    const last = await visitor.send(session.token, 'Thanks!');
    const live = await LiveTestClient.ready(url, session.token, origin);

    const res = await visitor.call('GET', '/v1/transcript', { token: session.token });
    assert.equal(res.status, 200);
    assert.match(res.res.headers.get('Content-Disposition')!, /^attachment; filename="porthole-transcript-\d{4}-\d{2}-\d{2}\.json"$/);
    const transcript = transcriptSchema.parse(res.json);
    assert.equal(transcript.conversation.id, session.channelId);
    assert.deepEqual(
      transcript.messages.map((m) => [m.id, m.author, m.text]),
      [
        [first.id, 'visitor', `Hello, my ${word} order is late`],
        [reply.id, 'agent', 'Let me check that for you'],
        [withFile.id, 'agent', 'Here it is'],
        [last.id, 'visitor', 'Thanks!'],
      ],
    );
    assert.equal(transcript.messages[0]!.authorName, 'Grace Privacy');
    assert.ok(transcript.messages[1]!.editedAt, 'the edit is dated');
    assert.deepEqual(transcript.messages[2]!.files, [{ name: 'invoice.txt', size: file.size, mimeType: file.mime_type }]);
    assert.ok(
      (await search(word)).includes(first.id),
      'before the erasure the search finds the message (so the check after means something)',
    );

    const erased = await visitor.call('DELETE', '/v1/conversation', { token: session.token });
    assert.equal(erased.status, 204, JSON.stringify(erased.json));
    assert.match(erased.res.headers.get('Set-Cookie')!, /Max-Age=0/);

    await assertGone([first.id, reply.id, withFile.id, last.id, root, ...history], [file.id], word);
    assert.equal(await adminStatus(`/posts/${root}/thread`), 404, 'the thread');
    assert.equal((await live.closed).code, 1000, 'the live socket was closed');
    assert.equal((await visitor.call('GET', '/v1/messages', { token: session.token })).json.error.code, 'token_revoked');
    const store = SqliteGatewayStore.open(dataDir);
    try {
      assert.equal(await store.getConversation(session.channelId), undefined, 'no mapping in the store');
      assert.equal(await store.findConversationByRoot(root), undefined);
    } finally {
      await store.close();
    }
    const lines = auditLines().filter((l) => l.subject === session.channelId);
    assert.deepEqual(
      lines.map((l) => [l.action, l.actor, l.outcome]),
      [
        ['conversation.exported', `visitor:${session.channelId}`, 'ok'],
        ['conversation.erased', `visitor:${session.channelId}`, 'ok'],
      ],
    );
    assert.deepEqual(lines[1]!.detail, { mode: 'gateway', found: true, posts: 5, files: 1 });
    assert.ok(!fs.readFileSync(auditFile, 'utf8').includes(word), 'no message text in the audit log');

    // Twice is not an error.
    assert.equal((await visitor.call('DELETE', '/v1/conversation', { token: session.token })).status, 204);
  });

  it('porthole-server export / erase sub:<sub> end to end', async () => {
    const word = uniqueWord();
    const sub = `privacy-${randomUUID()}`;
    const identity = await signIdentity({ sub, name: 'Known Visitor', exp: Math.floor(Date.now() / 1000) + 300 }, IDENTITY_SECRET);
    const r = await visitor.call('POST', '/v1/session', { body: { identity } });
    assert.equal(r.status, 200);
    const message = await visitor.send(r.json.token, `identified ${word}`);
    const root = (await adminApi('GET', `/posts/${message.id}`)).root_id as string;

    const exported = cliRun(env, 'export', `sub:${sub}`);
    assert.equal(exported.status, 0, exported.stderr);
    const transcript: Transcript = transcriptSchema.parse(JSON.parse(exported.stdout));
    assert.deepEqual(
      transcript.messages.map((m) => [m.id, m.author, m.authorName, m.text]),
      [[message.id, 'visitor', 'Known Visitor', `identified ${word}`]],
    );

    const refused = cliRun(env, 'erase', `sub:${sub}`);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /--yes/);
    assert.equal(await adminStatus(`/posts/${message.id}`), 200, 'nothing erased without --yes');

    const erase = cliRun(env, 'erase', `sub:${sub}`, '--yes');
    assert.equal(erase.status, 0, erase.stderr);
    assert.match(erase.stdout, new RegExp(`^erased ${r.json.channelId}: deleted 2 posts \\(0 files\\)$`, 'm'));
    await assertGone([message.id, root], [], word);
    assert.equal((await visitor.call('GET', '/v1/messages', { token: r.json.token })).status, 401);

    const missing = cliRun(env, 'export', `sub:${sub}`);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /No conversation is known/);
    assert.deepEqual(
      auditLines()
        .filter((l) => l.actor === 'operator:cli')
        .map((l) => [l.action, l.outcome]),
      [
        ['conversation.exported', 'ok'],
        ['conversation.erased', 'ok'],
      ],
    );
  });

  it('an erasure another instance left half-done refuses sends and is finished by the visitor with the revoked token', async () => {
    const word = uniqueWord();
    const session = await visitor.session({ name: 'Half Done' });
    const first = await visitor.send(session.token, `please forget ${word}`);
    const second = await visitor.send(session.token, `and this ${word} too`);
    const root = (await adminApi('GET', `/posts/${first.id}`)).root_id as string;
    // Another process on the same store file began the erasure — marker, revocation, one reply
    // deleted for good — and died.
    const other = SqliteGatewayStore.open(dataDir);
    try {
      const t = Date.now();
      await other.markErasing(session.channelId, { startedAt: t, revokedAt: t });
      await other.revokeTokens(session.channelId, t);
    } finally {
      await other.close();
    }
    await adminApi('DELETE', `/posts/${second.id}?permanent=true`);

    // The widget gets a new session with its cookie and sends: refused, nothing reaches Mattermost.
    const again = await visitor.session({ name: 'Half Done' }, session.cookie);
    const refused = await visitor.call('POST', '/v1/messages', {
      token: again.token,
      body: { clientId: randomUUID(), text: `behind the erasure ${word}` },
    });
    assert.equal(refused.status, 503, JSON.stringify(refused.json));
    assert.equal(refused.json.error.code, 'erasure_in_progress');
    assert.equal(refused.res.headers.get('Retry-After'), '5');
    assert.equal((await visitor.call('GET', '/v1/messages', { token: session.token })).json.error.code, 'token_revoked');

    // The visitor asks again with the token that erasure revoked: it is finished.
    const erased = await visitor.call('DELETE', '/v1/conversation', { token: session.token });
    assert.equal(erased.status, 204, JSON.stringify(erased.json));
    await assertGone([first.id, second.id, root], [], word);
    const store = SqliteGatewayStore.open(dataDir);
    try {
      assert.equal(await store.getConversation(session.channelId), undefined);
      assert.equal(await store.getErasure(session.channelId), undefined);
    } finally {
      await store.close();
    }
    // Afterwards the visitor starts again in a new thread.
    const fresh = await visitor.session({ name: 'Half Done' }, session.cookie);
    const hello = await visitor.send(fresh.token, 'hello again');
    const newRoot = (await adminApi('GET', `/posts/${hello.id}`)).root_id as string;
    assert.notEqual(newRoot, root);
    assert.equal((await visitor.call('DELETE', '/v1/conversation', { token: fresh.token })).status, 204);
  });

  it('a retention pass erases the idle conversation and keeps the one an agent answered later', async () => {
    const idle = await visitor.session({ name: 'Idle' });
    const active = await visitor.session({ name: 'Active' });
    const activeFirst = await visitor.send(active.token, 'first');
    const idleMessage = await visitor.send(idle.token, 'anyone?');
    const activeRoot = (await adminApi('GET', `/posts/${activeFirst.id}`)).root_id as string;
    await new Promise((resolve) => setTimeout(resolve, 20));
    const socket = await LiveTestClient.ready(url, active.token, origin);
    const answer = await asAgent('POST', '/posts', { channel_id: mm.inboxChannelId, root_id: activeRoot, message: 'here!' });
    // The relay delivered the agent's post (and touched the conversation) before this frame.
    await socket.next((f) => f.type === 'posted' && f.message.id === answer.id);
    socket.close();
    const idleAt = (await adminApi('GET', `/posts/${idleMessage.id}`)).create_at as number;
    assert.ok(answer.create_at > idleAt);
    // 30 days after a moment between the idle visitor's message and the agent's answer.
    const at = Math.floor((idleAt + answer.create_at) / 2) + 30 * 86_400_000 + 1;
    assert.equal(await companion.eraseIdleConversations(at), 1);
    assert.equal(await adminStatus(`/posts/${idleMessage.id}?include_deleted=true`), 404);
    assert.equal(await adminStatus(`/posts/${answer.id}`), 200, 'the active conversation stays');
    assert.equal(auditLines().filter((l) => l.actor === 'system:retention' && l.action === 'conversation.erased').length, 1);
    // Clean up the kept one.
    assert.equal((await visitor.call('DELETE', '/v1/conversation', { token: active.token })).status, 204);
  });
});

describe('direct mode: export and erasure against the real Mattermost', () => {
  let env: Record<string, string | undefined>;
  let url: string;

  before(async () => {
    env = companionEnv(mm, {
      PORTHOLE_MODE: 'direct',
      PORTHOLE_ALLOWED_ORIGINS: origin,
      PORTHOLE_COOKIE_SECRET: 'privacy-direct-cookie-secret-privacy-direct-01',
      PORTHOLE_AUDIT_LOG: auditFile,
      PORTHOLE_RATE_LIMIT_PER_MINUTE: '1000',
      PORTHOLE_PORT: String(DIRECT_PORT),
    });
    ({ url } = await start(env, DIRECT_PORT));
  });

  /** A new anonymous visitor: their Mattermost token, user and channel. */
  async function newVisitor(name: string): Promise<{ token: string; userId: string; channelId: string; username: string }> {
    const res = await fetch(`${url}/v1/session`, {
      method: 'POST',
      headers: { Origin: origin, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    const session = (await res.json()) as { token: string; userId: string; channelId: string };
    const { username } = await adminApi('GET', `/users/${session.userId}`);
    return { ...session, username };
  }

  const asVisitor = (token: string, method: string, route: string, body?: unknown) => mattermostAs(mm.url, token, method, route, body);
  const call = (method: string, route: string, token?: string) =>
    fetch(`${url}${route}`, { method, headers: { Origin: origin, ...(token ? { Authorization: `Bearer ${token}` } : {}) } });

  it("exports the visitor's channel, then erases the user, the channel, the notice, the files and the posts", async () => {
    const word = uniqueWord();
    const v = await newVisitor('Direct Privacy');
    const notices = (await adminApi('GET', `/channels/${mm.inboxChannelId}/posts?per_page=100`)) as {
      order: string[];
      posts: Record<string, { message: string }>;
    };
    const notice = notices.order.find((id) => notices.posts[id]!.message.includes(`~${v.username}]`));
    assert.ok(notice, 'the inbox notice was posted');
    const first = await asVisitor(v.token, 'POST', '/posts', { channel_id: v.channelId, message: `my ${word} is broken` });
    const reply = await asAgent('POST', '/posts', { channel_id: v.channelId, message: 'On it' });
    await asAgent('PUT', `/posts/${reply.id}/patch`, { message: 'On it, give me a minute' });
    const history = (await asAgent<{ id: string }[]>('GET', `/posts/${reply.id}/edit_history`)).map((p) => p.id);
    const file = await uploadAsAgent(v.channelId, 'fix.txt', `steps for ${word}`);
    const withFile = await asAgent('POST', '/posts', { channel_id: v.channelId, message: 'Try this', file_ids: [file.id] });
    const last = await asVisitor(v.token, 'POST', '/posts', { channel_id: v.channelId, message: 'Thank you' });

    const res = await call('GET', '/v1/transcript', v.token);
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(res.headers.get('Access-Control-Allow-Origin'), origin);
    const transcript = transcriptSchema.parse(await res.json());
    assert.equal(transcript.conversation.id, v.channelId);
    assert.deepEqual(
      transcript.messages.map((m) => [m.id, m.author, m.text]),
      [
        [first.id, 'visitor', `my ${word} is broken`],
        [reply.id, 'agent', 'On it, give me a minute'],
        [withFile.id, 'agent', 'Try this'],
        [last.id, 'visitor', 'Thank you'],
      ],
    );
    assert.equal(transcript.messages[0]!.authorName, 'Direct Privacy');
    assert.ok(transcript.messages[1]!.editedAt);
    assert.deepEqual(transcript.messages[2]!.files, [{ name: 'fix.txt', size: file.size, mimeType: file.mime_type }]);
    assert.ok((await search(word)).length > 0, 'before the erasure the search finds the visitor');
    assert.equal((await call('GET', '/v1/transcript', mm.adminToken)).status, 401, "a staff token is not a visitor's");

    // Every post of the channel goes (Mattermost's own join messages and the edit history too), and the notice.
    const everything = (await adminApi('GET', `/channels/${v.channelId}/posts?include_deleted=true&per_page=200`)).order.length + 1;
    const erased = await call('DELETE', '/v1/conversation', v.token);
    assert.equal(erased.status, 204, await erased.clone().text());
    await assertGone([first.id, reply.id, withFile.id, last.id, notice!, ...history], [file.id], word);
    assert.equal(await adminStatus(`/users/${v.userId}`), 404, 'the user');
    assert.equal(await adminStatus(`/channels/${v.channelId}`), 404, 'the channel');
    assert.equal(await adminStatus(`/users/username/${v.username}`), 404);
    const me = await fetch(`${mm.url}/api/v4/users/me`, { headers: { Authorization: `Bearer ${v.token}` } });
    assert.equal(me.status, 401, 'the visitor token is dead');
    const line = auditLines().find((l) => l.action === 'conversation.erased' && l.subject === v.channelId)!;
    assert.equal(line.actor, `visitor:${v.userId}`);
    assert.deepEqual(line.detail, { mode: 'direct', found: true, posts: everything, files: 1, user: true, channel: true });
  });

  it('porthole-server export / erase <channel id> end to end', async () => {
    const word = uniqueWord();
    const v = await newVisitor('CLI Direct');
    const post = await asVisitor(v.token, 'POST', '/posts', { channel_id: v.channelId, message: `cli ${word}` });
    const exported = cliRun(env, 'export', v.channelId);
    assert.equal(exported.status, 0, exported.stderr);
    assert.deepEqual(
      transcriptSchema.parse(JSON.parse(exported.stdout)).messages.map((m) => m.text),
      [`cli ${word}`],
    );
    const everything = (await adminApi('GET', `/channels/${v.channelId}/posts?include_deleted=true&per_page=200`)).order.length + 1;
    const erase = cliRun(env, 'erase', v.channelId, '--yes');
    assert.equal(erase.status, 0, erase.stderr);
    assert.match(
      erase.stdout,
      new RegExp(`^erased ${v.channelId}: deleted ${everything} posts \\(0 files\\), the channel, the user$`, 'm'),
    );
    await assertGone([post.id], [], word);
    assert.equal(await adminStatus(`/users/${v.userId}`), 404);
    const again = cliRun(env, 'erase', v.channelId, '--yes');
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /^nothing to erase/m);
  });
});
