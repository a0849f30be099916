import { expect } from '@open-wc/testing';
import type { WireMessage } from '../protocol/gateway.js';
import { FakeClock, settle } from '../testing/fake-clock.js';
import { fakePageTimers } from '../testing/fake-page-timers.js';
import { testSession } from '../testing/helpers.js';
import { GatewayTransport, type GatewayTransportOptions } from './gateway-transport.js';
import { isRetryable, type TransportError, type TransportEvent } from './transport.js';

/** A WebSocket that opens on the next turn (unless told not to) and lets the test play the companion. */
class FakeSocket {
  static all: FakeSocket[] = [];
  static readonly CLOSING = 2; // what reconnecting-websocket checks a WebSocket class by
  static autoOpen = true;
  static get last(): FakeSocket {
    return FakeSocket.all.at(-1)!;
  }
  readyState = 0;
  sent: unknown[] = [];
  closedWith?: number;
  #listeners: Record<string, Array<(e: unknown) => void>> = {};
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
    if (FakeSocket.autoOpen) setTimeout(() => this.open());
  }
  addEventListener(type: string, listener: (e: unknown) => void) {
    (this.#listeners[type] ??= []).push(listener);
  }
  removeEventListener(type: string, listener: (e: unknown) => void) {
    this.#listeners[type] = (this.#listeners[type] ?? []).filter((l) => l !== listener);
  }
  open() {
    this.readyState = 1;
    this.#fire('open', new Event('open'));
  }
  send(d: string) {
    this.sent.push(JSON.parse(d));
  }
  /** The client closes. */
  close(code = 1005) {
    this.closedWith = code;
    this.readyState = 3;
    this.#fire('close', { code, reason: '', wasClean: true });
  }
  /** The companion closes (or the connection is lost: 1006). */
  drop(code = 1006, reason = '') {
    this.readyState = 3;
    this.#fire('close', { code, reason, wasClean: code !== 1006 });
  }
  receive(o: unknown) {
    this.#fire('message', { data: typeof o === 'string' || o instanceof ArrayBuffer ? o : JSON.stringify(o) });
  }
  #fire(type: string, e: unknown) {
    for (const listener of this.#listeners[type] ?? []) listener(e);
  }
}

type Call = { url: string; init: RequestInit };
type Answer = Response | Error | ((call: Call) => Response | Error | Promise<Response>);

/** A fetch that records every call and answers from a route table (first match wins; default 200 `{}`). */
function fakeFetch() {
  const calls: Call[] = [];
  const routes: Array<[RegExp, Answer]> = [];
  const fetch = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const call = { url: String(input), init };
    calls.push(call);
    init.signal?.throwIfAborted();
    const route = routes.find(([re]) => re.test(call.url));
    let answer = route ? route[1] : json({});
    if (typeof answer === 'function') answer = await answer(call);
    if (answer instanceof Error) throw answer;
    return answer.clone();
  };
  return { fetch: fetch as typeof window.fetch, calls, on: (re: RegExp, answer: Answer) => routes.unshift([re, answer]) };
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

const msg = (over: Partial<WireMessage> = {}): WireMessage => ({
  id: 'm1',
  userId: 'agent',
  text: 'hi',
  createAt: 10,
  updateAt: 10,
  deleted: false,
  edited: false,
  ...over,
});

const gatewaySession = () => testSession({ mode: 'gateway', serverUrl: 'https://companion.example/', channelId: 'conv-1' });

// The fake clock runs the live socket's timers and, through fakePageTimers, reconnecting-websocket's
// own (backoff, connect timeout, uptime).
describe('GatewayTransport', () => {
  let t: GatewayTransport;
  let clock: FakeClock;
  let restoreTimers: () => void;
  let net: ReturnType<typeof fakeFetch>;
  let events: TransportEvent[];
  const statuses = () => events.flatMap((e) => (e.type === 'status' ? [e.status] : []));
  const live = () => events.filter((e) => e.type !== 'status');

  /** A transport on fakes; `healthz` down unless a test says otherwise. */
  function make(options: GatewayTransportOptions = {}) {
    t = new GatewayTransport(gatewaySession(), {
      WebSocket: FakeSocket as unknown as typeof WebSocket,
      fetch: net.fetch,
      timers: clock,
      ...options,
    });
    t.subscribe((e) => events.push(e));
    return t;
  }

  /** Connects and lets the companion accept the first socket. */
  async function online(options: GatewayTransportOptions = {}) {
    make(options).connect();
    await settle();
    FakeSocket.last.receive({ type: 'ready', userId: 'visitor', expiresAt: Date.now() + 60_000 });
    return FakeSocket.last;
  }

  const requests = (re: RegExp) => net.calls.filter((c) => re.test(c.url));

  beforeEach(() => {
    FakeSocket.all = [];
    FakeSocket.autoOpen = true;
    clock = new FakeClock();
    restoreTimers = fakePageTimers(clock);
    net = fakeFetch();
    net.on(/\/healthz$/, new TypeError('Failed to fetch'));
    events = [];
  });
  afterEach(() => {
    t?.disconnect();
    restoreTimers();
  });

  describe('live socket', () => {
    it('opens wss …/v1/live without the token in the URL and authenticates with its first frame; ready → online', async () => {
      make().connect();
      await settle();
      const ws = FakeSocket.last;
      expect(ws.url).to.equal('wss://companion.example/v1/live');
      expect(ws.url).to.not.contain('tok-1');
      expect(ws.sent).to.deep.equal([{ type: 'auth', token: 'tok-1' }]);
      expect(statuses()).to.deep.equal(['connecting']);
      ws.receive({ type: 'ready', userId: 'visitor', expiresAt: 1 });
      expect(statuses()).to.deep.equal(['connecting', 'online']);
      t.connect(); // a second connect does nothing
      expect(FakeSocket.all).to.have.length(1);
    });

    it('uses ws:// for an http companion', async () => {
      t = new GatewayTransport(testSession({ mode: 'gateway', serverUrl: 'http://localhost:8787' }), {
        WebSocket: FakeSocket as unknown as typeof WebSocket,
        fetch: net.fetch,
        timers: clock,
      });
      t.connect();
      await settle();
      expect(FakeSocket.last.url).to.equal('ws://localhost:8787/v1/live');
    });

    it('turns posted / edited / deleted / typing frames into events', async () => {
      const ws = await online();
      ws.receive({ type: 'posted', message: msg({ clientId: 'c1', userId: 'visitor' }) });
      ws.receive({ type: 'edited', message: msg({ text: 'hi!', edited: true, updateAt: 20 }) });
      ws.receive({ type: 'deleted', message: msg({ text: '', updateAt: 30 }) });
      ws.receive({ type: 'typing', userId: 'agent' });
      ws.receive({ type: 'typing', userId: 'visitor' }); // the visitor's own typing (another tab): not shown
      expect(live()).to.deep.equal([
        { type: 'posted', message: msg({ clientId: 'c1', userId: 'visitor' }) },
        { type: 'edited', message: msg({ text: 'hi!', edited: true, updateAt: 20 }) },
        { type: 'deleted', message: msg({ text: '', updateAt: 30, deleted: true }) },
        { type: 'typing', userId: 'agent' },
      ]);
    });

    it('ignores junk frames without failing', async () => {
      const ws = await online();
      for (const junk of [
        'garbage',
        '{"type":',
        'null',
        '[]',
        '42',
        {},
        { type: 'posted' },
        { type: 'posted', message: { id: 1 } },
        { type: 'edited', message: { ...msg(), createAt: 'yesterday' } },
        { type: 'typing' },
        { type: 'unknown', message: msg() },
        { message: msg() },
        new ArrayBuffer(4),
      ])
        ws.receive(junk);
      ws.receive({ type: 'posted', message: msg({ id: 'ok' }) });
      expect(live()).to.deep.equal([{ type: 'posted', message: msg({ id: 'ok' }) }]);
      expect(statuses()).to.deep.equal(['connecting', 'online']);
    });

    it('presents a refreshed token on the open socket', async () => {
      const ws = await online();
      t.setToken('tok-2');
      expect(ws.sent.at(-1)).to.deep.equal({ type: 'auth', token: 'tok-2' });
      ws.receive({ type: 'ready', userId: 'visitor', expiresAt: 2 });
      expect(FakeSocket.all, 'the same socket').to.have.length(1);
      expect(statuses(), 'no flicker').to.deep.equal(['connecting', 'online']);
      net.on(/\/v1\/messages/, json({ messages: [], hasMore: false }));
      await t.latest(30);
      expect((net.calls.at(-1)!.init.headers as Record<string, string>).Authorization).to.equal('Bearer tok-2');
    });

    it('a socket that is still opening authenticates with the newest token', async () => {
      make().connect();
      t.setToken('tok-2');
      await settle();
      expect(FakeSocket.last.sent).to.deep.equal([{ type: 'auth', token: 'tok-2' }]);
    });

    it('reconnects with capped, jittered backoff; three closes without ready → offline; ready → online again', async () => {
      const first = await online();
      first.drop(); // the connection is lost
      expect(statuses()).to.deep.equal(['connecting', 'online', 'reconnecting']);
      await clock.tick(999); // 0.5–1.5 s (the fake clock's jitter is 0.5: 1 s)
      expect(FakeSocket.all).to.have.length(1);
      await clock.tick(1);
      expect(FakeSocket.all).to.have.length(2);
      expect(FakeSocket.last.sent, 'every socket authenticates first').to.deep.equal([{ type: 'auth', token: 'tok-1' }]);
      FakeSocket.last.drop(4408, 'auth_timeout');
      await clock.tick(1500); // ×1.5
      expect(FakeSocket.all).to.have.length(3);
      FakeSocket.last.drop(1011, 'internal_error');
      expect(statuses()).to.deep.equal(['connecting', 'online', 'reconnecting', 'offline']);
      // It keeps trying while offline (the companion is down: no socket opens); ×1.5, at most 10 s.
      FakeSocket.autoOpen = false;
      for (let n = 2; n <= 7; n++) {
        const step = Math.min(10000, Math.ceil(1000 * 1.5 ** n));
        const count = FakeSocket.all.length;
        await clock.tick(step - 1);
        expect(FakeSocket.all, `not before ${step} ms`).to.have.length(count);
        await clock.tick(1);
        expect(FakeSocket.all, `after ${step} ms`).to.have.length(count + 1);
        if (n < 7) FakeSocket.last.drop();
      }
      FakeSocket.last.open();
      FakeSocket.last.receive({ type: 'ready', userId: 'visitor', expiresAt: 1 });
      expect(statuses()).to.deep.equal(['connecting', 'online', 'reconnecting', 'offline', 'online']);
      // Backoff starts over once a socket has stayed open 5 s.
      await clock.tick(5000);
      FakeSocket.last.drop();
      await clock.tick(1000);
      expect(FakeSocket.all).to.have.length(10);
    });

    it('after a 1012 (restarting) reconnects after the shortest step, whatever the backoff had grown to', async () => {
      await online();
      FakeSocket.autoOpen = false; // down for a while: the backoff grows
      for (let i = 0; i < 5; i++) {
        FakeSocket.last.drop();
        await clock.tick(10000);
      }
      const before = FakeSocket.all.length;
      FakeSocket.last.open();
      FakeSocket.last.drop(1012, 'restarting');
      await clock.tick(999);
      expect(FakeSocket.all).to.have.length(before);
      await clock.tick(1);
      expect(FakeSocket.all).to.have.length(before + 1);
    });

    it('4400 and 1009 (a client bug) reconnect with backoff rather than stopping', async () => {
      await online();
      FakeSocket.last.drop(4400, 'invalid frame');
      await clock.tick(1000);
      expect(FakeSocket.all).to.have.length(2);
      FakeSocket.last.drop(1009);
      await clock.tick(1500);
      expect(FakeSocket.all).to.have.length(3);
    });

    it('while down, probes GET /healthz about every second and reconnects as soon as it answers', async () => {
      await online({ probeInterval: 100 });
      FakeSocket.last.drop();
      await clock.tick(350);
      const probes = requests(/\/healthz$/);
      expect(probes.length, 'probing while down').to.be.within(2, 4);
      expect(probes[0].url).to.equal('https://companion.example/healthz');
      expect(probes[0].init.credentials).to.equal('omit');
      expect(probes[0].init.headers, 'unauthenticated').to.equal(undefined);
      expect(FakeSocket.all, 'no reconnect while the companion does not answer').to.have.length(1);
      net.on(/\/healthz$/, () => json({ status: 'ok' }));
      await clock.tick(100);
      expect(FakeSocket.all, 'reconnected long before the 1 s backoff step').to.have.length(2);
      FakeSocket.last.receive({ type: 'ready', userId: 'visitor', expiresAt: 1 });
      const count = requests(/\/healthz$/).length;
      await clock.tick(5000);
      expect(requests(/\/healthz$/).length, 'no probing once online').to.equal(count);
      expect(FakeSocket.all, 'and no second socket from the backoff timer').to.have.length(2);
    });

    it('reconnects at once when the network comes back or the visitor returns to the tab', async () => {
      await online();
      FakeSocket.last.drop();
      await settle();
      dispatchEvent(new Event('online'));
      await settle();
      expect(FakeSocket.all).to.have.length(2);
      FakeSocket.last.drop();
      document.dispatchEvent(new Event('visibilitychange'));
      dispatchEvent(new Event('online')); // a socket is on its way: no second one
      await settle();
      expect(FakeSocket.all).to.have.length(3);
      dispatchEvent(new Event('online')); // and open: none either
      await clock.tick(30000); // nor from the replaced sockets' own retries
      expect(FakeSocket.all).to.have.length(3);
      expect(statuses()).to.deep.equal(['connecting', 'online', 'reconnecting']);
    });

    it('pings every 25 s while online; a ping unanswered by the next one forces a reconnect', async () => {
      const ws = await online();
      await clock.tick(25000);
      expect(ws.sent.at(-1)).to.deep.equal({ type: 'ping' });
      ws.receive({ type: 'pong' });
      await clock.tick(25000);
      expect(ws.sent.filter((f) => (f as { type: string }).type === 'ping')).to.have.length(2);
      expect(ws.closedWith, 'answered in time').to.equal(undefined);
      await clock.tick(25000); // no pong
      expect(ws.closedWith).to.not.equal(undefined);
      expect(statuses()).to.deep.equal(['connecting', 'online', 'reconnecting']);
      await clock.tick(1000);
      expect(FakeSocket.all).to.have.length(2);
    });

    it('drops a socket that does not open within 8 s and tries again', async () => {
      FakeSocket.autoOpen = false;
      make().connect();
      await settle();
      const ws = FakeSocket.last;
      await clock.tick(7999);
      expect(ws.closedWith).to.equal(undefined);
      await clock.tick(1);
      expect(ws.closedWith).to.not.equal(undefined);
      expect(statuses()).to.deep.equal(['connecting', 'reconnecting']);
      await clock.tick(1000);
      expect(FakeSocket.all).to.have.length(2);
    });

    it('disconnect closes the socket and removes every timer and listener', async () => {
      const ws = await online({ probeInterval: 100 });
      ws.drop();
      await clock.tick(50); // a reconnect and a probe are pending
      const down = FakeSocket.all.length;
      t.disconnect();
      dispatchEvent(new Event('online'));
      document.dispatchEvent(new Event('visibilitychange'));
      // reconnecting-websocket leaves its backoff wait to run out (it then does nothing).
      await clock.tick(60000);
      expect(clock.pending, 'no ping, probe or retry left').to.equal(0);
      expect(FakeSocket.all).to.have.length(down);
      expect(statuses().at(-1)).to.equal('reconnecting');

      // Connected again, then disconnected while online: the socket is closed and its frames ignored.
      events = [];
      t.connect();
      await settle();
      const again = FakeSocket.last;
      again.receive({ type: 'ready', userId: 'visitor', expiresAt: 1 });
      t.disconnect();
      expect(again.closedWith).to.equal(1000);
      expect(clock.pending).to.equal(0);
      again.receive({ type: 'posted', message: msg() });
      expect(live()).to.deep.equal([]);
      expect(statuses()).to.deep.equal(['connecting', 'online']);
    });
  });

  describe('a refused token (close 4401)', () => {
    it('says refused, stays closed, makes REST calls fail with auth without asking, and reconnects at once with the next token', async () => {
      const ws = await online();
      ws.drop(4401, 'token_revoked');
      expect(statuses()).to.deep.equal(['connecting', 'online', 'reconnecting']);
      await settle(1);
      expect(live(), 'the session controller renews on it').to.deep.equal([{ type: 'refused', reason: 'token_revoked' }]);
      await clock.tick(60000);
      expect(FakeSocket.all, 'the same token is not presented again').to.have.length(1);
      expect(requests(/\/healthz$/), 'nothing to probe: the companion is up').to.have.length(0);

      // The session controller renews on a TransportError 'auth', as for a 401 from the REST API.
      const err = await t.latest(30).catch((e) => e);
      expect(err.kind).to.equal('auth');
      expect(err.status).to.equal(401);
      expect(err.message).to.contain('token_revoked');
      expect((await t.send({ clientId: 'c', text: 'x' }).catch((e) => e)).kind).to.equal('auth');
      t.typing();
      expect(net.calls, 'no request with a refused token').to.have.length(0);

      t.setToken('tok-2');
      await settle();
      expect(FakeSocket.all, 'reconnects at once').to.have.length(2);
      expect(FakeSocket.last.sent).to.deep.equal([{ type: 'auth', token: 'tok-2' }]);
      FakeSocket.last.receive({ type: 'ready', userId: 'visitor', expiresAt: 2 });
      expect(statuses()).to.deep.equal(['connecting', 'online', 'reconnecting', 'online']);
      net.on(/\/v1\/messages/, json({ messages: [], hasMore: false }));
      expect(await t.latest(30)).to.deep.equal({ messages: [], hasMore: false });
      expect((net.calls.at(-1)!.init.headers as Record<string, string>).Authorization).to.equal('Bearer tok-2');
    });

    it('treats 4403 (a re-authentication for another conversation) the same way', async () => {
      const ws = await online();
      ws.drop(4403, 'wrong_conversation');
      await clock.tick(20000);
      expect(FakeSocket.all).to.have.length(1);
      expect(live()).to.deep.equal([{ type: 'refused', reason: 'wrong_conversation' }]);
      expect((await t.since(5).catch((e) => e)).kind).to.equal('auth');
    });

    it('says nothing of a refusal already answered with a new token, or after disconnect()', async () => {
      await online();
      FakeSocket.last.drop(4401, 'token_expired');
      t.setToken('tok-2'); // before the event went out
      await settle();
      FakeSocket.last.receive({ type: 'ready', userId: 'visitor', expiresAt: 2 });
      FakeSocket.last.drop(4401, '');
      t.disconnect();
      await settle();
      expect(live()).to.deep.equal([]);
    });

    it('three refusals in a row without a ready report offline', async () => {
      await online();
      for (const token of ['tok-2', 'tok-3']) {
        FakeSocket.last.drop(4401, 'token_invalid');
        t.setToken(token);
        await settle();
      }
      FakeSocket.last.drop(4401, 'token_invalid');
      expect(statuses()).to.deep.equal(['connecting', 'online', 'reconnecting', 'offline']);
      await settle(1);
      expect(live(), 'the two answered at once are not told').to.deep.equal([{ type: 'refused', reason: 'token_invalid' }]);
    });
  });

  describe('visitor API', () => {
    it('pages the newest and older messages with the token as bearer, no cookies and no token in any URL', async () => {
      net.on(/per_page=/, json({ messages: [msg({ id: 'a' }), msg({ id: 'b', createAt: 11, clientId: 'c-1' })], hasMore: true }));
      make();
      const page = await t.latest(30);
      expect(page).to.deep.equal({ messages: [msg({ id: 'a' }), msg({ id: 'b', createAt: 11, clientId: 'c-1' })], hasMore: true });
      await t.before({ id: 'a', createAt: 10 }, 20);
      expect(net.calls.map((c) => c.url)).to.deep.equal([
        'https://companion.example/v1/messages?per_page=30',
        'https://companion.example/v1/messages?before=a&per_page=20',
      ]);
      for (const { url, init } of net.calls) {
        expect(url).to.not.contain('tok-1');
        expect(init.headers).to.deep.equal({ Authorization: 'Bearer tok-1' });
        expect(init.credentials).to.equal('omit');
        expect(init.method ?? 'GET').to.equal('GET');
      }
    });

    it('resyncs with since, asking again from the newest change seen while hasMore', async () => {
      net.on(/since=/, ({ url }) => {
        const since = Number(new URL(url).searchParams.get('since'));
        if (since === 5)
          return json({ messages: [msg({ id: 'a', updateAt: 10 }), msg({ id: 'b', createAt: 20, updateAt: 20 })], hasMore: true });
        if (since === 19)
          return json({
            messages: [msg({ id: 'b', createAt: 20, updateAt: 20 }), msg({ id: 'c', createAt: 20, updateAt: 20 })],
            hasMore: true,
          });
        if (since === 20) return json({ messages: [msg({ id: 'd', createAt: 30, updateAt: 31 })], hasMore: false });
        return json({ messages: [], hasMore: false });
      });
      make();
      const changed = await t.since(5);
      expect(changed.map((m) => m.id)).to.deep.equal(['a', 'b', 'c', 'd']);
      expect(net.calls.map((c) => new URL(c.url).search)).to.deep.equal(['?since=5', '?since=19', '?since=20']);
    });

    it('stops asking when a since page with hasMore makes no progress', async () => {
      net.on(/since=/, json({ messages: [], hasMore: true }));
      make();
      expect(await t.since(7)).to.deep.equal([]);
      expect(net.calls).to.have.length(1);
    });

    it('sends {clientId, text} as JSON and returns the message as stored; a repeat sends the same clientId', async () => {
      net.on(/\/v1\/messages$/, ({ init }) => {
        const body = JSON.parse(String(init.body));
        return json({ message: msg({ id: 'srv-1', userId: 'visitor', clientId: body.clientId, text: body.text }) }, 201);
      });
      make();
      const sent = await t.send({ clientId: 'c-42', text: 'hello' });
      expect(sent).to.deep.equal(msg({ id: 'srv-1', userId: 'visitor', clientId: 'c-42', text: 'hello' }));
      await t.send({ clientId: 'c-42', text: 'hello' }); // a retry: the companion answers with the stored message
      for (const { url, init } of net.calls) {
        expect(url).to.equal('https://companion.example/v1/messages');
        expect(init.method).to.equal('POST');
        expect(JSON.parse(String(init.body))).to.deep.equal({ clientId: 'c-42', text: 'hello' });
        expect(init.headers).to.deep.equal({ Authorization: 'Bearer tok-1', 'Content-Type': 'application/json' });
        expect(init.credentials).to.equal('omit');
      }
    });

    it('says typing with POST /v1/typing, best effort', async () => {
      net.on(/\/v1\/typing$/, new Response(null, { status: 204 }));
      make();
      t.typing();
      await settle();
      expect(net.calls.map((c) => `${c.init.method} ${c.url}`)).to.deep.equal(['POST https://companion.example/v1/typing']);
      net.on(/\/v1\/typing$/, json({ error: { code: 'rate_limited', message: 'slow down', requestId: 'r' } }, 429));
      t.typing(); // a failure is swallowed
      net.on(/\/v1\/typing$/, new TypeError('Failed to fetch'));
      t.typing();
      await settle();
      expect(net.calls).to.have.length(3);
    });

    it('names the agents asked for from GET /v1/agents', async () => {
      net.on(
        /\/v1\/agents$/,
        json({
          agents: [
            { userId: 'a1', name: 'Ana' },
            { userId: 'a2', name: 'Bo' },
          ],
        }),
      );
      make();
      expect(await t.names(['a1', 'nobody'])).to.deep.equal({ a1: 'Ana' });
      expect(net.calls[0].url).to.equal('https://companion.example/v1/agents');
    });

    // Agents and availability
    it('fetches an agent’s image with the bearer (404: none) and the availability, validated', async () => {
      net.on(/\/v1\/agents\/a1\/image$/, new Response(new Blob(['png'], { type: 'image/png' })));
      net.on(/\/v1\/agents\/zz\/image$/, json({ error: { code: 'agent_not_found', message: 'no' } }, 404));
      net.on(/\/v1\/availability$/, json({ state: 'closed', expectedReply: 'Tomorrow', fields: ['email'], emailReplies: true }));
      make();
      const blob = await t.avatar('a1');
      expect(blob?.type).to.equal('image/png');
      expect(new Headers(net.calls[0].init.headers).get('Authorization')).to.equal('Bearer tok-1');
      expect(net.calls[0].url).to.equal('https://companion.example/v1/agents/a1/image');
      expect(await t.avatar('zz')).to.equal(undefined);
      expect(await t.availability()).to.deep.equal({ state: 'closed', expectedReply: 'Tomorrow', fields: ['email'], emailReplies: true });
      net.on(/\/v1\/availability$/, json({ state: 'sleeping', fields: [], emailReplies: false }));
      expect((await t.availability().catch((e) => e)).kind).to.equal('invalid');
      net.on(/\/v1\/agents\/a1\/image$/, json({}, 503));
      expect((await t.avatar('a1').catch((e) => e)).kind).to.equal('unavailable');
    });

    it('classifies failures: network, 401 auth, 429 rate_limited, 5xx unavailable, other 4xx rejected, a bad body invalid', async () => {
      make();
      const kindOf = async (answer: Answer) => {
        net.on(/\/v1\/messages/, answer);
        const e = await t.latest(30).catch((err) => err);
        return [e.kind, e.status];
      };
      const error = (status: number, code: string) =>
        json({ error: { code, message: `${code} says the companion`, requestId: 'req-9' } }, status);
      expect(await kindOf(new TypeError('Failed to fetch'))).to.deep.equal(['network', undefined]);
      expect(await kindOf(error(401, 'token_expired'))).to.deep.equal(['auth', 401]);
      expect(await kindOf(error(429, 'rate_limited'))).to.deep.equal(['rate_limited', 429]);
      expect(await kindOf(error(500, 'internal_error'))).to.deep.equal(['unavailable', 500]);
      expect(await kindOf(new Response('Bad gateway', { status: 502 }))).to.deep.equal(['unavailable', 502]);
      expect(await kindOf(error(400, 'invalid_cursor'))).to.deep.equal(['rejected', 400]);
      expect(await kindOf(error(403, 'origin_not_allowed'))).to.deep.equal(['rejected', 403]);
      expect(await kindOf(error(413, 'message_too_long'))).to.deep.equal(['rejected', 413]);
      expect(await kindOf(json({ messages: 'none' }))).to.deep.equal(['invalid', 200]);
      expect(await kindOf(json({ messages: [{ id: 'x' }], hasMore: false }))).to.deep.equal(['invalid', 200]);
      expect(await kindOf(new Response('<html>', { status: 200 }))).to.deep.equal(['invalid', 200]);

      net.on(/\/v1\/messages/, error(429, 'rate_limited'));
      const e = await t.send({ clientId: 'c', text: 'x' }).catch((err) => err);
      expect(e.message).to.contain('POST /v1/messages').and.contain('429').and.contain('rate_limited').and.contain('req-9');
      net.on(/\/v1\/agents/, json({ agents: [{ userId: 1 }] }));
      expect((await t.names(['a']).catch((err) => err)).kind).to.equal('invalid');
    });

    it('a 429 is rate_limited, still retryable, and carries Retry-After (seconds or an HTTP date) as retryAfter ms', async () => {
      make();
      const limited = (retryAfter?: string) =>
        new Response(
          JSON.stringify({ error: { code: 'rate_limited', message: 'Too many messages in this conversation', requestId: 'r' } }),
          {
            status: 429,
            headers: { 'Content-Type': 'application/json', ...(retryAfter === undefined ? {} : { 'Retry-After': retryAfter }) },
          },
        );
      const sendError = async (answer: Response) => {
        net.on(/\/v1\/messages$/, answer);
        return (await t.send({ clientId: 'c', text: 'the 21st' }).catch((e) => e)) as TransportError;
      };
      const seconds = await sendError(limited('17'));
      expect([seconds.kind, seconds.status, seconds.retryAfter]).to.deep.equal(['rate_limited', 429, 17_000]);
      expect(isRetryable(seconds)).to.equal(true);
      expect(seconds.message).to.contain('POST /v1/messages').and.contain('429').and.contain('rate_limited');
      const date = await sendError(limited(new Date(Date.now() + 60_000).toUTCString()));
      expect(date.retryAfter).to.be.within(58_000, 60_000);
      expect((await sendError(limited())).retryAfter, 'no header: the caller backs off as usual').to.equal(undefined);
      expect((await sendError(limited('soon'))).retryAfter).to.equal(undefined);
      const notLimited = await sendError(json({ error: { code: 'mattermost_unavailable', message: 'down' } }, 503));
      expect([notLimited.kind, notLimited.retryAfter]).to.deep.equal(['unavailable', undefined]);
    });

    it("gives each request its caller's signal; an abort rejects with an AbortError and discards a late answer", async () => {
      net.on(
        /per_page=/,
        ({ init }) => new Promise<Response>((_, reject) => init.signal!.addEventListener('abort', () => reject(init.signal!.reason))),
      );
      make();
      const run = new AbortController();
      const pending = t.latest(30, run.signal).catch((e) => e);
      await settle(1);
      expect(net.calls[0].init.signal).to.equal(run.signal);
      run.abort();
      expect((await pending).name).to.equal('AbortError');

      const before = new AbortController();
      before.abort();
      expect((await t.send({ clientId: 'c', text: 'x' }, before.signal).catch((e) => e)).name).to.equal('AbortError');
      expect(net.calls, 'an aborted signal makes no request').to.have.length(1);

      const late = new AbortController();
      net.on(/since=/, () => {
        late.abort(); // the caller moved on while the answer was on its way
        return json({ messages: [], hasMore: false });
      });
      expect((await t.since(1, late.signal).catch((e) => e)).name).to.equal('AbortError');
      const failed = new AbortController();
      net.on(/\/v1\/agents/, () => {
        failed.abort();
        return new TypeError('Failed to fetch');
      });
      expect((await t.names(['a'], failed.signal).catch((e) => e)).name, 'not a network error').to.equal('AbortError');
    });
  });
});
