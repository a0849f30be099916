// The outbox's `queued` state (offline part, gateway store and forward): a send the companion
// stored while Mattermost is down stays shown as saved, is not re-sent in a loop, goes once more
// after a reload, and leaves once its post has arrived.
import { expect } from '@open-wc/testing';
import { FakeClock, settle } from '../testing/fake-clock.js';
import { MemoryStorage, TestHost } from '../testing/helpers.js';
import { MemoryTransport } from '../transport/memory-transport.js';
import type { ChatMessage } from '../transport/transport.js';
import { OutboxController } from './outbox-controller.js';

function setup(storage = new MemoryStorage(), server = new MemoryTransport({ dedupeWindow: 0 }), clock = new FakeClock()) {
  const host = new TestHost();
  const sent: ChatMessage[] = [];
  const outbox = new OutboxController(host, { clock, storage, onSent: (m) => sent.push(m) });
  host.connect();
  return { host, outbox, server, storage, clock, sent };
}

const sends = (server: MemoryTransport) => server.calls.filter((c) => c.startsWith('send:'));

describe('OutboxController queued (store and forward)', () => {
  it('keeps a queued send shown as queued, sends the next ones, and never re-sends it by itself', async () => {
    const { outbox, server, clock, sent } = setup();
    server.chatServerDown = true;
    outbox.attach(server, 'visitor');
    const a = outbox.enqueue('one');
    const b = outbox.enqueue('two');
    await settle();
    expect(outbox.items.map((i) => [i.clientId, i.state])).to.deep.equal([
      [a.clientId, 'queued'],
      [b.clientId, 'queued'],
    ]);
    expect(sent).to.have.length(0);
    // Time passes, the socket comes back, flushes happen: no send again.
    await clock.tick(120_000);
    outbox.flush();
    outbox.flush();
    await settle();
    expect(sends(server)).to.deep.equal([`send:${a.clientId}`, `send:${b.clientId}`]);
  });

  it('drops a queued item once its post is shown (live or by resync), and only then', async () => {
    const { outbox, server } = setup();
    server.chatServerDown = true;
    outbox.attach(server, 'visitor');
    const a = outbox.enqueue('one');
    await settle();
    outbox.settle([{ clientId: 'another' } as ChatMessage]);
    expect(outbox.items).to.have.length(1);
    server.chatServerBack();
    outbox.settle(server.visitorPosts);
    expect(outbox.items).to.have.length(0);
    expect(server.visitorPosts.map((p) => p.clientId)).to.deep.equal([a.clientId]);
  });

  it('reports a queued item to onSent (porthole-message-sent) when its post arrives, once', async () => {
    const { outbox, server, sent } = setup();
    server.chatServerDown = true;
    outbox.attach(server, 'visitor');
    const a = outbox.enqueue('one');
    await settle();
    expect(sent).to.have.length(0);
    server.chatServerBack();
    outbox.settle(server.visitorPosts);
    outbox.settle(server.visitorPosts);
    expect(sent.map((m) => [m.clientId, m.text])).to.deep.equal([[a.clientId, 'one']]);
  });

  it('after a reload past the dedupe window while Mattermost is down: re-posts the queued item (no look first), shown as queued, and sends the ones behind it', async () => {
    const storage = new MemoryStorage();
    const server = new MemoryTransport({ dedupeWindow: 0 });
    const first = setup(storage, server);
    first.outbox.persist = true;
    server.chatServerDown = true;
    first.outbox.attach(server, 'visitor');
    const a = first.outbox.enqueue('queued before the reload');
    await settle();
    // One more written just before the reload, never sent (its first try was older than the window too).
    const key = 'porthole:outbox:visitor';
    const b = { clientId: 'b-client', text: 'behind it', createdAt: first.clock.now(), state: 'sending', triedAt: first.clock.now() };
    storage.setItem(key, JSON.stringify([...JSON.parse(storage.getItem(key)!), b]));

    const clock = new FakeClock();
    clock.time = first.clock.now() + 60_000;
    const second = setup(storage, server, clock);
    second.outbox.persist = true;
    second.outbox.attach(server, 'visitor');
    await settle();
    await clock.tick(1000);
    expect(second.outbox.items.map((i) => [i.clientId, i.state])).to.deep.equal([
      [a.clientId, 'queued'],
      [b.clientId, 'queued'],
    ]);
    expect(sends(server)).to.deep.equal([`send:${a.clientId}`, `send:${a.clientId}`, `send:${b.clientId}`]);
    expect(JSON.parse(storage.getItem(key)!).map((i: { state: string }) => i.state)).to.deep.equal(['queued', 'queued']);
    // Not sent again by itself after that.
    await clock.tick(120_000);
    second.outbox.flush();
    await settle();
    expect(sends(server)).to.have.length(3);
    // Mattermost back: both arrive once, each reported once.
    server.chatServerBack();
    second.outbox.settle(server.visitorPosts);
    expect(second.outbox.items).to.have.length(0);
    expect(second.sent.map((m) => m.clientId)).to.deep.equal([a.clientId, b.clientId]);
  });

  it('after a reload sends a queued item once more: 202 again while Mattermost is down, the post once it is back', async () => {
    const storage = new MemoryStorage();
    const server = new MemoryTransport({ dedupeWindow: 60_000 });
    const first = setup(storage, server);
    first.outbox.persist = true;
    server.chatServerDown = true;
    first.outbox.attach(server, 'visitor');
    const { clientId } = first.outbox.enqueue('kept across a reload');
    await settle();
    expect(JSON.parse(storage.getItem('porthole:outbox:visitor')!)[0].state).to.equal('queued');

    // Reload while still down: re-sent once, queued again, one copy on the server.
    const second = setup(storage, server);
    second.outbox.persist = true;
    second.outbox.attach(server, 'visitor');
    await settle();
    expect(second.outbox.items.map((i) => i.state)).to.deep.equal(['queued']);
    expect(sends(server)).to.have.length(2);

    // Forwarded meanwhile, then another reload: the re-send answers the post, shown once.
    server.chatServerBack();
    const third = setup(storage, server);
    third.outbox.attach(server, 'visitor');
    await settle();
    expect(third.outbox.items).to.have.length(0);
    expect(third.sent.map((m) => m.clientId)).to.deep.equal([clientId]);
    expect(server.visitorPosts.filter((p) => p.clientId === clientId)).to.have.length(1);
  });
});
