import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toRouteHandlers } from './next.js';
import express from 'express';
import http from 'node:http';
import { serve, shutdown, toNodeListener } from './node.js';
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

  it('toNodeListener() in Express: mounted before express.json() it reads the body; after it, it refuses loudly', async () => {
    const seen: string[] = [];
    const companion = {
      fetch: async (request: Request) => {
        seen.push(await request.text());
        return new Response('ok');
      },
    };
    const errors: unknown[] = [];
    const consoleError = console.error;
    console.error = (...args: unknown[]) => void errors.push(args.join(' '));
    const app = express();
    app.use('/good', toNodeListener(companion));
    app.use(express.json());
    app.use('/bad', toNodeListener(companion));
    const server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}`;
    const post = (path: string) =>
      fetch(base + path + '/v1/session', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"identity":"x"}' });
    try {
      const good = await post('/good');
      assert.equal(good.status, 200);
      assert.deepEqual(seen, ['{"identity":"x"}']);
      const bad = await post('/bad');
      assert.equal(bad.status, 500);
      const body = await bad.json();
      assert.equal(body.error.code, 'body_consumed');
      assert.match(body.error.message, /mount the companion before any body parser/);
      assert.equal(seen.length, 1, 'the companion never saw the emptied request');
      await post('/bad');
      assert.equal(errors.length, 1, 'said once in the log');
      assert.match(String(errors[0]), /express\.json\(\)/);
      // A request without a body passes after the parser too.
      assert.equal((await fetch(base + '/bad/healthz')).status, 200);
    } finally {
      console.error = consoleError;
      await new Promise((resolve) => server.close(resolve));
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
