import { expect } from '@open-wc/testing';
import { FakeClock, settle } from '../testing/fake-clock.js';
import { TestHost, testSession } from '../testing/helpers.js';
import { MemoryTransport } from '../transport/memory-transport.js';
import { transportByMode } from '../transport/registry.js';
import type { Session, Transport } from '../transport/transport.js';
import { GRACE_MS, RENEWAL_WINDOW_MS, SessionController, type SessionOptions } from './session-controller.js';

function setup(options: Partial<SessionOptions> = {}, server = new MemoryTransport()) {
  const host = new TestHost();
  const clock = new FakeClock();
  const builds: Session[] = [];
  const errors: Array<{ code: string; message: string }> = [];
  const states: string[] = [];
  const session = new SessionController(host, {
    clock,
    storage: null,
    tokenUrl: () => undefined,
    getToken: () => () => testSession(),
    transportFactory: () => (s) => (builds.push(s), server),
    onError: (code, message) => errors.push({ code, message }),
    onStateChange: (state) => states.push(state),
    ...options,
  });
  host.connect();
  return { host, clock, session, server, builds, errors, states, codes: () => errors.map((e) => e.code) };
}

/** A setup whose host hands out a new token each time (tok-1, tok-2, …); `sessions()` counts them. */
function renewing(server = new MemoryTransport()) {
  let count = 0;
  const ctx = setup({ getToken: () => () => (count++, testSession({ token: `tok-${count}` })) }, server);
  return { ...ctx, sessions: () => count };
}

/** A host getToken() whose answers the test gives, one pending promise per call. */
function pendingToken() {
  const answers: Array<(s: Session) => void> = [];
  return { getToken: () => () => new Promise<Session>((r) => answers.push(r)), answers };
}

describe('SessionController', () => {
  it('start() gets a session, builds its transport and loads the conversation, once until logout', async () => {
    const server = new MemoryTransport({ history: [{ text: 'hello' }] });
    const { session, builds, states, errors } = setup({}, server);
    session.start();
    session.start();
    await settle();
    expect(builds.map((s) => s.mode)).to.deep.equal(['direct']);
    expect(session.transport).to.equal(server);
    expect(session.current?.userId).to.equal('visitor');
    expect(session.conversation.messages.map((m) => m.text)).to.deep.equal(['hello']);
    expect(server.calls.filter((c) => c === 'latest')).to.have.length(1);
    expect(states).to.deep.equal(['connecting', 'online']);
    expect(errors).to.deep.equal([]);
    expect(session.health.open).to.equal(false);
  });

  it('waits for a transport whose code loads on demand (an async factory)', async () => {
    const server = new MemoryTransport({ history: [{ text: 'hello' }] });
    let load!: (t: Transport) => void;
    const { session } = setup({ transportFactory: () => () => new Promise<Transport>((r) => (load = r)) });
    session.start();
    await settle();
    expect(session.transport).to.equal(undefined);
    load(server);
    await settle();
    expect(session.transport).to.equal(server);
    expect(session.conversation.messages.map((m) => m.text)).to.deep.equal(['hello']);
  });

  it('chooses the transport by the session mode, and says so when a mode has none', async () => {
    const direct = new MemoryTransport();
    const factory = transportByMode({ direct: () => direct });
    const a = setup({ transportFactory: () => factory });
    a.session.start();
    await settle();
    expect(a.session.transport).to.equal(direct);

    const b = setup({ transportFactory: () => factory, getToken: () => () => testSession({ mode: 'gateway' }) });
    b.session.start();
    await settle();
    expect(b.session.transport).to.equal(undefined);
    expect(b.codes()).to.deep.equal(['request_rejected']);
    expect(b.errors[0].message).to.contain('"gateway"').and.contain('direct');
    expect(b.session.health.open).to.equal(true);
  });

  it('logout while the session is being acquired: the late answer signs nobody back in', async () => {
    const token = pendingToken();
    const { session, clock, builds, errors } = setup({ getToken: token.getToken });
    session.start();
    await settle();
    await session.logout();
    token.answers[0](testSession());
    await settle();
    await clock.tick(120_000);
    expect(token.answers).to.have.length(1);
    expect(builds).to.deep.equal([]);
    expect(session.auth.session).to.equal(undefined);
    expect(session.current).to.equal(undefined);
    expect(errors).to.deep.equal([]);
    expect(session.health.open).to.equal(false);
  });

  it('logout while the transport is being built: the late transport is never used', async () => {
    const server = new MemoryTransport();
    let load!: (t: Transport) => void;
    const { session, errors } = setup({ transportFactory: () => () => new Promise<Transport>((r) => (load = r)) });
    session.start();
    await settle();
    await session.logout();
    load(server);
    await settle();
    expect(session.transport).to.equal(undefined);
    expect(server.state).to.equal('closed');
    expect(server.calls).to.deep.equal([]);
    expect(errors).to.deep.equal([]);
  });

  it('logout while the first page is loading: the request is aborted and the page never shown', async () => {
    const server = new MemoryTransport({ history: [{ text: 'before logout' }] });
    let signal: AbortSignal | undefined;
    const latest = server.latest.bind(server);
    server.latest = (perPage, s) => ((signal = s), latest(perPage, s));
    const release = server.hold();
    const { session, errors } = setup({}, server);
    session.start();
    await settle();
    expect(signal?.aborted).to.equal(false);
    await session.logout();
    expect(signal?.aborted).to.equal(true);
    release();
    await settle();
    expect(session.conversation.loaded).to.equal(false);
    expect(session.conversation.messages).to.deep.equal([]);
    expect(errors).to.deep.equal([]);
  });

  it(`renews the session when Mattermost refuses the token, but not twice within ${RENEWAL_WINDOW_MS} ms`, async () => {
    const { session, server, clock, codes, sessions } = renewing();
    session.start();
    await settle();
    server.failNext('send', 'auth');
    session.outbox.enqueue('after a new token');
    await clock.tick(5000);
    expect(sessions()).to.equal(2);
    expect(server.calls.filter((c) => c === 'setToken')).to.have.length(1);
    expect(server.visitorPosts.map((p) => p.text)).to.deep.equal(['after a new token']);
    expect(codes()).to.deep.equal(['auth_failed']);
    expect(session.health.open).to.equal(false);

    // Refused again a few seconds later: fresh tokens are refused too, so show the fallback.
    server.failNext('send', 'auth');
    session.outbox.enqueue('refused again');
    await settle();
    expect(sessions()).to.equal(2);
    expect(codes()).to.deep.equal(['auth_failed', 'auth_failed']);
    expect(session.health.open).to.equal(true);

    // Past the window a refusal gets a new session again.
    await clock.tick(RENEWAL_WINDOW_MS);
    expect(session.health.open, 'a probe closed the breaker').to.equal(false);
    server.failNext('send', 'auth');
    session.outbox.enqueue('much later');
    await settle();
    expect(sessions()).to.equal(3);
  });

  it('renews at once when the live connection refuses the token, in the same window as a refused call', async () => {
    const { session, server, clock, codes, errors, states, sessions } = renewing();
    session.start();
    await settle();
    server.refuse('token_revoked'); // the visitor is only reading
    await settle();
    expect(sessions(), 'a new session without waiting for the visitor to act').to.equal(2);
    expect(server.calls.filter((c) => c === 'setToken')).to.have.length(1);
    expect(codes()).to.deep.equal(['auth_failed']);
    expect(errors[0].message).to.contain('token_revoked');
    expect(states).to.deep.equal(['connecting', 'online', 'reconnecting', 'online']);
    expect(
      server.calls.filter((c) => c.startsWith('since:')),
      'what the socket missed is fetched',
    ).to.have.length(1);
    server.agentPost('still there?');
    expect(session.conversation.messages.map((m) => m.text)).to.deep.equal(['still there?']);
    expect(session.health.open).to.equal(false);

    // A refused call a few seconds later is the second refusal within the window.
    await clock.tick(5000);
    server.failNext('send', 'auth');
    session.outbox.enqueue('refused again');
    await settle();
    expect(sessions()).to.equal(2);
    expect(codes()).to.deep.equal(['auth_failed', 'auth_failed']);
    expect(session.health.open).to.equal(true);
  });

  it('past the window a live refusal renews again; a second one within it opens the breaker', async () => {
    const { session, server, clock, sessions } = renewing();
    session.start();
    await settle();
    server.refuse();
    await settle();
    await clock.tick(RENEWAL_WINDOW_MS);
    server.refuse();
    await settle();
    expect(sessions()).to.equal(3);
    expect(session.health.open).to.equal(false);
    await clock.tick(1000);
    server.refuse();
    await settle();
    expect(sessions()).to.equal(3);
    expect(session.health.open).to.equal(true);
  });

  it('a rate-limited send is reported as rate_limited and is no health failure: no fallback, no resync loop', async () => {
    const server = new MemoryTransport();
    const { session, clock, codes, errors, states } = setup({}, server);
    session.start();
    await settle();
    for (let i = 0; i < 5; i++) server.failNext('send', 'rate_limited', false, 30_000);
    session.outbox.enqueue('the 21st this minute');
    await settle();
    await clock.tick(4 * 30_000 + 1000);
    expect(codes()).to.deep.equal(['rate_limited', 'rate_limited', 'rate_limited', 'rate_limited', 'rate_limited']);
    expect(errors[0].message).to.contain('rate_limited');
    expect(session.health.open, 'the breaker stays closed').to.equal(false);
    expect(states).to.deep.equal(['connecting', 'online']);
    expect(
      server.calls.filter((c) => c.startsWith('send:')),
      'one try per Retry-After',
    ).to.have.length(5);
    // (Each resend, past the 25 s de-duplication window, first looks for the message with `latest`.)
    expect(
      server.calls.filter((c) => c.startsWith('since:')),
      'no probe resyncs',
    ).to.deep.equal([]);
    expect(session.outbox.items.map((i) => i.state)).to.deep.equal(['sending']);
    await clock.tick(30_000);
    expect(server.visitorPosts.map((p) => p.text)).to.deep.equal(['the 21st this minute']);
    expect(session.outbox.items).to.have.length(0);
  });

  it('a post made between the first history read and the socket going online is fetched at once', async () => {
    const server = new MemoryTransport({ autoOnline: false, history: [{ text: 'hello' }] });
    const { session, codes } = setup({}, server);
    session.start();
    await settle();
    expect(session.conversation.loaded).to.equal(true);
    server.agentPost('posted before the socket registered'); // not delivered: the socket is not online yet
    expect(session.conversation.messages.map((m) => m.text)).to.deep.equal(['hello']);
    server.restore(); // the first `online` of this transport
    await settle();
    expect(session.conversation.messages.map((m) => m.text)).to.deep.equal(['hello', 'posted before the socket registered']);
    expect(server.calls.filter((c) => c.startsWith('since:'))).to.have.length(1);
    expect(codes()).to.deep.equal([]);
  });

  it('the first online shares a resync already in flight rather than starting a second', async () => {
    const server = new MemoryTransport({ autoOnline: false, history: [{ text: 'hello' }] });
    const { session } = setup({}, server);
    session.start();
    await settle();
    const release = server.hold();
    const running = session.conversation.resync(); // a tab return, say
    server.agentPost('in between');
    server.restore();
    release();
    await running;
    await settle();
    expect(server.calls.filter((c) => c.startsWith('since:'))).to.have.length(1);
    expect(session.conversation.messages.map((m) => m.text)).to.deep.equal(['hello', 'in between']);
  });

  it('a socket-only drop while REST works is reconnecting, never the fallback; polls fetch what is posted', async () => {
    const { session, server, clock, states, codes } = setup({}, new MemoryTransport({ history: [{ text: 'hello' }] }));
    session.start();
    await settle();
    server.drop(true); // the socket gives up: offline
    server.agentPost('over REST');
    await clock.tick(60_000);
    expect(session.health.open).to.equal(false);
    expect(session.connection.reported).to.equal('reconnecting');
    expect(session.conversation.messages.map((m) => m.text)).to.deep.equal(['hello', 'over REST']);
    server.restore();
    await settle();
    expect(states).to.deep.equal(['connecting', 'online', 'reconnecting', 'online']);
    expect(codes()).to.deep.equal([]);
  });

  it(`everything down: reconnecting for the ${GRACE_MS} ms grace period, then offline; back: online`, async () => {
    const { session, server, clock, states } = setup();
    session.start();
    await settle();
    server.down = true;
    server.drop(true);
    // The first poll (10 s) fails, the breaker's probes fail at 10.75, 12.25, 15.25 and 21.25 s.
    await clock.tick(20_000);
    expect(session.health.open, 'still within the grace period').to.equal(false);
    expect(states.at(-1)).to.equal('reconnecting');
    await clock.tick(2_000);
    expect(session.health.open).to.equal(true);
    expect(states.at(-1)).to.equal('offline');
    server.down = false;
    await clock.tick(22_500); // the next probe (backoff 22.5 s) answers; the socket is still down
    expect(session.health.open).to.equal(false);
    expect(states.at(-1)).to.equal('reconnecting');
    server.restore();
    await settle();
    expect(states).to.deep.equal(['connecting', 'online', 'reconnecting', 'offline', 'reconnecting', 'online']);
  });

  it('the breaker closing while the socket stayed online reports online again', async () => {
    const { session, server, clock, states } = setup();
    session.start();
    await settle();
    server.down = true; // REST fails, the socket looks fine
    session.outbox.enqueue('while REST is down');
    await clock.tick(GRACE_MS + 15_000);
    expect(session.health.open).to.equal(true);
    expect(session.connection.state).to.equal('online');
    server.down = false;
    await clock.tick(30_000);
    expect(session.health.open).to.equal(false);
    expect(states).to.deep.equal(['connecting', 'online', 'reconnecting', 'offline', 'online']);
    expect(server.visitorPosts.map((p) => p.text)).to.deep.equal(['while REST is down']);
  });

  it('stops listening for refusals once the transport is let go', async () => {
    const server = new MemoryTransport();
    const { session, codes } = setup({}, server);
    session.start();
    await settle();
    await session.logout();
    server.refuse();
    await settle();
    expect(codes()).to.deep.equal([]);
  });

  it('a refreshed session for another visitor gets a transport of its own', async () => {
    const first = new MemoryTransport({ history: [{ text: 'for A' }] });
    const second = new MemoryTransport({ userId: 'visitor-b', history: [{ text: 'for B' }] });
    let who = 'visitor';
    const clock = new FakeClock();
    const { session } = setup({
      clock,
      getToken: () => () => testSession({ userId: who, channelId: `chan-${who}`, expiresAt: clock.now() + 600_000 }),
      transportFactory: () => (s) => (s.userId === 'visitor' ? first : second),
    });
    session.start();
    await settle();
    expect(session.conversation.messages.map((m) => m.text)).to.deep.equal(['for A']);
    who = 'visitor-b';
    await clock.tick(540_000); // the auth controller refreshes a minute before expiry
    await settle();
    expect(session.transport).to.equal(second);
    expect(session.current?.userId).to.equal('visitor-b');
    expect(first.state).to.equal('closed');
    expect(session.conversation.messages.map((m) => m.text)).to.deep.equal(['for B']);
    expect(first.calls).to.not.include('setToken');
  });

  it('the host going away aborts the run; coming back starts it again', async () => {
    const token = pendingToken();
    const { session, host, builds, errors } = setup({ getToken: token.getToken });
    session.start();
    await settle();
    host.disconnect();
    host.connect();
    await settle();
    expect(token.answers, 'a fresh acquisition, not the aborted one').to.have.length(2);
    token.answers[0](testSession({ token: 'late' }));
    token.answers[1](testSession({ token: 'current' }));
    await settle();
    expect(builds.map((s) => s.token)).to.deep.equal(['current']);
    expect(session.conversation.loaded).to.equal(true);
    expect(errors).to.deep.equal([]);
  });
});
