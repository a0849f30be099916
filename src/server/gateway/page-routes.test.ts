import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, it } from 'node:test';
import { PAGE_PROP } from './messages.js';
import { pageLine, PAGE_REPORTS_PER_MINUTE } from './page-routes.js';
import { startTestGateway } from './test-support.js';

type TestGateway = Awaited<ReturnType<typeof startTestGateway>>;
const running: TestGateway[] = [];
async function start(): Promise<TestGateway> {
  const t = await startTestGateway();
  running.push(t);
  return t;
}
afterEach(async () => {
  for (const t of running.splice(0)) await t.gateway.stop();
});

const report = (t: TestGateway, token: string, body: unknown) => t.call('POST', '/v1/conversation/page', { token, body });
const pageNotes = (t: TestGateway) => [...t.mm.posts.values()].filter((p) => p.props[PAGE_PROP] !== undefined);

describe('POST /v1/conversation/page (gateway)', () => {
  it('posts nothing before the first message, then a marked note in the thread, once per page; the visitor never sees it', async () => {
    const t = await start();
    const s = await t.session();
    const pricing = { url: 'https://shop.example.com/pricing', title: 'Pricing' };
    assert.equal((await report(t, s.token, pricing)).status, 204);
    assert.equal(t.mm.posts.size, 0, 'no conversation is started by a report');

    assert.equal((await t.call('POST', '/v1/messages', { token: s.token, body: { clientId: randomUUID(), text: 'hi' } })).status, 201);
    assert.equal((await report(t, s.token, pricing)).status, 204);
    assert.equal((await report(t, s.token, pricing)).status, 204, 'a repeat is fine');
    assert.equal((await report(t, s.token, { url: 'https://shop.example.com/cart' })).status, 204);
    const notes = pageNotes(t);
    assert.deepEqual(
      notes.map((p) => p.message),
      [':compass: Visitor is on **Pricing** — https://shop.example.com/pricing', ':compass: Visitor is on https://shop.example.com/cart'],
    );
    const record = (await t.store.getConversation(s.channelId))!;
    assert.ok(notes.every((p) => p.root_id === record.rootPostId && p.props[PAGE_PROP]));

    const history = await t.call('GET', '/v1/messages', { token: s.token });
    assert.deepEqual(
      history.json.messages.map((m: { text: string }) => m.text),
      ['hi'],
    );
    const since = await t.call('GET', '/v1/messages?since=1', { token: s.token });
    assert.deepEqual(
      since.json.messages.map((m: { text: string }) => m.text),
      ['hi'],
    );
    const transcript = await t.call('GET', '/v1/transcript', { token: s.token });
    assert.equal(transcript.status, 200);
    assert.doesNotMatch(JSON.stringify(transcript.json), /Visitor is on/);
  });

  it('refuses bad bodies, other origins and missing tokens, and limits each conversation', async () => {
    const t = await start();
    const s = await t.session();
    await t.call('POST', '/v1/messages', { token: s.token, body: { clientId: randomUUID(), text: 'hi' } });
    assert.equal((await report(t, '', { url: 'https://shop.example.com/' })).status, 401);
    for (const body of [
      {},
      { url: 'javascript:alert(1)' },
      { url: `https://shop.example.com/${'a'.repeat(2048)}` },
      { url: 'https://shop.example.com/', title: 42 },
      { url: 'https://shop.example.com/', extra: true },
      [],
      'null',
    ]) {
      const r = await report(t, s.token, body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.match(r.json.error.message, /url/);
    }
    const other = await report(t, s.token, { url: 'https://evil.example.net/phish' });
    assert.equal(other.status, 422);
    assert.equal(other.json.error.code, 'page_not_allowed');
    assert.equal(pageNotes(t).length, 0);

    for (let i = 0; i < PAGE_REPORTS_PER_MINUTE; i++)
      assert.equal((await report(t, s.token, { url: `https://shop.example.com/p${i}` })).status, 204);
    const limited = await report(t, s.token, { url: 'https://shop.example.com/one-more' });
    assert.equal(limited.status, 429);
    assert.match(limited.res.headers.get('Retry-After') ?? '', /^\d+$/);
  });

  it('writes the line agents read: the title escaped, no credentials in the URL, long titles cut', () => {
    assert.equal(
      pageLine({ url: 'https://ada:secret@shop.example.com/a(b)', title: '*Sale* [now](https://x)' }),
      ':compass: Visitor is on **\\*Sale\\* \\[now\\]\\(https\\://x\\)** — https://shop.example.com/a%28b%29',
    );
    assert.match(pageLine({ url: 'https://shop.example.com/', title: 'x'.repeat(500) }), /\*\*x{200}…\*\*/);
  });
});

describe('DELETE /v1/session/cookie (gateway)', () => {
  it('expires the visitor cookie without a token, with the attributes it was set with: the next session is a new visitor', async () => {
    const t = await start();
    const first = await t.session();
    const set = (await t.call('POST', '/v1/session', { cookie: first.cookie })).res.headers.get('Set-Cookie')!;
    const r = await t.call('DELETE', '/v1/session/cookie', { cookie: first.cookie });
    assert.equal(r.status, 204);
    const cleared = r.res.headers.get('Set-Cookie')!;
    assert.match(cleared, /^porthole_vid=; /);
    assert.match(cleared, /Max-Age=0/);
    const attrs = (v: string) =>
      v
        .split('; ')
        .slice(1)
        .filter((a) => !a.startsWith('Max-Age='));
    assert.deepEqual(attrs(cleared), attrs(set));
    // The browser drops the cookie: the next session without it is someone else.
    const next = await t.session();
    assert.notEqual(next.userId, first.userId);
  });
});
