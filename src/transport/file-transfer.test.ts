import { expect } from '@open-wc/testing';
import { testSession } from '../testing/helpers.js';
import { GatewayTransport } from './gateway-transport.js';
import { MattermostTransport } from './mattermost-transport.js';
import { TransportError } from './transport.js';
import { toMessage } from './wire.js';

/** An XMLHttpRequest stand-in: records the request, answers as the test says. */
class FakeXHR {
  static last?: FakeXHR;
  static answer: { status: number; body: string; headers?: Record<string, string> } | 'network' | 'never' = { status: 201, body: '{}' };
  method = '';
  url = '';
  headers: Record<string, string> = {};
  body: unknown;
  aborted = false;
  status = 0;
  responseText = '';
  withCredentials = true;
  upload: { onprogress?: (e: { loaded: number; total: number; lengthComputable: boolean }) => void } = {};
  onload?: () => void;
  onerror?: () => void;
  ontimeout?: () => void;
  #headers: Record<string, string> = {};
  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(k: string, v: string) {
    this.headers[k] = v;
  }
  getAllResponseHeaders() {
    return Object.entries(this.#headers)
      .map(([k, v]) => `${k.toLowerCase()}: ${v}\r\n`)
      .join('');
  }
  abort() {
    this.aborted = true;
  }
  send(body: Blob) {
    FakeXHR.last = this;
    this.body = body;
    const a = FakeXHR.answer;
    setTimeout(() => {
      if (a === 'never') return;
      if (a === 'network') return this.onerror?.();
      this.upload.onprogress?.({ loaded: body.size / 2, total: body.size, lengthComputable: true });
      this.status = a.status;
      this.responseText = a.body;
      this.#headers = a.headers ?? {};
      this.onload?.();
    });
  }
}

const file = new File([new Uint8Array(10)], 'a <b>é.png', { type: 'image/png' });

describe('file transfer (transports)', () => {
  const real = window.XMLHttpRequest;
  beforeEach(() => {
    (window as unknown as { XMLHttpRequest: unknown }).XMLHttpRequest = FakeXHR;
    FakeXHR.answer = { status: 201, body: '{}' };
  });
  afterEach(() => {
    window.XMLHttpRequest = real;
  });

  it('gateway: POST /v1/files with the raw body, the bearer, the type and the encoded name; progress; the WireFile', async () => {
    const t = new GatewayTransport(testSession({ mode: 'gateway', serverUrl: 'http://companion.test/' }));
    FakeXHR.answer = {
      status: 201,
      body: JSON.stringify({ file: { id: 'f1', name: 'a <b>é.png', size: 10, type: 'image/png', width: 2, height: 1 } }),
    };
    const progress: Array<[number, number]> = [];
    const f = await t.upload(file, (s, n) => progress.push([s, n]));
    const x = FakeXHR.last!;
    expect([x.method, x.url]).to.deep.equal(['POST', 'http://companion.test/v1/files']);
    expect(x.headers).to.deep.equal({
      Authorization: 'Bearer tok-1',
      'Content-Type': 'image/png',
      'X-Porthole-File-Name': encodeURIComponent('a <b>é.png'),
    });
    expect(x.withCredentials).to.equal(false);
    expect(x.body).to.equal(file);
    expect(x.url).not.to.contain('tok-1');
    expect(progress).to.deep.equal([
      [5, 10],
      [10, 10],
    ]);
    expect(f).to.deep.equal({ id: 'f1', name: 'a <b>é.png', size: 10, type: 'image/png', width: 2, height: 1 });
  });

  it('gateway: 413/415 are `rejected` with the code, 429 `rate_limited` with Retry-After, no answer `network`, junk `invalid`', async () => {
    const t = new GatewayTransport(testSession({ mode: 'gateway', serverUrl: 'http://companion.test' }));
    const fail = async () => {
      try {
        await t.upload(file, () => {});
      } catch (e) {
        return e as TransportError;
      }
      throw new Error('expected a failure');
    };
    FakeXHR.answer = { status: 413, body: JSON.stringify({ error: { code: 'file_too_large', message: 'at most 10 MB' } }) };
    let e = await fail();
    expect([e.kind, e.status]).to.deep.equal(['rejected', 413]);
    expect(e.message).to.contain('file_too_large');
    FakeXHR.answer = { status: 415, body: JSON.stringify({ code: 'file_type_not_allowed', message: 'expected image/png…' }) };
    e = await fail();
    expect([e.kind, e.status]).to.deep.equal(['rejected', 415]);
    expect(e.message).to.contain('file_type_not_allowed');
    FakeXHR.answer = { status: 429, body: '{}', headers: { 'Retry-After': '7' } };
    e = await fail();
    expect([e.kind, e.retryAfter]).to.deep.equal(['rate_limited', 7000]);
    FakeXHR.answer = 'network';
    expect((await fail()).kind).to.equal('network');
    FakeXHR.answer = { status: 201, body: '{"file":{"id":1}}' };
    expect((await fail()).kind).to.equal('invalid');
  });

  it('an abort stops the request and rejects with the reason', async () => {
    const t = new GatewayTransport(testSession({ mode: 'gateway', serverUrl: 'http://companion.test' }));
    FakeXHR.answer = 'never';
    const run = new AbortController();
    FakeXHR.last = undefined;
    const pending = t.upload(file, () => {}, run.signal);
    for (let i = 0; i < 50 && !FakeXHR.last; i++) await new Promise((r) => setTimeout(r));
    run.abort();
    const e = await pending.catch((x) => x);
    expect(e.name).to.equal('AbortError');
    expect(FakeXHR.last!.aborted).to.equal(true);
  });

  it('gateway: file() GETs /v1/files/:id with the bearer (never in the URL); send() passes fileIds', async () => {
    const calls: Array<{ url: string; init: RequestInit }> = [];
    const fetch = (async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      if (url.endsWith('/v1/messages'))
        return new Response(
          JSON.stringify({ message: { id: 'p', userId: 'v', text: '', createAt: 1, updateAt: 1, deleted: false, edited: false } }),
        );
      return url.includes('nope') ? new Response('', { status: 404 }) : new Response(new Blob(['png']));
    }) as unknown as typeof window.fetch;
    const t = new GatewayTransport(testSession({ mode: 'gateway', serverUrl: 'http://companion.test' }), { fetch });
    expect(await (await t.file('f 1')).text()).to.equal('png');
    expect(calls[0].url).to.equal('http://companion.test/v1/files/f%201');
    expect((calls[0].init.headers as Record<string, string>).Authorization).to.equal('Bearer tok-1');
    expect(calls[0].init.credentials).to.equal('omit');
    const e = await t.file('nope').catch((x) => x);
    expect([e.kind, e.status]).to.deep.equal(['rejected', 404]);
    await t.send({ clientId: 'c', text: '', fileIds: ['f1', 'f2'] });
    expect(JSON.parse(calls.at(-1)!.init.body as string)).to.deep.equal({ clientId: 'c', text: '', fileIds: ['f1', 'f2'] });
    await t.send({ clientId: 'd', text: 'x' });
    expect(JSON.parse(calls.at(-1)!.init.body as string)).to.deep.equal({ clientId: 'd', text: 'x' });
  });

  it("direct: Mattermost's POST /api/v4/files?channel_id&filename with the bearer; its file_infos as a ChatFile", async () => {
    const t = new MattermostTransport(testSession({ serverUrl: 'https://mm.test/' }));
    FakeXHR.answer = {
      status: 201,
      body: JSON.stringify({ file_infos: [{ id: 'f9', name: 'a <b>é.png', size: 10, mime_type: 'image/png', width: 4, height: 3 }] }),
    };
    const f = await t.upload(file, () => {});
    const x = FakeXHR.last!;
    expect(x.url).to.equal(`https://mm.test/api/v4/files?channel_id=chan&filename=${encodeURIComponent('a <b>é.png')}`);
    expect(x.headers).to.deep.equal({ Authorization: 'Bearer tok-1' });
    expect(f).to.deep.equal({ id: 'f9', name: 'a <b>é.png', size: 10, type: 'image/png', width: 4, height: 3 });
    FakeXHR.answer = {
      status: 413,
      body: JSON.stringify({ id: 'api.file.upload_file.too_large_detailed.app_error', message: 'too large' }),
    };
    const e = await t.upload(file, () => {}).catch((x) => x);
    expect([e.kind, e.status]).to.deep.equal(['rejected', 413]);
    expect(e.message).to.contain('too_large');
  });

  it("direct: a post's metadata.files become the message's files; malformed infos are left out", () => {
    const post = {
      id: 'p',
      create_at: 1,
      update_at: 1,
      user_id: 'agent',
      channel_id: 'chan',
      message: 'see',
      metadata: {
        files: [
          { id: 'f1', name: 'x.png', size: 5, mime_type: 'image/png', width: 10, height: 20 },
          { id: 'f2', name: 'y.pdf', size: 6, mime_type: 'application/pdf' },
          { id: 3, name: 'junk' },
        ],
      },
    };
    expect(toMessage(post, 'chan')!.files).to.deep.equal([
      { id: 'f1', name: 'x.png', size: 5, type: 'image/png', width: 10, height: 20 },
      { id: 'f2', name: 'y.pdf', size: 6, type: 'application/pdf' },
    ]);
    expect(toMessage({ ...post, metadata: {} }, 'chan')!.files).to.equal(undefined);
  });
});
