import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { silentLogger } from '../logger.js';
import { LiveHub, type LiveHubOptions } from './live-hub.js';
import { LIVE_MAX_FRAME_BYTES, LiveCloseCode } from '../../protocol/gateway.js';
import { PortholeTokenError } from './porthole-token.js';
import { storeUnavailable } from './store-guard.js';
import { captureLogger } from '../test-support.js';
import type { AuthenticatedVisitor } from './visitor-auth.js';

const ORIGIN = 'https://shop.example.com';
const visitor = (conversationId: string, expiresIn = 60_000): AuthenticatedVisitor => ({
  conversationId,
  userId: `u-${conversationId}`,
  identified: false,
  issuedAt: Date.now(),
  expiresAt: Date.now() + expiresIn,
});
let revoked: Record<string, number> = {};

const tokens: Record<string, () => AuthenticatedVisitor> = {
  'token-a': () => visitor('a'),
  'token-a2': () => visitor('a'),
  'token-b': () => visitor('b'),
  'token-short': () => visitor('a', 150),
};

let server: http.Server;
let url: string;
let hub: LiveHub;
function makeHub(options: Partial<LiveHubOptions> = {}): LiveHub {
  const h = new LiveHub({
    allowedOrigins: [ORIGIN],
    authenticate: async (token) => {
      const make = tokens[token];
      if (!make) throw new PortholeTokenError('token_malformed', 'not a token');
      return make();
    },
    revokedBefore: async (id) => revoked[id],
    logger: silentLogger,
    now: Date.now,
    authTimeoutMs: 200,
    revocationCheckMs: 50,
    ...options,
  });
  h.open();
  return h;
}

before(async () => {
  server = http.createServer((_, res) => res.end('not here'));
  server.on('upgrade', (req, socket, head) => {
    if (!hub.handleUpgrade(req, socket, head)) socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));
afterEach(async () => {
  await hub.close();
  revoked = {};
});

interface Conn {
  ws: WebSocket;
  frames: unknown[];
  closed: Promise<{ code: number; reason: string }>;
  next(): Promise<unknown>;
}

function connect(path = '/v1/live', origin: string | undefined = ORIGIN): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url}${path}`, { headers: origin ? { Origin: origin } : {} });
    const frames: unknown[] = [];
    const waiters: ((f: unknown) => void)[] = [];
    ws.on('message', (data) => {
      const f = JSON.parse(data.toString());
      const w = waiters.shift();
      if (w) w(f);
      else frames.push(f);
    });
    const closed = new Promise<{ code: number; reason: string }>((done) =>
      ws.on('close', (code, reason) => done({ code, reason: reason.toString() })),
    );
    ws.on('open', () =>
      resolve({ ws, frames, closed, next: () => (frames.length ? Promise.resolve(frames.shift()) : new Promise((r) => waiters.push(r))) }),
    );
    ws.on('unexpected-response', (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })));
    ws.on('error', reject);
  });
}

async function ready(token = 'token-a'): Promise<Conn> {
  const c = await connect();
  c.ws.send(JSON.stringify({ type: 'auth', token }));
  assert.equal(((await c.next()) as { type: string }).type, 'ready');
  return c;
}

describe('LiveHub (/v1/live)', () => {
  it('authenticates with the first frame, answers pings and delivers its conversation only', async () => {
    hub = makeHub();
    const a = await ready('token-a');
    const b = await ready('token-b');
    a.ws.send(JSON.stringify({ type: 'ping' }));
    assert.deepEqual(await a.next(), { type: 'pong' });
    const message = { id: 'p', userId: 'x', text: 'hi', createAt: 1, updateAt: 1, deleted: false, edited: false };
    assert.equal(hub.publish('a', { type: 'posted', message }), 1);
    assert.deepEqual(await a.next(), { type: 'posted', message });
    hub.publish('b', { type: 'typing', userId: 'agent' });
    assert.deepEqual(await b.next(), { type: 'typing', userId: 'agent' });
    assert.equal(a.frames.length, 0, 'a never sees b’s events');
    a.ws.close();
    b.ws.close();
  });

  it('closes with the documented codes, and only the socket at fault', async () => {
    hub = makeHub();
    const bystander = await ready('token-a');
    const cases: [string | Buffer, number, RegExp][] = [
      ['not json', LiveCloseCode.invalidFrame, /not JSON/],
      [JSON.stringify({ type: 'hello' }), LiveCloseCode.invalidFrame, /invalid frame/],
      [JSON.stringify({ type: 'ping' }), LiveCloseCode.invalidFrame, /first frame must be/],
      [JSON.stringify({ type: 'auth', token: 'forged' }), LiveCloseCode.unauthorized, /^token_malformed$/],
      [Buffer.from([1, 2, 3]), LiveCloseCode.invalidFrame, /binary/],
      ['x'.repeat(LIVE_MAX_FRAME_BYTES + 1), LiveCloseCode.tooBig, /./],
    ];
    for (const [frame, code, reason] of cases) {
      const c = await connect();
      c.ws.send(frame);
      const closed = await c.closed;
      assert.equal(closed.code, code, String(frame).slice(0, 30));
      if (code !== LiveCloseCode.tooBig) assert.match(closed.reason, reason);
    }
    const silent = await connect();
    assert.deepEqual(await silent.closed, { code: LiveCloseCode.authTimeout, reason: 'auth_timeout' });
    bystander.ws.send(JSON.stringify({ type: 'ping' }));
    assert.deepEqual(await bystander.next(), { type: 'pong' }, 'the other socket is unaffected');
    bystander.ws.close();
  });

  it('re-authenticates the same conversation, refuses another one, and closes when the token expires', async () => {
    hub = makeHub();
    const a = await ready('token-a');
    a.ws.send(JSON.stringify({ type: 'auth', token: 'token-a2' }));
    assert.equal(((await a.next()) as { type: string }).type, 'ready');
    a.ws.send(JSON.stringify({ type: 'auth', token: 'token-b' }));
    assert.deepEqual(await a.closed, { code: LiveCloseCode.wrongConversation, reason: 'wrong_conversation' });
    const short = await ready('token-short');
    assert.deepEqual(await short.closed, { code: LiveCloseCode.unauthorized, reason: 'token_expired' });
  });

  it('closes revoked sockets, closes a conversation on logout, and everything with 1012 on close', async () => {
    hub = makeHub();
    const a = await ready('token-a');
    revoked.a = Date.now() + 1;
    assert.deepEqual(await a.closed, { code: LiveCloseCode.unauthorized, reason: 'token_revoked' });
    const b = await ready('token-b');
    hub.closeConversation('b');
    assert.equal((await b.closed).code, LiveCloseCode.normal);
    const c = await ready('token-b');
    const unauthenticated = await connect();
    await hub.close();
    assert.equal((await c.closed).code, LiveCloseCode.restarting);
    assert.equal((await unauthenticated.closed).code, LiveCloseCode.restarting);
    await assert.rejects(connect(), { status: 503 });
  });

  it('during a store outage closes every socket with 1011 but warns once, and reports only unexpected failures', async () => {
    const logger = captureLogger();
    const reported: unknown[] = [];
    let storeDown = true;
    hub = makeHub({
      logger,
      onError: (e) => void reported.push(e),
      authenticate: async (token) => {
        if (token === 'token-bug') throw new TypeError('cannot read properties of undefined');
        // What authenticateVisitor rejects with through the guarded store (store-guard.ts).
        if (storeDown) throw storeUnavailable(new Error('connect ECONNREFUSED 127.0.0.1:6379'));
        return visitor('a');
      },
    });
    const refusedAll = async (count: number) => {
      const sockets = await Promise.all(Array.from({ length: count }, () => connect()));
      for (const c of sockets) c.ws.send(JSON.stringify({ type: 'auth', token: 'token-a' }));
      for (const c of sockets) assert.deepEqual(await c.closed, { code: LiveCloseCode.internalError, reason: 'internal_error' });
    };
    const warnings = () => logger.entries.filter((e) => e.level === 'warn');

    await refusedAll(50);
    assert.equal(warnings().length, 1, 'one warning for 50 widgets reconnecting');
    assert.match(String(warnings()[0]!.msg), /store unreachable/);
    assert.equal(warnings()[0]!.error, 'connect ECONNREFUSED 127.0.0.1:6379');
    assert.deepEqual(
      logger.entries.filter((e) => e.level === 'error'),
      [],
    );
    assert.equal(reported.length, 0, 'an outage is not an error report');

    // The store is back: sockets authenticate; the next outage is reported again, once.
    storeDown = false;
    (await ready('token-a')).ws.close();
    storeDown = true;
    await refusedAll(5);
    assert.equal(warnings().length, 2);

    // A genuine failure is still an error, and reported.
    const c = await connect();
    c.ws.send(JSON.stringify({ type: 'auth', token: 'token-bug' }));
    assert.deepEqual(await c.closed, { code: LiveCloseCode.internalError, reason: 'internal_error' });
    const errors = logger.entries.filter((e) => e.level === 'error');
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.msg, 'gateway live auth failed');
    assert.equal(reported.length, 1);
    assert.ok(reported[0] instanceof TypeError);
  });

  it('refuses other origins (403) and leaves other paths to the caller', async () => {
    hub = makeHub();
    await assert.rejects(connect('/v1/live', 'https://evil.example'), { status: 403 });
    const noOrigin = await connect('/v1/live', undefined);
    noOrigin.ws.close();
    const mounted = await connect('/porthole/v1/live?x=1');
    mounted.ws.close();
    await assert.rejects(connect('/v1/other'));
  });

  it('limits new sockets per address', async () => {
    const { MemoryRateLimitStore } = await import('../rate-limit.js');
    hub = makeHub({ rateLimitStore: new MemoryRateLimitStore(), connectsPerMinute: 2 });
    const one = await connect();
    const two = await connect();
    await assert.rejects(connect(), { status: 429 });
    one.ws.close();
    two.ws.close();
  });

  it('survives a client that resets the connection while its upgrade is refused', async () => {
    const { Duplex } = await import('node:stream');
    const { MemoryRateLimitStore } = await import('../rate-limit.js');
    const uncaught: Error[] = [];
    const onUncaught = (e: Error) => uncaught.push(e);
    process.prependListener('uncaughtException', onUncaught);
    try {
      hub = makeHub({ rateLimitStore: new MemoryRateLimitStore(), connectsPerMinute: 0 });
      const cases: Array<[string | undefined, LiveHub]> = [
        ['https://evil.example', hub],
        [ORIGIN, hub],
        [ORIGIN, makeHub()],
      ];
      await cases[2]![1].close(); // a closing hub answers 503
      const sockets = cases.map(([origin, h]) => {
        // A socket whose peer has already reset: every write fails with ECONNRESET.
        const socket = new Duplex({
          read() {},
          write(_chunk, _encoding, callback) {
            callback(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
          },
        });
        const req = {
          url: '/v1/live',
          headers: origin === undefined ? {} : { origin },
          socket: { remoteAddress: '127.0.0.1' },
        } as unknown as http.IncomingMessage;
        assert.equal(h.handleUpgrade(req, socket, Buffer.alloc(0)), true);
        return socket;
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(uncaught, []);
      for (const socket of sockets) assert.equal(socket.destroyed, true);
    } finally {
      process.removeListener('uncaughtException', onUncaught);
    }
  });
});
