import { expect } from '@open-wc/testing';
import { FakeClock, settle } from '../testing/fake-clock.js';
import { fakePageTimers } from '../testing/fake-page-timers.js';
import { LiveSocket, type LiveSocketOptions, type LiveSocketRetry } from './live-socket.js';
import type { ConnectionState } from './transport.js';

// The transports' tests (gateway-transport.test.ts, mattermost-transport.test.ts) drive the
// socket through their protocols; these cover what they do not reach. The fake clock runs the
// live socket's timers and, through fakePageTimers, reconnecting-websocket's own.

class FakeSocket {
  static all: FakeSocket[] = [];
  static readonly CLOSING = 2; // what reconnecting-websocket checks a WebSocket class by
  static autoOpen = true;
  readyState = 0;
  sent: string[] = [];
  #listeners: Record<string, Array<(e: unknown) => void>> = {};
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
    if (!FakeSocket.autoOpen) return;
    setTimeout(() => {
      this.readyState = 1;
      this.#fire('open', {});
    });
  }
  addEventListener(type: string, listener: (e: unknown) => void) {
    (this.#listeners[type] ??= []).push(listener);
  }
  removeEventListener(type: string, listener: (e: unknown) => void) {
    this.#listeners[type] = (this.#listeners[type] ?? []).filter((l) => l !== listener);
  }
  send(d: string) {
    this.sent.push(d);
  }
  close() {
    this.drop(1005);
  }
  /** The server closes (or the connection is lost: 1006). */
  drop(code = 1006, reason = '') {
    this.readyState = 3;
    this.#fire('close', { code, reason });
  }
  /** The connection fails, as a browser reports it: `error`, then `close` 1006. */
  fail() {
    this.#fire('error', {});
    this.drop();
  }
  receive(data: string) {
    this.#fire('message', { data });
  }
  #fire(type: string, e: unknown) {
    for (const listener of this.#listeners[type] ?? []) listener(e);
  }
}

describe('LiveSocket', () => {
  let live: LiveSocket;
  let clock: FakeClock;
  let states: ConnectionState[];
  let closes: Array<[number, string]>;
  let retry: LiveSocketRetry;
  let frames: unknown[];
  let restoreTimers: () => void;
  const fetches: string[] = [];

  function make(options: Partial<LiveSocketOptions> = {}) {
    live = new LiveSocket({
      url: 'wss://x.example/live',
      probeUrl: 'https://x.example/up',
      WebSocket: FakeSocket as unknown as typeof WebSocket,
      fetch: (async (url: string) => {
        fetches.push(url);
        throw new TypeError('Failed to fetch');
      }) as unknown as typeof fetch,
      timers: clock,
      pingInterval: 1000,
      onOpen: () => live.send('hello'),
      onFrame: (data) => frames.push(data),
      onStatus: (s) => states.push(s),
      onClose: (code, reason) => {
        closes.push([code, reason]);
        return retry;
      },
      ping: () => live.send('ping'),
      ...options,
    });
    live.open();
    return live;
  }

  beforeEach(() => {
    FakeSocket.all = [];
    FakeSocket.autoOpen = true;
    fetches.length = 0;
    clock = new FakeClock();
    restoreTimers = fakePageTimers(clock);
    states = [];
    closes = [];
    frames = [];
    retry = 'backoff';
  });
  afterEach(() => {
    live?.close();
    restoreTimers();
  });

  it('sends only while a socket is open, and reports its state', async () => {
    make();
    expect(live.state).to.equal('connecting');
    expect(live.send('early'), 'not open yet').to.equal(false);
    await settle();
    expect(FakeSocket.all[0].sent).to.deep.equal(['hello']);
    live.ready();
    expect(live.state).to.equal('online');
    FakeSocket.all[0].drop();
    expect(live.send('late')).to.equal(false);
    live.close();
    expect(live.state).to.equal(undefined);
  });

  it("hands the close code and reason to onClose; 'hold' waits for resume() without probing", async () => {
    make();
    await settle();
    live.ready();
    retry = 'hold';
    FakeSocket.all[0].drop(4401, 'token_expired');
    expect(closes).to.deep.equal([[4401, 'token_expired']]);
    expect(states).to.deep.equal(['connecting', 'online', 'reconnecting']);
    dispatchEvent(new Event('online')); // no wake while held
    await clock.tick(30000); // reconnecting-websocket's own retry included
    expect(FakeSocket.all).to.have.length(1);
    expect(fetches).to.deep.equal([]);
    live.resume();
    await settle();
    expect(FakeSocket.all).to.have.length(2);
    expect(FakeSocket.all[1].sent).to.deep.equal(['hello']);
    live.resume(); // not held any more: nothing
    await settle();
    expect(FakeSocket.all).to.have.length(2);
  });

  it('a lost socket is reported to onClose as 1006 with why it was given up on, once', async () => {
    make();
    await settle();
    live.ready();
    await clock.tick(2000); // one ping, never answered
    expect(closes).to.deep.equal([[1006, 'no pong']]);
    await settle();
    expect(FakeSocket.all, 'replaced at once').to.have.length(2);
    FakeSocket.all[1].fail();
    expect(closes, 'error and close: one close').to.deep.equal([
      [1006, 'no pong'],
      [1006, ''],
    ]);
    FakeSocket.autoOpen = false;
    await clock.tick(1000); // reconnecting-websocket's first step
    expect(FakeSocket.all).to.have.length(3);
    await clock.tick(8000); // and that socket never opens
    expect(closes.at(-1)).to.deep.equal([1006, 'timeout']);
    expect(states).to.deep.equal(['connecting', 'online', 'reconnecting', 'offline']);
  });

  it("the browser's offline event replaces an open socket at once; online brings a fresh one", async () => {
    make();
    await settle();
    live.ready();
    FakeSocket.autoOpen = false; // no network: sockets do not open
    dispatchEvent(new Event('offline'));
    expect(closes).to.deep.equal([[1006, 'offline']]);
    expect(states).to.deep.equal(['connecting', 'online', 'reconnecting']);
    await settle();
    const waiting = FakeSocket.all.length;
    expect(waiting, 'reconnecting-websocket tries again at once').to.equal(2);
    FakeSocket.all[1].fail();
    FakeSocket.autoOpen = true;
    dispatchEvent(new Event('online'));
    await settle();
    expect(FakeSocket.all, 'a fresh socket without waiting for the backoff').to.have.length(3);
    live.ready();
    expect(states.at(-1)).to.equal('online');
  });

  it('an offline event with no open socket changes nothing, and none once closed', async () => {
    FakeSocket.autoOpen = false;
    make();
    dispatchEvent(new Event('offline'));
    expect(closes).to.deep.equal([]);
    FakeSocket.autoOpen = true;
    live.close();
    const before = FakeSocket.all.length;
    live.open();
    await settle();
    live.ready();
    live.close();
    dispatchEvent(new Event('offline'));
    expect(closes, 'closed on purpose: no close reported').to.deep.equal([]);
    expect(FakeSocket.all).to.have.length(before + 1);
  });

  it('ignores a socket it replaced or closed: its frames, its close, its own retry', async () => {
    make();
    await settle();
    live.ready();
    const first = FakeSocket.all[0];
    first.drop();
    dispatchEvent(new Event('online')); // the network is back: a fresh socket now
    await settle();
    expect(FakeSocket.all).to.have.length(2);
    first.receive('stale');
    first.drop();
    await clock.tick(30000);
    expect(FakeSocket.all, 'the first socket never came back').to.have.length(2);
    expect(frames).to.deep.equal([]);
    expect(closes).to.have.length(1);
    FakeSocket.all[1].receive('fresh');
    expect(frames).to.deep.equal(['fresh']);
  });

  it('slows its probe down after each reconnect that did not get ready', async () => {
    const up = async (url: string) => {
      fetches.push(url);
      return new Response('ok');
    };
    make({ fetch: up as unknown as typeof fetch, probeInterval: 100 });
    await settle();
    FakeSocket.all[0].drop();
    await clock.tick(100); // probe answers: reconnect
    expect(FakeSocket.all).to.have.length(2);
    FakeSocket.all[1].drop(); // no ready on that one
    await clock.tick(100);
    expect(FakeSocket.all, 'the next probe waits twice as long').to.have.length(2);
    await clock.tick(100);
    expect(FakeSocket.all).to.have.length(3);
  });

  it('close() releases the socket, every timer and the listeners', async () => {
    make();
    await settle();
    FakeSocket.all[0].drop();
    live.close();
    dispatchEvent(new Event('online'));
    // reconnecting-websocket leaves its backoff wait to run out (it then does nothing).
    await clock.tick(60000);
    expect(clock.pending, 'no ping, probe or retry left').to.equal(0);
    expect(FakeSocket.all).to.have.length(1);
    expect(states).to.deep.equal(['connecting', 'reconnecting']);
    live.open(); // usable again, from the start
    expect(states.at(-1)).to.equal('connecting');
    await settle();
    expect(FakeSocket.all).to.have.length(2);
  });
});
