import { expect } from '@open-wc/testing';
import { SessionController } from '../controllers/session-controller.js';
import { MemoryStorage, TestHost, testSession } from '../testing/helpers.js';
import { MemoryTransport } from './memory-transport.js';
import { SharedTransport } from './shared-transport.js';
import type { ChatMessage, Transport, TransportEvent } from './transport.js';

/**
 * One tab's transport: the shared backend's REST calls, and a live socket of its own — it gets
 * live events only while this tab connected it. `sockets` counts the sockets tabs opened.
 */
class TabTransport implements Transport {
  open = false;
  constructor(
    readonly server: MemoryTransport,
    readonly sockets: { opened: number; open: Set<TabTransport> },
  ) {}
  connect(): void {
    this.open = true;
    this.sockets.opened++;
    this.sockets.open.add(this);
    this.server.connect();
  }
  disconnect(): void {
    this.open = false;
    this.sockets.open.delete(this);
  }
  subscribe(listener: (e: TransportEvent) => void): () => void {
    return this.server.subscribe((e) => this.open && listener(e));
  }
  setToken = () => this.server.setToken();
  latest: Transport['latest'] = (...a) => this.server.latest(...a);
  before: Transport['before'] = (...a) => this.server.before(...a);
  since: Transport['since'] = (...a) => this.server.since(...a);
  send: Transport['send'] = (...a) => this.server.send(...a);
  typing = () => this.server.typing();
  names: Transport['names'] = (...a) => this.server.names(...a);
  upload: Transport['upload'] = (...a) => this.server.upload(...a);
  file: Transport['file'] = (...a) => this.server.file(...a);
}

let visitors = 0;

/**
 * A browser: one backend per visitor, one storage, and tabs (of the same visitor unless `user`
 * says otherwise; a fresh visitor per test: locks are page-wide). A tab `open` reads what arrives
 * (as the open panel does); `log` records its posts received and reads heard, `sent` its onSent.
 */
function browser(server?: MemoryTransport) {
  const userId = `visitor-${++visitors}-${Math.random().toString(36).slice(2)}`;
  server ??= new MemoryTransport({ userId });
  const servers = new Map([[userId, server]]);
  const serverOf = (id: string) => servers.get(id) ?? servers.set(id, new MemoryTransport({ userId: id })).get(id)!;
  const storage = new MemoryStorage();
  const sockets = { opened: 0, open: new Set<TabTransport>() };
  const tabs: Array<ReturnType<typeof openTab>> = [];
  function openTab({ user = () => userId, open = false } = {}) {
    const host = new TestHost();
    const reads: number[] = [];
    const log: string[] = [];
    const sent: ChatMessage[] = [];
    const session: SessionController = new SessionController(host, {
      storage,
      tokenUrl: () => undefined,
      getToken: () => () => testSession({ userId: user() }),
      transportFactory: () => (s) => new SharedTransport(new TabTransport(serverOf(s.userId), sockets), s.userId),
      onRead: () => (reads.push(1), log.push('read')),
      onReceived: (m) => (log.push(`post:${m.text}`), open && session.read()),
      onSent: (m) => sent.push(m),
      onLogout: () => log.push('logout'),
    });
    host.connect();
    session.outbox.persist = true;
    session.start();
    return { host, session, reads, log, sent, close: () => host.disconnect() };
  }
  return {
    server,
    serverOf,
    storage,
    sockets,
    userId,
    tab(options?: Parameters<typeof openTab>[0]) {
      const t = openTab(options);
      tabs.push(t);
      return t;
    },
    closeAll: () => tabs.forEach((t) => t.close()),
  };
}

/** Waits for `ready()` (BroadcastChannel and Web Locks deliver on later tasks), failing after 2 s with `what`. */
async function until(ready: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 2000;
  while (!ready()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const texts = (s: SessionController) => s.conversation.messages.map((m) => m.text);

describe('SharedTransport (several tabs of one visitor)', () => {
  let b: ReturnType<typeof browser>;
  afterEach(() => b?.closeAll());

  /**
   * A fresh browser `b` (on `server`, if given) with two tabs: the first online, so it leads, then
   * the second online with the conversation loaded, so it follows. afterEach closes both. `leader`
   * is the first tab's options (e.g. `{ open: true }`).
   */
  async function twoTabs({ server, leader: options }: { server?: MemoryTransport; leader?: Parameters<typeof b.tab>[0] } = {}) {
    b = browser(server);
    const leader = b.tab(options);
    await until(() => leader.session.connection.state === 'online', 'the leader online');
    const follower = b.tab();
    await until(() => follower.session.connection.state === 'online' && follower.session.conversation.loaded, 'the follower online');
    return { leader, follower };
  }

  it('opens one socket for two tabs: the follower gets the leader’s messages, edits, deletes, typing and state', async () => {
    const { leader, follower } = await twoTabs({ server: new MemoryTransport({ history: [{ text: 'Welcome' }] }) });
    expect(b.sockets.opened).to.equal(1);
    expect((leader.session.transport as SharedTransport).leading).to.equal(true);
    expect((follower.session.transport as SharedTransport).leading).to.equal(false);
    expect(texts(follower.session)).to.deep.equal(['Welcome']);

    const hi = b.server.agentPost('Hi there');
    await until(() => texts(follower.session).includes('Hi there'), 'the agent’s post in the follower');
    expect(texts(leader.session)).to.deep.equal(['Welcome', 'Hi there']);
    b.server.agentEdit(hi.id, 'Hi there!');
    await until(() => texts(follower.session).includes('Hi there!'), 'the edit in the follower');
    b.server.agentTyping();
    await until(() => follower.session.conversation.typing, 'typing in the follower');
    b.server.agentDelete(hi.id);
    await until(() => !texts(follower.session).includes('Hi there!'), 'the delete in the follower');

    b.server.drop();
    await until(() => follower.session.connection.state === 'reconnecting', 'the follower reconnecting');
    b.server.restore();
    await until(() => follower.session.connection.state === 'online', 'the follower online again');
    expect(b.sockets.opened).to.equal(1);
  });

  it('sends a follower’s message once, through the leader’s outbox, and both tabs show it', async () => {
    const { leader, follower } = await twoTabs();
    const release = b.server.hold();
    const item = follower.session.outbox.enqueue('From the second tab');
    // The leader took it: both tabs show it pending.
    await until(() => leader.session.outbox.items.some((i) => i.clientId === item.clientId), 'the leader taking the message');
    expect(follower.session.outbox.items.map((i) => i.clientId)).to.deep.equal([item.clientId]);
    release();
    await until(() => texts(follower.session).includes('From the second tab'), 'the post in the follower');
    await until(() => follower.session.outbox.items.length === 0 && leader.session.outbox.items.length === 0, 'both outboxes empty');
    expect(texts(leader.session)).to.deep.equal(['From the second tab']);
    expect(b.server.calls.filter((c) => c === `send:${item.clientId}`)).to.have.length(1);
    expect(b.server.visitorPosts.map((p) => p.text)).to.deep.equal(['From the second tab']);
  });

  it('restores a stored queue in the leader only: each stored message is sent once', async () => {
    b = browser();
    const stored = [{ clientId: 'c-stored', text: 'Written before the reload', createdAt: Date.now(), state: 'sending' }];
    b.storage.setItem(`porthole:outbox:${b.userId}`, JSON.stringify(stored));
    const release = b.server.hold();
    const one = b.tab();
    const two = b.tab();
    await until(() => b.server.calls.includes('send:c-stored'), 'the stored message sent');
    release();
    await until(() => texts(one.session).includes('Written before the reload'), 'the post in the first tab');
    await until(() => texts(two.session).includes('Written before the reload'), 'the post in the second tab');
    await until(() => one.session.outbox.items.length + two.session.outbox.items.length === 0, 'both outboxes empty');
    expect(b.server.calls.filter((c) => c === 'send:c-stored')).to.have.length(1);
    expect(b.server.visitorPosts).to.have.length(1);
  });

  it('hands the socket and the queue over when the leader’s tab closes: nothing lost, nothing twice', async () => {
    const { leader, follower } = await twoTabs();
    // A message in flight in the leader when its tab closes.
    const release = b.server.hold();
    const inFlight = leader.session.outbox.enqueue('Sent as the tab closed');
    await until(() => follower.session.outbox.items.length === 1, 'the follower showing the pending message');
    leader.close();
    // A message the follower writes before it got the lock.
    const written = follower.session.outbox.enqueue('Written during the handover');
    release();
    await until(() => (follower.session.transport as SharedTransport).leading, 'the follower leading');
    await until(() => follower.session.connection.state === 'online', 'the new leader online');
    expect(b.sockets.opened).to.equal(2);
    expect(b.sockets.open.size).to.equal(1);
    await until(() => follower.session.outbox.items.length === 0, 'the queue sent');
    const posts = b.server.visitorPosts;
    expect(posts.map((p) => p.clientId).sort()).to.deep.equal([inFlight.clientId, written.clientId].sort());
    // Its own socket: a reply after the handover arrives, and what the old socket missed was fetched.
    expect(b.server.calls.some((c) => c.startsWith('since:'))).to.equal(true);
    b.server.agentPost('Got both');
    await until(() => texts(follower.session).includes('Got both'), 'the reply after the handover');
    expect(texts(follower.session)).to.include.members(['Sent as the tab closed', 'Written during the handover']);
  });

  it('tells the other tabs the visitor read the conversation', async () => {
    const { leader: one, follower: two } = await twoTabs();
    two.session.read();
    await until(() => one.reads.length === 1, 'the read in the first tab');
    one.session.read();
    await until(() => two.reads.length === 1, 'the read in the second tab');
    expect(one.reads).to.have.length(1);
  });

  it('a follower’s retry and removal of a refused message reach the leader’s queue', async () => {
    const { leader, follower } = await twoTabs();
    b.server.failNext('send', 'invalid');
    b.server.failNext('send', 'rejected');
    const item = follower.session.outbox.enqueue('Refused twice');
    await until(() => follower.session.outbox.items[0]?.state === 'failed', 'the failure shown in the follower');
    follower.session.outbox.retry(item.clientId);
    await until(() => b.server.calls.filter((c) => c === `send:${item.clientId}`).length === 2, 'the retry sent by the leader');
    await until(() => follower.session.outbox.items[0]?.failure === 'refused', 'the second failure shown in the follower');
    follower.session.outbox.remove(item.clientId);
    await until(() => leader.session.outbox.items.length === 0, 'the leader’s queue emptied');
    expect(JSON.parse(b.storage.getItem(`porthole:outbox:${b.userId}`) ?? '[]')).to.deep.equal([]);
    expect(b.server.visitorPosts).to.have.length(0);
  });

  it('tells a post before the read its open tab makes of it (a closed tab does not count it unread after the read)', async () => {
    // The leading tab is the open one: it reads each post as it arrives.
    const { follower: closed } = await twoTabs({ leader: { open: true } });
    b.server.agentPost('Read at once');
    await until(() => closed.log.includes('read'), 'the read in the other tab');
    expect(closed.log).to.deep.equal(['post:Read at once', 'read']);
  });

  it('a follower’s message sent while the socket is down shows in the follower at once and is reported there, not in the leader', async () => {
    const { leader, follower } = await twoTabs();
    b.server.drop();
    await until(() => follower.session.connection.state === 'reconnecting', 'the follower reconnecting');
    // Whenever its pending item goes, the post is there.
    const gaps: string[] = [];
    follower.host.requestUpdate = () => {
      if (!follower.session.outbox.items.length && !texts(follower.session).length) gaps.push('neither');
    };
    const item = follower.session.outbox.enqueue('Sent with the socket down');
    await until(() => follower.sent.length === 1, 'porthole-message-sent in the follower');
    expect(follower.sent[0].clientId).to.equal(item.clientId);
    await until(() => follower.session.outbox.items.length === 0, 'the follower’s item gone');
    expect(texts(follower.session)).to.deep.equal(['Sent with the socket down']);
    expect(gaps).to.deep.equal([]);
    expect(leader.sent).to.deep.equal([]);
    expect(texts(leader.session)).to.deep.equal(['Sent with the socket down']);
  });

  it('a logout in the leading tab ends every tab’s session: the queue is neither sent again nor stored again', async () => {
    const { leader, follower } = await twoTabs();
    const release = b.server.hold();
    const item = leader.session.outbox.enqueue('Written before the logout');
    await until(() => follower.session.outbox.items.length === 1, 'the follower showing it');
    await leader.session.logout();
    await until(() => !follower.session.transport, 'the follower’s session ended');
    release();
    expect(follower.log).to.include('logout');
    expect(follower.session.current).to.equal(undefined);
    expect(follower.session.outbox.items).to.deep.equal([]);
    expect(b.storage.getItem(`porthole:outbox:${b.userId}`)).to.equal(null);
    expect(b.server.calls.filter((c) => c === `send:${item.clientId}`)).to.have.length(1);
    expect(b.sockets.open.size).to.equal(0);
  });

  it('a shutdown in a follower ends the leader’s session too: nothing of the old visitor is sent or stored after the wipe', async () => {
    const { leader, follower } = await twoTabs();
    const release = b.server.hold();
    const item = follower.session.outbox.enqueue('Written before the shutdown');
    await until(() => leader.session.outbox.items.length === 1, 'the leader taking it');
    expect(b.storage.getItem(`porthole:outbox:${b.userId}`)).to.include(item.clientId);
    await follower.session.shutdown();
    await until(() => !leader.session.transport, 'the leader’s session ended');
    release();
    expect(leader.log).to.include('logout');
    expect(leader.session.outbox.items).to.deep.equal([]);
    expect(b.storage.length).to.equal(0);
    expect(b.server.visitorPosts).to.deep.equal([]);
    expect(b.sockets.open.size).to.equal(0);
  });

  it('after an identity change a tab hands the leader none of the last visitor’s messages (they stay stored as theirs)', async () => {
    b = browser();
    const next = `${b.userId}-next`;
    const nextTab = b.tab({ user: () => next });
    await until(() => nextTab.session.connection.state === 'online', 'the next visitor’s tab online');
    let who = b.userId;
    const tab = b.tab({ user: () => who });
    await until(
      () => tab.session.connection.state === 'online' && (tab.session.transport as SharedTransport).leading,
      'the first visitor’s tab leading',
    );
    b.server.hold();
    const left = tab.session.outbox.enqueue('For the first visitor only');
    await until(() => b.server.calls.includes(`send:${left.clientId}`), 'its send in flight');
    who = next;
    await tab.session.renew();
    await until(
      () => tab.session.current?.userId === next && tab.session.connection.state === 'online',
      'the tab following the next visitor',
    );
    expect((tab.session.transport as SharedTransport).leading).to.equal(false);
    // Handed over after anything of the first visitor's would have been.
    tab.session.outbox.enqueue('For the next visitor');
    await until(() => b.serverOf(next).visitorPosts.length > 0, 'the next visitor’s post');
    expect(b.serverOf(next).visitorPosts.map((p) => p.text)).to.deep.equal(['For the next visitor']);
    expect(b.serverOf(next).calls).to.not.include(`send:${left.clientId}`);
    const stored = JSON.parse(b.storage.getItem(`porthole:outbox:${b.userId}`) ?? '[]') as Array<{ clientId: string }>;
    expect(stored.map((i) => i.clientId)).to.deep.equal([left.clientId]);
  });

  it('when Web Locks refuse (a SecurityError in an opaque origin) a tab opens its own socket and sends', async () => {
    const request = () => Promise.reject(new DOMException('opaque origin', 'SecurityError'));
    Object.defineProperty(navigator, 'locks', { value: { request }, configurable: true });
    try {
      b = browser();
      const tab = b.tab();
      await until(() => tab.session.connection.state === 'online', 'the tab online');
      expect((tab.session.transport as SharedTransport).leading).to.equal(true);
      expect(b.sockets.open.size).to.equal(1);
      tab.session.outbox.enqueue('Alone');
      await until(() => b.server.visitorPosts.length === 1, 'the post');
    } finally {
      delete (navigator as { locks?: unknown }).locks;
    }
    expect(navigator.locks).to.exist;
  });

  it('passes every other method, optional ones included, to the tab’s own transport', async () => {
    const server = new MemoryTransport({ history: [{ text: 'Hi' }] });
    // A method of a newer transport that SharedTransport does not name.
    const inner = Object.assign(new TabTransport(server, { opened: 0, open: new Set() }), { extra: async () => 'extra' });
    const shared = new SharedTransport(inner, 'someone') as SharedTransport & { extra(): Promise<string> };
    expect((await shared.latest(10)).messages.map((m) => m.text)).to.deep.equal(['Hi']);
    expect(await shared.extra()).to.equal('extra');
    expect(shared.avatar).to.equal(undefined);
    expect(server.calls).to.deep.equal(['latest']);
  });

  it('without Web Locks each tab connects its own socket, as before', async () => {
    Object.defineProperty(navigator, 'locks', { value: undefined, configurable: true });
    try {
      b = browser();
      const one = b.tab();
      const two = b.tab();
      await until(() => one.session.connection.state === 'online' && two.session.connection.state === 'online', 'both tabs online');
      expect(b.sockets.open.size).to.equal(2);
      two.session.outbox.enqueue('Alone');
      await until(() => b.server.visitorPosts.length === 1, 'the post');
      expect(b.server.calls.filter((c) => c.startsWith('send:'))).to.have.length(1);
    } finally {
      delete (navigator as { locks?: unknown }).locks;
    }
    expect(navigator.locks).to.exist;
  });
});
