import { expect } from '@open-wc/testing';
import { settle } from '../testing/fake-clock.js';
import { testSession } from '../testing/helpers.js';
import { MattermostTransport } from './mattermost-transport.js';
import type { TransportEvent } from './transport.js';

class FakeSocket {
  static last?: FakeSocket;
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  readyState = 0;
  sent: unknown[] = [];
  binaryType = 'blob';
  #listeners: Record<string, Array<(e: unknown) => void>> = {};
  constructor(readonly url: string) {
    FakeSocket.last = this;
    setTimeout(() => {
      this.readyState = 1;
      this.#fire('open', new Event('open'));
    });
  }
  addEventListener(type: string, listener: (e: unknown) => void) {
    (this.#listeners[type] ??= []).push(listener);
  }
  removeEventListener(type: string, listener: (e: unknown) => void) {
    this.#listeners[type] = (this.#listeners[type] ?? []).filter((l) => l !== listener);
  }
  send(d: string) {
    this.sent.push(JSON.parse(d));
  }
  close() {
    this.readyState = 3;
    this.#fire('close', { code: 1000, reason: '', wasClean: true });
  }
  receive(o: unknown) {
    this.#fire('message', { data: typeof o === 'string' ? o : JSON.stringify(o) });
  }
  #fire(type: string, e: unknown) {
    for (const listener of this.#listeners[type] ?? []) listener(e);
  }
}

const post = (over: Record<string, unknown> = {}) => ({
  id: 'p1',
  create_at: 10,
  update_at: 10,
  delete_at: 0,
  edit_at: 0,
  user_id: 'agent',
  channel_id: 'chan',
  message: 'hi',
  type: '',
  props: {},
  ...over,
});

describe('MattermostTransport', () => {
  let t: MattermostTransport;
  let restore = () => {};
  afterEach(() => {
    t?.disconnect();
    restore();
  });

  it('opens wss /api/v4/websocket without the token in the URL and authenticates by challenge', async () => {
    t = new MattermostTransport(testSession({ serverUrl: 'https://chat.example.com/' }), {
      WebSocket: FakeSocket as unknown as typeof WebSocket,
    });
    const events: TransportEvent[] = [];
    t.subscribe((e) => events.push(e));
    t.connect();
    await settle();
    const ws = FakeSocket.last!;
    expect(ws.url).to.equal('wss://chat.example.com/api/v4/websocket');
    expect(ws.url).to.not.contain('tok-1');
    expect(ws.sent[0]).to.deep.equal({ seq: 1, action: 'authentication_challenge', data: { token: 'tok-1' } });
    ws.receive({ status: 'OK', seq_reply: 1 });
    ws.receive({ event: 'hello', data: { server_version: '11' }, broadcast: { user_id: 'visitor' }, seq: 0 });
    expect(events.map((e) => e.type === 'status' && e.status)).to.deep.equal(['connecting', 'online']);

    t.typing();
    expect(ws.sent[1]).to.deep.equal({ seq: 2, action: 'user_typing', data: { channel_id: 'chan', parent_id: '' } });
  });

  it('reconnects at once when the network comes back instead of waiting out the backoff', async () => {
    t = new MattermostTransport(testSession(), { WebSocket: FakeSocket as unknown as typeof WebSocket });
    const events: TransportEvent[] = [];
    t.subscribe((e) => events.push(e));
    t.connect();
    await settle();
    const first = FakeSocket.last!;
    first.receive({ event: 'hello', data: {}, broadcast: {}, seq: 0 });
    first.close(); // the server went away; the next try is at least 500 ms off
    await settle();
    expect(FakeSocket.last).to.equal(first);
    dispatchEvent(new Event('online'));
    await settle();
    const second = FakeSocket.last!;
    expect(second).to.not.equal(first);
    expect(second.sent[0]).to.deep.include({ action: 'authentication_challenge' });
    second.receive({ event: 'hello', data: {}, broadcast: {}, seq: 0 });
    expect(events.filter((e) => e.type === 'status').map((e) => e.type === 'status' && e.status)).to.deep.equal([
      'connecting',
      'online',
      'reconnecting',
      'online',
    ]);
  });

  it('while the socket is down, probes /system/ping and reconnects as soon as the server answers', async () => {
    const pings: string[] = [];
    let up = false;
    const orig = window.fetch;
    restore = () => (window.fetch = orig);
    window.fetch = async (url: RequestInfo | URL, init?: RequestInit) => {
      pings.push(`${String(url)} ${init?.credentials}`);
      if (!up) throw new TypeError('Failed to fetch');
      return new Response('{"status":"OK"}', { status: 200 });
    };
    t = new MattermostTransport(testSession(), { WebSocket: FakeSocket as unknown as typeof WebSocket, probeInterval: 20 });
    t.connect();
    await settle();
    const first = FakeSocket.last!;
    first.receive({ event: 'hello', data: {}, broadcast: {}, seq: 0 });
    first.close(); // the server went away
    await new Promise((r) => setTimeout(r, 80));
    expect(pings.length, 'probing while down').to.be.greaterThan(0);
    expect(pings[0]).to.match(/\/api\/v4\/system\/ping omit$/);
    expect(FakeSocket.last, 'no restart while the server does not answer').to.equal(first);
    up = true;
    await new Promise((r) => setTimeout(r, 80));
    await settle();
    expect(FakeSocket.last).to.not.equal(first);
    FakeSocket.last!.receive({ event: 'hello', data: {}, broadcast: {}, seq: 0 });
    const count = pings.length;
    await new Promise((r) => setTimeout(r, 80));
    expect(pings.length, 'no probing once online').to.equal(count);
  });

  it('turns posted / edited / deleted / typing events of its channel into validated messages', async () => {
    t = new MattermostTransport(testSession(), { WebSocket: FakeSocket as unknown as typeof WebSocket });
    const events: TransportEvent[] = [];
    t.subscribe((e) => events.push(e));
    t.connect();
    await settle();
    const ws = FakeSocket.last!;
    ws.receive({ event: 'hello', data: {}, broadcast: {} });
    const b = { channel_id: 'chan' };
    ws.receive({ event: 'posted', data: { post: JSON.stringify(post({ props: { porthole_client_id: 'c1' } })) }, broadcast: b });
    ws.receive({ event: 'posted', data: { post: JSON.stringify(post({ channel_id: 'other' })) }, broadcast: { channel_id: 'other' } });
    ws.receive({ event: 'posted', data: { post: '{not json' }, broadcast: b });
    ws.receive({ event: 'posted', data: { post: JSON.stringify({ id: 1 }) }, broadcast: b });
    ws.receive({ event: 'posted', data: { post: JSON.stringify(post({ type: 'system_join_channel' })) }, broadcast: b });
    ws.receive({
      event: 'post_edited',
      data: { post: JSON.stringify(post({ message: 'hi!', edit_at: 20, update_at: 20 })) },
      broadcast: b,
    });
    ws.receive({ event: 'post_deleted', data: { post: JSON.stringify(post({ delete_at: 30 })) }, broadcast: b });
    ws.receive({ event: 'typing', data: { user_id: 'agent', parent_id: '' }, broadcast: b });
    ws.receive('garbage');
    const live = events.filter((e) => e.type !== 'status');
    expect(live.map((e) => e.type)).to.deep.equal(['posted', 'edited', 'deleted', 'typing']);
    const [p, ed, del] = live as Array<Extract<TransportEvent, { message: unknown }>>;
    expect(p.message).to.deep.include({ id: 'p1', clientId: 'c1', text: 'hi', userId: 'agent' });
    expect(ed.message).to.deep.include({ text: 'hi!', edited: true });
    expect(del.message.deleted).to.equal(true);
  });

  it('creates posts with pending_post_id and props.porthole_client_id, with the token as bearer', async () => {
    const calls: Array<{ url: string; init: RequestInit }> = [];
    const orig = window.fetch;
    restore = () => (window.fetch = orig);
    window.fetch = async (url: RequestInfo | URL, init?: RequestInit) => {
      calls.push({ url: String(url), init: init! });
      const body = JSON.parse(String(init!.body));
      return new Response(JSON.stringify(post({ id: 'new', user_id: 'visitor', message: body.message, props: body.props })), {
        status: 201,
        headers: { 'Content-Type': 'application/json' },
      });
    };
    t = new MattermostTransport(testSession());
    const m = await t.send({ clientId: 'c-42', text: 'hello' });
    expect(calls[0].url).to.equal('https://chat.example.com/api/v4/posts');
    const body = JSON.parse(String(calls[0].init.body));
    expect(body).to.deep.include({ channel_id: 'chan', message: 'hello', pending_post_id: 'c-42' });
    expect(body.props).to.deep.equal({ porthole_client_id: 'c-42' });
    expect((calls[0].init.headers as Record<string, string>).Authorization).to.match(/^bearer tok-1$/i); // Client4 sends "BEARER"
    expect(calls[0].init.credentials).to.equal(undefined);
    expect(m).to.deep.include({ id: 'new', clientId: 'c-42' });
  });

  it('pages older messages without losing those created in the same millisecond as the cursor', async () => {
    // A server that pages like Mattermost: `before` is `CreateAt <` the cursor's, `after` is `>`.
    const at = (id: string, ms: number) => post({ id, create_at: ms, update_at: ms });
    const all = [at('a', 10), at('a2', 10), at('b', 20), at('c', 20), at('d', 30)];
    const list = (ps: ReturnType<typeof post>[]) => ({
      order: ps.map((p) => p.id).reverse(),
      posts: Object.fromEntries(ps.map((p) => [p.id, p])),
    });
    const orig = window.fetch;
    restore = () => (window.fetch = orig);
    window.fetch = async (input: RequestInfo | URL) => {
      const q = new URL(String(input)).searchParams;
      const ms = (id: string | null) => all.find((p) => p.id === id)!.create_at;
      const per = Number(q.get('per_page'));
      let ps = all;
      if (q.get('before')) ps = all.filter((p) => p.create_at < ms(q.get('before'))).slice(-per);
      else if (q.get('after')) ps = all.filter((p) => p.create_at > ms(q.get('after'))).slice(0, per);
      else if (q.get('since')) ps = all.filter((p) => p.update_at > Number(q.get('since')));
      return new Response(JSON.stringify(list(ps)), { status: 200, headers: { 'Content-Type': 'application/json' } });
    };
    t = new MattermostTransport(testSession());
    // The first page held d and c; b shares c's millisecond and Mattermost's `before=c` skips it.
    const page = await t.before({ id: 'c', createAt: 20 }, 1);
    expect(page.messages.map((m) => m.id)).to.deep.equal(['a2', 'b']);
    // At the start of the history (no older page), a sibling is found from just before the cursor.
    const first = await t.before({ id: 'a2', createAt: 10 }, 5);
    expect(first.messages.map((m) => m.id)).to.deep.equal(['a']);
  });

  it('walks past a full page of system posts instead of asking for the same page for ever', async () => {
    // 3 old messages, then 4 header changes (system posts), then the cursor: Mattermost-like paging.
    const at = (id: string, ms: number, type?: string) => post({ id, create_at: ms, update_at: ms, ...(type ? { type } : {}) });
    const all = [
      at('m1', 1),
      at('m2', 2),
      at('m3', 3),
      ...[4, 5, 6, 7].map((ms) => at(`s${ms}`, ms, 'system_header_change')),
      at('cur', 8),
    ];
    const list = (ps: ReturnType<typeof post>[]) => ({
      order: ps.map((p) => p.id).reverse(),
      posts: Object.fromEntries(ps.map((p) => [p.id, p])),
    });
    const befores: string[] = [];
    const orig = window.fetch;
    restore = () => (window.fetch = orig);
    window.fetch = async (input: RequestInfo | URL) => {
      const q = new URL(String(input)).searchParams;
      const ms = (id: string | null) => all.find((p) => p.id === id)!.create_at;
      const per = Number(q.get('per_page'));
      let ps = all;
      if (q.get('before')) {
        befores.push(q.get('before')!);
        ps = all.filter((p) => p.create_at < ms(q.get('before'))).slice(-per);
      } else if (q.get('after')) ps = all.filter((p) => p.create_at > ms(q.get('after'))).slice(0, per);
      else if (q.get('since')) ps = all.filter((p) => p.update_at > Number(q.get('since')));
      return new Response(JSON.stringify(list(ps)), { status: 200, headers: { 'Content-Type': 'application/json' } });
    };
    t = new MattermostTransport(testSession());
    const page = await t.before({ id: 'cur', createAt: 8 }, 2);
    expect(page.messages.map((m) => m.id)).to.deep.equal(['m2', 'm3']);
    expect(page.hasMore).to.equal(true);
    expect(new Set(befores).size).to.equal(befores.length, 'never the same page twice');
  });

  it("gives each request its caller's signal, and an abort rejects with an AbortError", async () => {
    const requests: Array<{ url: string; signal?: AbortSignal | null }> = [];
    const orig = window.fetch;
    restore = () => (window.fetch = orig);
    window.fetch = (url: RequestInfo | URL, init?: RequestInit) => {
      requests.push({ url: String(url), signal: init?.signal });
      const signal = init?.signal;
      if (!signal)
        return Promise.resolve(
          new Response(JSON.stringify({ order: [], posts: {} }), { status: 200, headers: { 'Content-Type': 'application/json' } }),
        );
      // Answers only when aborted, as fetch does.
      return new Promise<Response>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    };
    t = new MattermostTransport(testSession());
    const run = new AbortController();
    const latest = t.latest(30, run.signal).catch((e) => e);
    const since = t.since(5);
    expect(requests.map((r) => r.signal)).to.deep.equal([run.signal, undefined]);
    run.abort();
    const err = await latest;
    expect(err.name).to.equal('AbortError');
    const before = new AbortController();
    before.abort();
    expect((await t.send({ clientId: 'c', text: 'x' }, before.signal).catch((e) => e)).name).to.equal('AbortError');
    expect(requests, 'an aborted signal makes no request').to.have.length(2);
    expect(await since, 'a call without a signal is not affected').to.deep.equal([]);
  });

  it('discards an answer that arrives after the abort', async () => {
    const orig = window.fetch;
    restore = () => (window.fetch = orig);
    const run = new AbortController();
    window.fetch = async () => {
      run.abort(); // the caller moved on while the answer was on its way
      return new Response(JSON.stringify({ order: [], posts: {} }), { status: 200, headers: { 'Content-Type': 'application/json' } });
    };
    t = new MattermostTransport(testSession());
    expect((await t.latest(30, run.signal).catch((e) => e)).name).to.equal('AbortError');
  });

  it('pages with before/per_page, resyncs with since, and classifies failures', async () => {
    const urls: string[] = [];
    let status = 200;
    const orig = window.fetch;
    restore = () => (window.fetch = orig);
    window.fetch = async (url: RequestInfo | URL) => {
      urls.push(String(url));
      if (status === 0) throw new TypeError('Failed to fetch');
      const body =
        status === 200
          ? { order: ['p2', 'p1'], posts: { p1: post(), p2: post({ id: 'p2', create_at: 11 }) } }
          : { message: 'nope', status_code: status };
      return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
    };
    t = new MattermostTransport(testSession());
    const page = await t.before({ id: 'p9', createAt: 99 }, 2);
    expect(urls[0]).to.contain('/api/v4/channels/chan/posts?').and.contain('before=p9').and.contain('per_page=2');
    expect(urls[1], 'the same-millisecond check').to.contain('after=p2');
    expect(page.messages.map((m) => m.id)).to.deep.equal(['p1', 'p2']);
    expect(page.hasMore).to.equal(true);
    await t.since(1234);
    expect(urls[2]).to.contain('since=1234');
    status = 0;
    expect((await t.latest(30).catch((e) => e)).kind).to.equal('network');
    status = 503;
    expect((await t.latest(30).catch((e) => e)).kind).to.equal('unavailable');
    status = 403;
    expect((await t.latest(30).catch((e) => e)).kind).to.equal('rejected');
  });
});
