import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { WebSocketServer, type WebSocket } from 'ws';
import { silentLogger } from '../logger.js';
import { BotSocket, type MattermostEvent } from './bot-socket.js';

/** A stand-in for Mattermost's /api/v4/websocket: the challenge, one event, and hooks to misbehave. */
async function fakeMattermost(options: { autoPong?: boolean } = {}) {
  const server = http.createServer();
  const wss = new WebSocketServer({ server, path: '/api/v4/websocket', autoPong: options.autoPong ?? true });
  const sockets: WebSocket[] = [];
  const urls: string[] = [];
  wss.on('connection', (ws, req) => {
    sockets.push(ws);
    urls.push(req.url ?? '');
    ws.on('message', (raw) => {
      const frame = JSON.parse(raw.toString());
      if (frame.action !== 'authentication_challenge') return;
      if (frame.data.token !== 'good')
        return ws.send(
          JSON.stringify({ status: 'FAIL', seq_reply: frame.seq, error: { id: 'api.web_socket_router.not_authenticated.app_error' } }),
        );
      ws.send(JSON.stringify({ event: 'hello', data: { server_version: '11.4' }, broadcast: {}, seq: 0 }));
      ws.send(JSON.stringify({ status: 'OK', seq_reply: frame.seq }));
      ws.send(JSON.stringify({ event: 'posted', data: { post: '{}' }, broadcast: { channel_id: 'c' }, seq: 1 }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    sockets,
    urls,
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        wss.close();
        server.close(() => resolve());
      }),
  };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function waitFor(predicate: () => boolean, ms = 3000): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const check = () => (predicate() ? resolve() : Date.now() - started > ms ? reject(new Error('timed out')) : setTimeout(check, 10));
    check();
  });
}

describe('BotSocket', () => {
  it('authenticates with a challenge (never in the URL), delivers events and reconnects after a drop', async () => {
    const mm = await fakeMattermost();
    cleanups.push(mm.close);
    const events: MattermostEvent[] = [];
    const connections: boolean[] = [];
    const socket = new BotSocket({
      mattermostUrl: mm.url,
      token: 'good',
      logger: silentLogger,
      onEvent: (e) => events.push(e),
      onConnected: ({ reconnect }) => connections.push(reconnect),
      minBackoffMs: 10,
      maxBackoffMs: 50,
    });
    cleanups.push(() => socket.stop());
    socket.start();
    await waitFor(() => events.length === 1);
    assert.deepEqual(connections, [false]);
    assert.equal(socket.state, 'connected');
    assert.equal(events[0]!.event, 'posted');
    assert.equal(events[0]!.broadcast.channel_id, 'c');
    assert.ok(
      mm.urls.every((u) => !u.includes('good')),
      'the token never travels in the URL',
    );
    mm.sockets[0]!.terminate();
    await waitFor(() => connections.length === 2);
    assert.deepEqual(connections, [false, true]);
    assert.equal(events.length, 2);
  });

  it('keeps retrying with backoff when the token is refused, and stops for good', async () => {
    const mm = await fakeMattermost();
    cleanups.push(mm.close);
    let connected = 0;
    const socket = new BotSocket({
      mattermostUrl: mm.url,
      token: 'bad',
      logger: silentLogger,
      onEvent: () => {},
      onConnected: () => connected++,
      minBackoffMs: 10,
      maxBackoffMs: 20,
    });
    socket.start();
    await waitFor(() => mm.urls.length >= 3);
    assert.equal(connected, 0);
    assert.equal(socket.state, 'connecting');
    await socket.stop();
    const attempts = mm.urls.length;
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(mm.urls.length, attempts, 'no reconnect after stop()');
    assert.equal(socket.state, 'stopped');
  });

  it('drops a socket that stops answering pings, and reconnects', async () => {
    const mm = await fakeMattermost({ autoPong: false });
    cleanups.push(mm.close);
    const connections: boolean[] = [];
    const socket = new BotSocket({
      mattermostUrl: mm.url,
      token: 'good',
      logger: silentLogger,
      onEvent: () => {},
      onConnected: ({ reconnect }) => connections.push(reconnect),
      minBackoffMs: 10,
      heartbeatMs: 40,
    });
    cleanups.push(() => socket.stop());
    socket.start();
    await waitFor(() => connections.length >= 2);
    assert.deepEqual(connections.slice(0, 2), [false, true]);
  });
});
