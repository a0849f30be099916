import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toRouteHandlers } from './next.js';
import http from 'node:http';
import { serve, shutdown } from './node.js';
import { TEST, testCompanion } from './test-support.js';

describe('adapters', () => {
  it('serve() runs the companion on Node and the socket address feeds the rate limit', async () => {
    const { companion } = testCompanion({ rateLimitPerMinute: 1 });
    const running = await serve(companion, { port: 0, host: '127.0.0.1' });
    try {
      const health = await fetch(`${running.url}/healthz`);
      assert.deepEqual(await health.json(), { status: 'ok' });
      const post = () => fetch(`${running.url}/v1/session`, { method: 'POST', headers: { Origin: TEST.origin } });
      assert.equal((await post()).status, 200);
      assert.equal((await post()).status, 429);
    } finally {
      await running.close();
    }
  });

  it('shutdown() stops accepting connections before it stops the companion, then waits for the server', async () => {
    let stopped = false;
    let release!: () => void;
    const stopping = new Promise<void>((resolve) => (release = resolve));
    let stopCalled!: () => void;
    const stopStarted = new Promise<void>((resolve) => (stopCalled = resolve));
    const companion = {
      // After stop() the store is closed: a request would fail.
      fetch: async () => new Response(stopped ? 'store closed' : 'ok', { status: stopped ? 500 : 200 }),
      stop: async () => {
        stopped = true;
        stopCalled();
        await stopping;
      },
    };
    const running = await serve(companion, { port: 0, host: '127.0.0.1' });
    const done = shutdown(companion, running, { graceMs: 1000 });
    await stopStarted;
    const status = await new Promise<number | string>((resolve) => {
      http
        .get(`${running.url}/healthz`, { agent: false }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
        .on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    });
    assert.equal(status, 'ECONNREFUSED', 'a request while the companion stops is refused, not answered 500');
    release();
    await done;
    assert.equal(running.server.listening, false);
  });

  it('shutdown() drains first, serves through delayMs, lets a request in flight finish, then stops', async () => {
    const order: string[] = [];
    let finishSlow!: () => void;
    const slowGate = new Promise<void>((resolve) => (finishSlow = resolve));
    const companion = {
      fetch: async (request: Request) => {
        if (new URL(request.url).pathname === '/slow') {
          order.push('slow started');
          await slowGate;
          order.push('slow answered');
        }
        return new Response('ok');
      },
      drain: async () => void order.push('drain'),
      releaseLiveSockets: async () => void order.push('release'),
      stop: async () => void order.push('stop'),
    };
    const running = await serve(companion, { port: 0, host: '127.0.0.1' });
    const get = (path: string) =>
      new Promise<number | string>((resolve) => {
        http
          .get(`${running.url}${path}`, { agent: false }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          })
          .on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      });
    const slow = get('/slow');
    while (!order.includes('slow started')) await new Promise((r) => setTimeout(r, 5));
    const done = shutdown(companion, running, { delayMs: 300, graceMs: 5000 });
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(order, ['slow started', 'drain']);
    assert.equal(await get('/healthz'), 200, 'during the delay the instance still serves');
    await new Promise((r) => setTimeout(r, 400));
    assert.deepEqual(order, ['slow started', 'drain', 'release'], 'live sockets are released after the delay');
    assert.equal(await get('/healthz'), 'ECONNREFUSED', 'after the delay it accepts no connection');
    assert.ok(!order.includes('stop'), 'the store stays open while a request is in flight');
    finishSlow();
    assert.equal(await slow, 200);
    await done;
    assert.deepEqual(order, ['slow started', 'drain', 'release', 'slow answered', 'stop']);
  });

  it('toRouteHandlers strips the base path (Next.js route handlers)', async () => {
    const { companion } = testCompanion({ trustProxy: true });
    const { POST, GET } = toRouteHandlers(companion, { basePath: '/api/porthole' });
    assert.equal((await GET(new Request('http://site.test/api/porthole/healthz'))).status, 200);
    const res = await POST(
      new Request('http://site.test/api/porthole/v1/session', {
        method: 'POST',
        headers: { Origin: TEST.origin, 'Content-Type': 'application/json', 'X-Forwarded-For': '192.0.2.1' },
        body: JSON.stringify({ name: 'Grace' }),
      }),
    );
    assert.equal(res.status, 200);
    assert.ok((await res.json()).token);
  });
});
