import { expect } from '@open-wc/testing';
import { TestHost, testSession } from '../testing/helpers.js';
import { httpPrivacyApi, PrivacyController, PrivacyError, privacyUrl, type PrivacyApi, type TranscriptFile } from './privacy-controller.js';

interface Call {
  url: string;
  init: RequestInit;
}

/** A fetch answering from `answer`, recording every call. */
function fakeFetch(answer: (call: Call) => Response | Promise<Response>) {
  const calls: Call[] = [];
  const fn = (async (url: string, init: RequestInit) => {
    const call = { url: String(url), init };
    calls.push(call);
    return answer(call);
  }) as unknown as typeof fetch;
  return { fn, calls };
}

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
const gateway = testSession({ mode: 'gateway', serverUrl: 'https://companion.example/', token: 'secret-token' });
const signal = () => new AbortController().signal;

async function failure(p: Promise<unknown>): Promise<PrivacyError> {
  try {
    await p;
  } catch (e) {
    expect(e).to.be.instanceOf(PrivacyError);
    return e as PrivacyError;
  }
  throw new Error('expected the call to fail');
}

describe('privacyUrl', () => {
  it('gateway mode: next to serverUrl; direct mode: next to token-url; else none', () => {
    expect(privacyUrl('transcript', gateway, undefined)).to.equal('https://companion.example/v1/transcript');
    const direct = testSession();
    expect(privacyUrl('conversation', direct, 'https://site.example/porthole/v1/session?x=1')).to.equal(
      'https://site.example/porthole/v1/conversation',
    );
    expect(privacyUrl('transcript', direct, '/porthole/v1/session')).to.equal(`${location.origin}/porthole/v1/transcript`);
    expect(privacyUrl('transcript', direct, undefined)).to.equal(undefined);
    expect(privacyUrl('transcript', direct, 'https://site.example/token')).to.equal(undefined);
  });
});

describe('httpPrivacyApi', () => {
  it('GET /v1/transcript with the token as bearer (never in the URL), the Content-Disposition file name', async () => {
    const f = fakeFetch(() =>
      json({ format: 'porthole-transcript/1', messages: [] }, 200, {
        'Content-Disposition': 'attachment; filename="porthole-transcript-2026-03-04.json"',
      }),
    );
    const file = await httpPrivacyApi(f.fn)(gateway, undefined).transcript(signal());
    expect(f.calls).to.have.length(1);
    expect(f.calls[0].url).to.equal('https://companion.example/v1/transcript');
    expect(f.calls[0].url).to.not.contain('secret-token');
    expect(f.calls[0].init.method).to.equal('GET');
    expect((f.calls[0].init.headers as Record<string, string>).Authorization).to.equal('Bearer secret-token');
    expect(file.filename).to.equal('porthole-transcript-2026-03-04.json');
    expect(JSON.parse(await file.blob.text()).format).to.equal('porthole-transcript/1');
  });

  it('an unreadable Content-Disposition (CORS, or a path in it) falls back to the dated name', async () => {
    const f = fakeFetch(() => json({}, 200, { 'Content-Disposition': 'attachment; filename="../../etc/passwd"' }));
    const file = await httpPrivacyApi(f.fn)(gateway, undefined).transcript(signal());
    expect(file.filename).to.match(/^porthole-transcript-\d{4}-\d{2}-\d{2}\.json$/);
  });

  it('a transcript that is not JSON is refused, saying what it received', async () => {
    const f = fakeFetch(() => new Response('<html>', { headers: { 'Content-Type': 'text/html' } }));
    const e = await failure(httpPrivacyApi(f.fn)(gateway, undefined).transcript(signal()));
    expect(e.kind).to.equal('rejected');
    expect(e.message).to.contain('expected application/json, received "text/html"');
  });

  it('DELETE /v1/conversation with credentials (the companion clears its cookie); 204 resolves', async () => {
    const f = fakeFetch(() => new Response(null, { status: 204 }));
    await httpPrivacyApi(f.fn)(testSession({ token: 'vt' }), 'https://site.example/v1/session').erase(signal());
    expect(f.calls[0].url).to.equal('https://site.example/v1/conversation');
    expect(f.calls[0].init.method).to.equal('DELETE');
    expect(f.calls[0].init.credentials).to.equal('include');
    expect((f.calls[0].init.headers as Record<string, string>).Authorization).to.equal('Bearer vt');
  });

  it('classifies the answers: erasure_unavailable, auth, rate_limited (Retry-After), unavailable, rejected, network, no_config', async () => {
    const cases: Array<[Response | Error, string]> = [
      [json({ error: { code: 'erasure_unavailable', message: 'set PORTHOLE_ADMIN_TOKEN' } }, 503), 'erasure_unavailable'],
      [json({ error: { code: 'token_revoked', message: 'x' } }, 401), 'auth'],
      [json({ error: { code: 'rate_limited', message: 'x' } }, 429, { 'Retry-After': '7' }), 'rate_limited'],
      [json({ error: { code: 'gateway_starting', message: 'x' } }, 503), 'unavailable'],
      [new Response('not json', { status: 404 }), 'rejected'],
      [new TypeError('Failed to fetch'), 'network'],
    ];
    for (const [answer, kind] of cases) {
      const f = fakeFetch(() => {
        if (answer instanceof Error) throw answer;
        return answer;
      });
      const e = await failure(httpPrivacyApi(f.fn)(gateway, undefined).erase(signal()));
      expect(e.kind, `${kind}: ${e.message}`).to.equal(kind);
      expect(e.message, 'names the call').to.match(/^DELETE \/v1\/conversation/);
      expect(e.message, 'never the token').to.not.contain('secret-token');
      if (kind === 'erasure_unavailable') expect(e.message).to.contain('503 erasure_unavailable: set PORTHOLE_ADMIN_TOKEN');
      if (kind === 'rate_limited') expect(e.retryAfter).to.equal(7000);
    }
    const none = fakeFetch(() => json({}));
    const e = await failure(httpPrivacyApi(none.fn)(testSession(), undefined).transcript(signal()));
    expect(e.kind).to.equal('no_config');
    expect(e.message).to.contain('set the token-url attribute, received null');
    expect(none.calls).to.have.length(0);
  });
});

describe('PrivacyController', () => {
  /** An API whose calls wait for `release`, recording them. */
  function heldApi() {
    const calls: string[] = [];
    const pending: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
    const wait = (op: string, s: AbortSignal) =>
      new Promise<void>((resolve, reject) => {
        calls.push(op);
        pending.push({ resolve, reject });
        s.addEventListener('abort', () => reject(s.reason), { once: true });
      });
    const api: PrivacyApi = {
      transcript: async (s) => (await wait('transcript', s), { blob: new Blob(['{}']), filename: 't.json' }),
      erase: (s) => wait('erase', s),
    };
    return { api, calls, pending };
  }

  it('runs one task at a time: a newer task aborts the older, whose result is dropped', async () => {
    const host = new TestHost();
    const { api, pending } = heldApi();
    const saved: TranscriptFile[] = [];
    const erased: string[] = [];
    const errors: string[] = [];
    const c = new PrivacyController(host, {
      session: () => gateway,
      tokenUrl: () => undefined,
      api: () => api,
      onTranscript: (f) => saved.push(f),
      onErased: (s) => void erased.push(s.channelId),
      onError: (e) => errors.push(e.kind),
    });
    const first = c.download();
    expect(c.busy).to.equal('download');
    const second = c.erase();
    expect(c.busy).to.equal('erase');
    expect(await first).to.equal(false);
    pending[1].resolve();
    expect(await second).to.equal(true);
    expect(saved, 'the aborted download saves nothing').to.deep.equal([]);
    expect(erased).to.deep.equal([gateway.channelId]);
    expect(errors, 'an abort is no failure').to.deep.equal([]);
    expect(c.busy).to.equal(undefined);
  });

  it('a failure is kept as `error` (and reported) until dismissed or a new task; the host going away aborts', async () => {
    const host = new TestHost();
    const { api, pending } = heldApi();
    const errors: string[] = [];
    const c = new PrivacyController(host, {
      session: () => gateway,
      tokenUrl: () => undefined,
      api: () => api,
      onTranscript: () => {},
      onErased: () => {},
      onError: (e, task) => errors.push(`${task}:${e.kind}`),
    });
    const run = c.erase();
    pending[0].reject(new PrivacyError('network', 'down'));
    expect(await run).to.equal(false);
    expect(c.error?.task).to.equal('erase');
    expect(c.error?.error.kind).to.equal('network');
    expect(errors).to.deep.equal(['erase:network']);
    c.dismiss();
    expect(c.error).to.equal(undefined);
    const updates = host.updates;
    const held = c.download();
    host.disconnect();
    expect(await held).to.equal(false);
    expect(c.busy).to.equal(undefined);
    expect(host.updates).to.be.greaterThan(updates);
    expect(errors).to.have.length(1);
  });

  it('without a session: no_config, saying what it expected', async () => {
    const errors: PrivacyError[] = [];
    const c = new PrivacyController(new TestHost(), {
      session: () => undefined,
      tokenUrl: () => undefined,
      onTranscript: () => {},
      onErased: () => {},
      onError: (e) => errors.push(e),
    });
    expect(await c.erase()).to.equal(false);
    expect(errors[0].kind).to.equal('no_config');
    expect(errors[0].message).to.equal('erase: expected a started session, received none');
  });
});
