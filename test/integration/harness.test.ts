// Proves the harness gives a real, usable Mattermost: a user with a credential receives a post
// over /api/v4/websocket after authentication_challenge.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { adminApi, mattermost } from '../support/mattermost.ts';

const created: string[] = [];
after(async () => {
  for (const id of created) await adminApi('DELETE', `/users/${id}?permanent=true`).catch(() => {});
});

function nextEvent(ws: WebSocket, predicate: (m: any) => boolean, timeoutMs = 10000): Promise<any> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no matching WebSocket message within ${timeoutMs} ms`)), timeoutMs);
    ws.addEventListener('message', function onMessage(e) {
      const msg = JSON.parse(String(e.data));
      if (!predicate(msg)) return;
      clearTimeout(timer);
      ws.removeEventListener('message', onMessage);
      resolve(msg);
    });
  });
}

test('the harness server is 11.x and its admin token works', async () => {
  const mm = await mattermost();
  assert.match(mm.version, /^11\./);
  const me = await adminApi('GET', '/users/me');
  assert.ok(me.roles.includes('system_admin'));
});

test('a new user with a token receives `posted` on the WebSocket after authentication_challenge', async () => {
  const mm = await mattermost();
  const suffix = Math.random().toString(36).slice(2, 10);
  const user = await adminApi('POST', '/users', {
    username: `harness-${suffix}`,
    email: `harness-${suffix}@porthole.invalid`,
    password: `Pw-${suffix}-${suffix}!`,
  });
  created.push(user.id);
  await adminApi('POST', `/teams/${mm.teamId}/members`, { team_id: mm.teamId, user_id: user.id });
  const { token } = await adminApi('POST', `/users/${user.id}/tokens`, { description: 'harness test' });
  const channel = await adminApi('POST', '/channels', {
    team_id: mm.teamId,
    name: `harness-${suffix}`,
    display_name: `Harness ${suffix}`,
    type: 'P',
  });
  await adminApi('POST', `/channels/${channel.id}/members`, { user_id: user.id });

  const ws = new WebSocket(`${mm.url.replace(/^http/, 'ws')}/api/v4/websocket`);
  try {
    await new Promise((resolve, reject) => {
      ws.addEventListener('open', resolve, { once: true });
      ws.addEventListener('error', () => reject(new Error('WebSocket failed to open')), { once: true });
    });
    const reply = nextEvent(ws, (m) => m.seq_reply === 1);
    ws.send(JSON.stringify({ seq: 1, action: 'authentication_challenge', data: { token } }));
    assert.equal((await reply).status, 'OK');

    const posted = nextEvent(ws, (m) => m.event === 'posted' && m.broadcast?.channel_id === channel.id);
    const sent = await adminApi('POST', '/posts', { channel_id: channel.id, message: 'hello from the harness test' });
    const event = await posted;
    const post = JSON.parse(event.data.post);
    assert.equal(post.id, sent.id);
    assert.equal(post.message, 'hello from the harness test');
  } finally {
    ws.close();
    await adminApi('DELETE', `/channels/${channel.id}?permanent=true`).catch(() => {});
  }
});
