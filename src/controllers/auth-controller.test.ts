import { expect } from '@open-wc/testing';
import { FakeClock, settle } from '../testing/fake-clock.js';
import { TestHost, testSession } from '../testing/helpers.js';
import { AuthController, AuthError, parseRetryAfter } from './auth-controller.js';

type Call = { url: string; init: RequestInit };

function stubFetch(responses: Array<() => Response | Promise<Response>>): { calls: Call[]; restore: () => void } {
  const calls: Call[] = [];
  const orig = window.fetch;
  window.fetch = async (url: RequestInfo | URL, init?: RequestInit) => {
    calls.push({ url: String(url), init: init ?? {} });
    const next = responses.shift();
    if (!next) throw new TypeError('no more responses');
    return next();
  };
  return { calls, restore: () => (window.fetch = orig) };
}

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });

describe('AuthController', () => {
  let restore = () => {};
  afterEach(() => restore());

  function setup(over: Partial<ConstructorParameters<typeof AuthController>[1]> = {}) {
    const host = new TestHost();
    const clock = new FakeClock();
    const auth = new AuthController(host, { clock, tokenUrl: () => 'https://site.example/session', getToken: () => undefined, ...over });
    host.connect();
    return { host, clock, auth };
  }

  it('POSTs token-url with credentials and a JSON body, and validates the answer', async () => {
    const s = stubFetch([() => json(testSession())]);
    restore = s.restore;
    const { auth } = setup();
    const session = await auth.acquire();
    expect(session.token).to.equal('tok-1');
    expect(s.calls[0].init.method).to.equal('POST');
    expect(s.calls[0].init.credentials).to.equal('include');
    expect(new Headers(s.calls[0].init.headers).get('content-type')).to.equal('application/json');
    // The page without its query or fragment (they may hold the host's secrets).
    expect(JSON.parse(String(s.calls[0].init.body))).to.deep.equal({ page: location.origin + location.pathname });
  });

  it('retries with backoff, honouring Retry-After, and gives up after 3 tries', async () => {
    const s = stubFetch([() => json({}, 503, { 'Retry-After': '7' }), () => json({}, 503), () => json({}, 503), () => json(testSession())]);
    restore = s.restore;
    const { auth, clock } = setup();
    let err: unknown;
    const p = auth.acquire().catch((e) => (err = e));
    await settle();
    expect(s.calls.length).to.equal(1);
    await clock.tick(6999);
    expect(s.calls.length, 'waits the 7 s the server asked for').to.equal(1);
    await clock.tick(1);
    expect(s.calls.length).to.equal(2);
    // Second wait: backoff(1) = min(cap, 500·2) · (0.5 + 0.5/2) = 750 ms with random() = 0.5.
    await clock.tick(749);
    expect(s.calls.length).to.equal(2);
    await clock.tick(1);
    expect(s.calls.length).to.equal(3);
    await p;
    expect(err).to.be.instanceOf(AuthError);
    expect((err as AuthError).code).to.equal('auth_failed');
    expect(s.calls.length, 'three tries, not four').to.equal(3);
  });

  it('does not retry a refusal (403)', async () => {
    const s = stubFetch([() => json({}, 403)]);
    restore = s.restore;
    const { auth } = setup();
    const err = await auth.acquire().catch((e) => e);
    expect(err.code).to.equal('auth_rejected');
    expect(s.calls.length).to.equal(1);
  });

  it('rejects a malformed answer saying what was expected', async () => {
    const s = stubFetch([() => json({ token: 'x' })]);
    restore = s.restore;
    const { auth } = setup();
    const err = await auth.acquire().catch((e) => e);
    expect(err.code).to.equal('invalid_response');
    expect(err.message).to.contain('expected').and.contain('serverUrl').and.contain('received keys [token]');
  });

  it('takes the session mode from the answer, direct when it names none', async () => {
    const { mode: _, ...legacy } = testSession();
    const answers: unknown[] = [legacy, testSession({ mode: 'gateway' }), { ...legacy, mode: 'carrier-pigeon' }];
    const { auth } = setup({ getToken: () => () => answers.shift() });
    expect((await auth.acquire()).mode).to.equal('direct');
    expect((await auth.acquire()).mode).to.equal('gateway');
    const err = await auth.acquire().catch((e) => e);
    expect(err.code).to.equal('invalid_response');
    expect(err.message).to.contain('mode?: "direct" | "gateway"');
  });

  it('logout during an acquisition: a later acquire() starts afresh instead of sharing the aborted one', async () => {
    const answers: Array<(s: unknown) => void> = [];
    const { auth } = setup({ getToken: () => () => new Promise((r) => answers.push(r)) });
    const first = auth.acquire().catch((e) => e);
    await settle();
    await auth.logout();
    const second = auth.acquire();
    await settle();
    expect(answers).to.have.length(2);
    answers[0](testSession({ token: 'stale' }));
    answers[1](testSession({ token: 'fresh' }));
    expect((await first).name).to.equal('AbortError');
    expect((await second).token).to.equal('fresh');
    expect(auth.session?.token).to.equal('fresh');
  });

  it('survives a throwing getToken() and retries it', async () => {
    let n = 0;
    const { auth, clock } = setup({
      getToken: () => () => {
        if (n++ === 0) throw new Error('host bug');
        return testSession({ expiresAt: new Date(Date.now() + 3600_000).toISOString() as unknown as number });
      },
    });
    const p = auth.acquire();
    await clock.tick(1000);
    const s = await p;
    expect(n).to.equal(2);
    expect(s.expiresAt).to.be.a('number');
  });

  it('refreshes before expiry', async () => {
    const { auth, clock } = setup();
    let n = 0;
    const sessions: string[] = [];
    const auth2 = new AuthController(new TestHost(), {
      clock,
      tokenUrl: () => undefined,
      getToken: () => () => testSession({ token: `t${++n}`, expiresAt: clock.now() + 600_000 }),
      onSession: (s) => sessions.push(s.token),
    });
    (auth2 as unknown as { hostConnected(): void }).hostConnected();
    await auth2.acquire();
    await clock.tick(539_000);
    expect(sessions).to.deep.equal(['t1']);
    await clock.tick(1000);
    expect(sessions).to.deep.equal(['t1', 't2']);
    expect(auth.session).to.equal(undefined);
    auth2.hostDisconnected();
  });

  it('logout DELETEs token-url with the token as bearer', async () => {
    const s = stubFetch([() => json(testSession()), () => new Response(null, { status: 204 })]);
    restore = s.restore;
    const { auth } = setup();
    await auth.acquire();
    await auth.logout();
    expect(s.calls[1].init.method).to.equal('DELETE');
    expect(new Headers(s.calls[1].init.headers).get('authorization')).to.equal('Bearer tok-1');
    expect(auth.session).to.equal(undefined);
  });

  it('parses Retry-After seconds and dates', () => {
    expect(parseRetryAfter('3', 0)).to.equal(3000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4000)).to.equal(6000);
    expect(parseRetryAfter(null, 0)).to.equal(undefined);
  });
});
