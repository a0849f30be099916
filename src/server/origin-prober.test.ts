import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { HttpOriginProber } from './origin-prober.js';

const ALLOWED = 'https://shop.example.com';

/** Listens on a free loopback port; `close()` also ends upgraded and half-open sockets. */
function listen(server: Server): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      }),
    );
  });
}

/**
 * A loopback stand-in for Mattermost's CORS handler (rs/cors: the preflight is 204 either way,
 * with CORS headers only for an allowed origin) and its WebSocket upgrader (gorilla/websocket:
 * 403 for a refused origin).
 */
async function fakeMattermost(): Promise<{ url: string; upgrades: string[]; close(): Promise<void> }> {
  const upgrades: string[] = [];
  const server = createServer((req, res) => {
    const origin = req.headers.origin;
    if (req.method === 'OPTIONS' && req.url === '/api/v4/users/me') {
      if (origin === ALLOWED && req.headers['access-control-request-method'] === 'GET') {
        res.setHeader('Access-Control-Allow-Origin', origin);
        res.setHeader('Access-Control-Allow-Headers', req.headers['access-control-request-headers'] ?? '');
      }
      res.writeHead(204).end();
      return;
    }
    if (req.url === '/api/v4/websocket') {
      // Not an upgrade: what gorilla answers a refused origin.
      res.writeHead(403, 'Forbidden').end('Forbidden\n');
      return;
    }
    res.writeHead(404).end();
  });
  server.on('upgrade', (req, socket: Socket) => {
    upgrades.push(String(req.headers.origin));
    if (req.headers.origin !== ALLOWED || req.headers.upgrade !== 'websocket' || !req.headers['sec-websocket-key']) {
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 10\r\nConnection: close\r\n\r\nForbidden\n');
      return;
    }
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    socket.on('error', () => {});
  });
  return { ...(await listen(server)), upgrades };
}

describe('HttpOriginProber', () => {
  let mattermost: Awaited<ReturnType<typeof fakeMattermost>>;
  before(async () => {
    mattermost = await fakeMattermost();
  });
  after(() => mattermost.close());

  it("sends a real preflight with the Origin and the widget's headers", async () => {
    const prober = new HttpOriginProber({ mattermostUrl: `${mattermost.url}/` });
    assert.deepEqual(await prober.corsPreflight(ALLOWED), {
      status: 204,
      allowOrigin: ALLOWED,
      allowHeaders: 'authorization,content-type',
    });
    assert.deepEqual(await prober.corsPreflight('https://other.example'), { status: 204, allowOrigin: null, allowHeaders: null });
  });

  it('sends a real WebSocket upgrade with the Origin: 101 when accepted, 403 when refused', async () => {
    const prober = new HttpOriginProber({ mattermostUrl: mattermost.url });
    assert.equal((await prober.webSocketUpgrade(ALLOWED)).status, 101);
    assert.deepEqual(await prober.webSocketUpgrade('https://other.example'), { status: 403, statusText: 'Forbidden' });
    assert.deepEqual(mattermost.upgrades, [ALLOWED, 'https://other.example']);
  });

  it('answers status 0 with the reason when Mattermost cannot be reached, never rejecting', async () => {
    const closed = await fakeMattermost();
    await closed.close();
    const prober = new HttpOriginProber({ mattermostUrl: closed.url, timeoutMs: 2_000 });
    const preflight = await prober.corsPreflight(ALLOWED);
    assert.equal(preflight.status, 0);
    assert.match(preflight.error ?? '', /ECONNREFUSED/);
    const upgrade = await prober.webSocketUpgrade(ALLOWED);
    assert.equal(upgrade.status, 0);
    assert.match(upgrade.error ?? '', /ECONNREFUSED/);
  });

  it('gives up after the timeout when Mattermost accepts the connection but never answers', async () => {
    const server = createServer(() => {});
    server.on('upgrade', () => {});
    const silent = await listen(server);
    try {
      const prober = new HttpOriginProber({ mattermostUrl: silent.url, timeoutMs: 200 });
      assert.deepEqual(await prober.webSocketUpgrade(ALLOWED), { status: 0, error: 'no answer within 200 ms' });
      assert.equal((await prober.corsPreflight(ALLOWED)).status, 0);
    } finally {
      await silent.close();
    }
  });
});
