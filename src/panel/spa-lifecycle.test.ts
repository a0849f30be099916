import { expect, fixture, html } from '@open-wc/testing';
import { FakeClock, settle } from '../testing/fake-clock.js';
import { MemoryStorage, testSession } from '../testing/helpers.js';
import { MemoryTransport } from '../transport/memory-transport.js';
import type { Session } from '../transport/transport.js';
import { PAGE_REPORT_DEBOUNCE_MS, currentPage } from './page-reports.js';
import { configurePanel, type PanelLauncher, PortholePanelElement } from './porthole-panel.js';

/** A memory backend that takes page reports, as gateway mode's transport does. */
class PageTransport extends MemoryTransport {
  readonly pages: Array<{ url: string; title?: string }> = [];
  reportPage(page: { url: string; title?: string }): Promise<void> {
    this.pages.push(page);
    return Promise.resolve();
  }
}

/** A stand-in for `<porthole-chat>`: the panel reads `report-pages` from it. */
function launcher(attrs: Record<string, string> = {}): PanelLauncher {
  const el = document.createElement('div') as unknown as PanelLauncher;
  el.close = () => {};
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  document.body.append(el);
  return el;
}

interface Fetched {
  method: string;
  url: string;
  body?: string;
  credentials?: RequestCredentials;
  authorization?: string;
}

/** Replaces `fetch` for one test: `token-url` answers `session()`, every call is recorded. */
function stubFetch(session: () => Session): { calls: Fetched[]; restore: () => void } {
  const original = window.fetch;
  const calls: Fetched[] = [];
  window.fetch = async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    calls.push({
      method: init.method ?? 'GET',
      url: String(input),
      body: typeof init.body === 'string' ? init.body : undefined,
      credentials: init.credentials,
      authorization: headers.get('Authorization') ?? undefined,
    });
    if (init.method === 'POST') return new Response(JSON.stringify(session()), { headers: { 'Content-Type': 'application/json' } });
    return new Response(null, { status: 204 });
  };
  return { calls, restore: () => (window.fetch = original) };
}

async function panelWith(options: {
  servers: Map<string, MemoryTransport>;
  getToken?: () => unknown;
  tokenUrl?: string;
  storage?: Storage;
  launcher?: PanelLauncher;
}): Promise<{ el: PortholePanelElement; clock: FakeClock; built: Session[] }> {
  const clock = new FakeClock();
  const built: Session[] = [];
  configurePanel({
    transportFactory: (s) => {
      built.push(s);
      return options.servers.get(s.userId) ?? new MemoryTransport({ userId: s.userId });
    },
    clock,
    storage: options.storage ?? new MemoryStorage(),
  });
  const el = await fixture<PortholePanelElement>(
    html`<porthole-panel .getToken=${options.getToken} token-url=${options.tokenUrl ?? ''}></porthole-panel>`,
  );
  if (!options.tokenUrl) el.tokenUrl = undefined;
  el.launcher = options.launcher;
  return { el, clock, built };
}

async function open(el: PortholePanelElement): Promise<void> {
  el.open = true;
  await settle();
  await el.updateComplete;
}

describe('SPA life cycle: update()', () => {
  afterEach(() => configurePanel());

  it('refuses bad input with a TypeError that says what it expected and what it received', async () => {
    const { el } = await panelWith({ servers: new Map(), getToken: () => testSession() });
    for (const bad of [
      42,
      { user: 'x' },
      { identity: 'yes' },
      { name: '' },
      { name: 'x'.repeat(65) },
      { page: { url: 'javascript:alert(1)' } },
    ]) {
      let error: unknown;
      await el.applyUpdate(bad as never).catch((e: unknown) => (error = e));
      expect(error, JSON.stringify(bad)).to.be.instanceOf(TypeError);
      expect((error as Error).message)
        .to.contain('expected { identity?: boolean')
        .and.contain('received');
    }
    expect((await el.applyUpdate(undefined)) as unknown).to.equal(undefined);
  });

  it('identity: when getToken() now answers for another user, the chat starts over as that visitor', async () => {
    const ada = new MemoryTransport({ userId: 'ada', history: [{ text: "Ada's conversation", userId: 'agent' }] });
    const bob = new MemoryTransport({ userId: 'bob', history: [{ text: "Bob's conversation", userId: 'agent' }] });
    let user = 'ada';
    const { el, built } = await panelWith({
      servers: new Map([
        ['ada', ada],
        ['bob', bob],
      ]),
      getToken: () => testSession({ userId: user, channelId: `chan-${user}`, token: `tok-${user}` }),
    });
    await open(el);
    expect(el.conversation.messages.map((m) => m.text)).to.deep.equal(["Ada's conversation"]);

    // The same user: a token swap, the conversation stays.
    await el.applyUpdate({ identity: true });
    await settle();
    expect(built.map((s) => s.userId)).to.deep.equal(['ada']);

    user = 'bob';
    await el.applyUpdate({ identity: true });
    await settle();
    await el.updateComplete;
    expect(built.map((s) => s.userId)).to.deep.equal(['ada', 'bob']);
    expect(el.session.current?.userId).to.equal('bob');
    expect(el.conversation.messages.map((m) => m.text)).to.deep.equal(["Bob's conversation"]);
  });

  it('identity before the chat started: nothing to do (the first session is asked for on open)', async () => {
    let asked = 0;
    const { el, built } = await panelWith({ servers: new Map(), getToken: () => (asked++, testSession()) });
    await el.applyUpdate({ identity: true, name: 'Ada' });
    expect(asked).to.equal(0);
    expect(built).to.deep.equal([]);
  });

  it('name: sent with the next session request to token-url, which is asked at once while a session runs', async () => {
    const f = stubFetch(() => testSession());
    try {
      const { el } = await panelWith({ servers: new Map(), tokenUrl: 'https://companion.example/v1/session' });
      await open(el);
      const posts = () => f.calls.filter((c) => c.method === 'POST').map((c) => JSON.parse(c.body!));
      expect(posts()).to.have.length(1);
      expect(posts()[0].name).to.equal(undefined);
      await el.applyUpdate({ name: '  Ada Lovelace ' });
      expect(posts()).to.have.length(2);
      expect(posts()[1].name).to.equal('Ada Lovelace');
    } finally {
      f.restore();
    }
  });
});

describe('SPA life cycle: shutdown()', () => {
  afterEach(() => configurePanel());

  it('logs out, has the companion forget the cookie, wipes storage and queue; the next open is a new visitor', async () => {
    let n = 0;
    const f = stubFetch(() => testSession({ userId: `visitor-${++n}`, token: `tok-${n}` }));
    const storage = new MemoryStorage();
    localStorage.setItem('porthole:test-key', 'x');
    localStorage.setItem('site:own-key', 'kept');
    try {
      const server = new MemoryTransport({ userId: 'visitor-1' });
      const { el, built } = await panelWith({
        servers: new Map([['visitor-1', server]]),
        tokenUrl: 'https://companion.example/v1/session',
        storage,
      });
      await open(el);
      server.down = true; // the message stays queued (and stored)
      await el.send('queued before shutdown');
      await settle();
      expect(storage.length).to.be.greaterThan(0);
      const input = el.shadowRoot!.querySelector('textarea')!;
      input.value = 'half-typed';

      el.open = false; // the launcher closes the panel first
      await el.updateComplete;
      await el.shutdown();
      expect(f.calls.filter((c) => c.method === 'DELETE').map((c) => [c.url, c.authorization, c.credentials])).to.deep.equal([
        ['https://companion.example/v1/session', 'Bearer tok-1', 'include'],
        ['https://companion.example/v1/session/cookie', undefined, 'include'],
      ]);
      expect(f.calls.every((c) => !c.url.includes('tok-'))).to.equal(true, 'never a token in a URL');
      expect(storage.length).to.equal(0);
      expect(localStorage.getItem('porthole:test-key')).to.equal(null);
      expect(localStorage.getItem('site:own-key')).to.equal('kept');
      expect(el.outbox.items).to.deep.equal([]);
      expect(el.conversation.messages).to.deep.equal([]);
      expect(el.session.current).to.equal(undefined);
      expect(input.value).to.equal('');

      await open(el);
      await settle();
      expect(built.map((s) => s.userId)).to.deep.equal(['visitor-1', 'visitor-2']);
    } finally {
      f.restore();
      localStorage.removeItem('site:own-key');
    }
  });

  it('before any session it still asks the companion to forget the cookie', async () => {
    const f = stubFetch(() => testSession());
    try {
      const { el } = await panelWith({ servers: new Map(), tokenUrl: 'https://companion.example/api/porthole/v1/session/' });
      await el.shutdown();
      expect(f.calls.map((c) => [c.method, c.url])).to.deep.equal([['DELETE', 'https://companion.example/api/porthole/v1/session/cookie']]);
    } finally {
      f.restore();
    }
  });
});

describe('SPA life cycle: page reports (report-pages)', () => {
  afterEach(() => configurePanel());

  async function reporting(attrs: Record<string, string> = { 'report-pages': '' }, history = [{ text: 'Hi', userId: 'agent' }]) {
    const server = new PageTransport({ history });
    const host = launcher(attrs);
    const ctx = await panelWith({ servers: new Map([['visitor', server]]), getToken: () => testSession(), launcher: host });
    await open(ctx.el);
    await ctx.clock.tick(PAGE_REPORT_DEBOUNCE_MS);
    return { ...ctx, server, host };
  }

  it('reports the page on open and on update({ page }), debounced, skipping a repeat', async () => {
    const { el, clock, server, host } = await reporting();
    try {
      const here = currentPage();
      expect(server.pages).to.deep.equal([here]);
      await el.applyUpdate({ page: { title: 'Pricing' } });
      await el.applyUpdate({ page: { url: 'https://shop.example.com/cart', title: 'Cart' } });
      expect(server.pages).to.have.length(1, 'not before the debounce');
      await clock.tick(PAGE_REPORT_DEBOUNCE_MS);
      expect(server.pages.at(-1)).to.deep.equal({ url: 'https://shop.example.com/cart', title: 'Cart' });
      expect(server.pages).to.have.length(2, 'one report for the two updates');
      await el.applyUpdate({ page: { url: 'https://shop.example.com/cart', title: 'Cart' } });
      await clock.tick(PAGE_REPORT_DEBOUNCE_MS);
      expect(server.pages).to.have.length(2, 'the same page again is skipped');
    } finally {
      host.remove();
    }
  });

  it('follows SPA navigations (popstate, hashchange); the query and a non-route fragment stay out', async () => {
    const { clock, server, host } = await reporting();
    const start = location.href;
    try {
      history.pushState({}, '', '/spa/orders?secret=1#token=abc');
      dispatchEvent(new PopStateEvent('popstate'));
      await clock.tick(PAGE_REPORT_DEBOUNCE_MS);
      expect(server.pages.at(-1)!.url).to.equal(`${location.origin}/spa/orders`);
      history.pushState({}, '', '/spa/#/settings');
      dispatchEvent(new HashChangeEvent('hashchange'));
      await clock.tick(PAGE_REPORT_DEBOUNCE_MS);
      expect(server.pages.at(-1)!.url).to.equal(`${location.origin}/spa/#/settings`);
    } finally {
      history.replaceState({}, '', start);
      host.remove();
    }
  });

  it('reports nothing without report-pages, or before the conversation has a message', async () => {
    const off = await reporting({});
    await off.el.applyUpdate({ page: { title: 'Pricing' } });
    await off.clock.tick(PAGE_REPORT_DEBOUNCE_MS);
    expect(off.server.pages).to.deep.equal([]);
    off.host.remove();

    const empty = await reporting({ 'report-pages': '' }, []);
    await empty.el.applyUpdate({ page: { title: 'Pricing' } });
    await empty.clock.tick(PAGE_REPORT_DEBOUNCE_MS);
    expect(empty.server.pages).to.deep.equal([]);
    // Turned off later: read at each report.
    empty.host.remove();
  });
});
