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
    outbox.settle([{ clientId: 'another' }]);
    expect(outbox.items).to.have.length(1);
    server.chatServerBack();
    outbox.settle(server.visitorPosts);
    expect(outbox.items).to.have.length(0);
    expect(server.visitorPosts.map((p) => p.clientId)).to.deep.equal([a.clientId]);
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
