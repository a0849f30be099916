import { expect } from '@open-wc/testing';
import { FakeClock, settle } from '../testing/fake-clock.js';
import { MemoryStorage, TestHost } from '../testing/helpers.js';
import { MemoryTransport } from '../transport/memory-transport.js';
import type { ChatMessage, TransportError } from '../transport/transport.js';
import { OutboxController } from './outbox-controller.js';

function setup(storage = new MemoryStorage(), server = new MemoryTransport({ dedupeWindow: 0 }), clock = new FakeClock()) {
  const host = new TestHost();
  const sent: ChatMessage[] = [];
  const outbox = new OutboxController(host, { clock, storage, onSent: (m) => sent.push(m) });
  host.connect();
  return { host, outbox, server, storage, clock, sent };
}

describe('OutboxController', () => {
  it('gives every message a client id before sending it, sent once', async () => {
    const { outbox, server, sent } = setup();
    outbox.attach(server, 'visitor');
    const item = outbox.enqueue('hello');
    expect(item.clientId).to.match(/^[0-9a-f-]{36}$/);
    expect(outbox.items[0].state).to.equal('sending');
    await settle();
    expect(server.visitorPosts.map((p) => p.clientId)).to.deep.equal([item.clientId]);
    expect(sent[0].clientId).to.equal(item.clientId);
    expect(outbox.items).to.have.length(0);
  });

  it('writes storage only once persist is on, scoped to the visitor', async () => {
    const { outbox, storage, server } = setup();
    const release = server.hold();
    outbox.attach(server, 'u1');
    outbox.enqueue('queued before open');
    expect(storage.writes).to.equal(0);
    outbox.persist = true;
    expect(JSON.parse(storage.getItem('porthole:outbox:u1')!)[0].text).to.equal('queued before open');
    release();
    await settle();
    expect(storage.getItem('porthole:outbox:u1')).to.equal(null);
  });

  it('marks refused messages failed; retry sends them', async () => {
    const { outbox, server } = setup();
    outbox.attach(server, 'visitor');
    server.failNext('send', 'rejected');
    const { clientId } = outbox.enqueue('x');
    await settle();
    expect(outbox.items[0].state).to.equal('failed');
    outbox.retry(clientId);
    await settle();
    expect(outbox.items).to.have.length(0);
    expect(server.visitorPosts).to.have.length(1);
  });

  it('records why a message was refused, persists it, and lets a failed message be edited or removed', async () => {
    const { outbox, server, storage } = setup();
    outbox.persist = true;
    outbox.attach(server, 'visitor');
    server.failNext('send', 'rejected', false, undefined, 413);
    server.failNext('send', 'rejected', false, undefined, 403);
    server.failNext('send', 'invalid');
    const a = outbox.enqueue('a');
    const b = outbox.enqueue('b');
    const c = outbox.enqueue('c');
    await settle();
    expect(outbox.items.map((i) => [i.state, i.failure])).to.deep.equal([
      ['failed', 'too_long'],
      ['failed', 'refused'],
      ['failed', 'invalid'],
    ]);
    expect(JSON.parse(storage.getItem('porthole:outbox:visitor')!).map((i: { failure: string }) => i.failure)).to.deep.equal([
      'too_long',
      'refused',
      'invalid',
    ]);
    expect(outbox.edit(a.clientId)).to.equal('a');
    outbox.remove(b.clientId);
    expect(outbox.items.map((i) => i.clientId)).to.deep.equal([c.clientId]);
    // A message still sending is neither edited nor removed.
    const release = server.hold();
    const d = outbox.enqueue('d');
    expect(outbox.edit(d.clientId)).to.equal(undefined);
    outbox.remove(d.clientId);
    expect(outbox.items.map((i) => i.clientId)).to.include(d.clientId);
    release();
    await settle();
    expect(server.visitorPosts.map((p) => p.text)).to.deep.equal(['d']);
  });

  it('retries network failures by itself with backoff and waits while paused', async () => {
    const { outbox, server, clock } = setup();
    outbox.attach(server, 'visitor');
    server.failNext('send', 'network');
    outbox.enqueue('x');
    await settle();
    expect(outbox.items[0].state).to.equal('sending');
    outbox.paused = true;
    await clock.tick(60_000);
    expect(server.visitorPosts).to.have.length(0);
    outbox.paused = false;
    await settle();
    expect(server.visitorPosts).to.have.length(1);
  });

  it('after a reload, resends a pending message without duplicating it (lost ack, past the dedupe window)', async () => {
    const storage = new MemoryStorage();
    const server = new MemoryTransport({ dedupeWindow: 0 });
    const clock = new FakeClock();
    // First page life: the post lands on the server but the answer is lost, then the tab dies.
    const a = setup(storage, server, clock);
    a.outbox.persist = true;
    a.outbox.attach(server, 'visitor');
    server.failNext('send', 'network', true);
    const { clientId } = a.outbox.enqueue('only once please');
    await settle();
    a.host.disconnect();
    expect(server.visitorPosts).to.have.length(1);
    expect(JSON.parse(storage.getItem('porthole:outbox:visitor')!)[0].clientId).to.equal(clientId);

    // Reload a minute later: the queue is restored, the channel is checked, nothing is re-posted.
    await clock.tick(60_000);
    const b = setup(storage, server, clock);
    b.outbox.persist = true;
    b.outbox.attach(server, 'visitor');
    await settle();
    expect(server.calls.filter((c) => c.startsWith('send:'))).to.have.length(1);
    expect(server.visitorPosts).to.have.length(1);
    expect(b.sent[0].clientId).to.equal(clientId);
    expect(b.outbox.items).to.have.length(0);
    expect(storage.getItem('porthole:outbox:visitor')).to.equal(null);
  });

  it('within the dedupe window resends with the same client id (the server de-duplicates)', async () => {
    const server = new MemoryTransport({ dedupeWindow: 30_000 });
    const { outbox, clock } = setup(new MemoryStorage(), server);
    outbox.attach(server, 'visitor');
    server.failNext('send', 'network', true);
    const { clientId } = outbox.enqueue('x');
    await settle();
    await clock.tick(5000);
    expect(server.calls.filter((c) => c === `send:${clientId}`)).to.have.length(2);
    expect(server.visitorPosts).to.have.length(1);
    expect(outbox.items).to.have.length(0);
  });

  it('keeps each visitor queue apart and clear() forgets it', async () => {
    const storage = new MemoryStorage();
    storage.setItem('porthole:outbox:other', JSON.stringify([{ clientId: 'c', text: 't', createdAt: 1, state: 'failed' }]));
    const { outbox, server } = setup(storage);
    outbox.persist = true;
    outbox.attach(server, 'visitor');
    expect(outbox.items).to.have.length(0);
    server.hold();
    outbox.enqueue('mine');
    expect(storage.getItem('porthole:outbox:visitor')).to.not.equal(null);
    outbox.clear();
    expect(storage.getItem('porthole:outbox:visitor')).to.equal(null);
    expect(storage.getItem('porthole:outbox:other')).to.not.equal(null);
  });

  it('ignores a corrupt stored queue', () => {
    const storage = new MemoryStorage();
    storage.setItem('porthole:outbox:visitor', '{"not":"a list"');
    const { outbox, server } = setup(storage);
    outbox.attach(server, 'visitor');
    expect(outbox.items).to.have.length(0);
  });

  it("does not send one visitor's queue as another visitor", async () => {
    const host = new TestHost();
    const storage = new MemoryStorage();
    const outbox = new OutboxController(host, { clock: new FakeClock(), storage });
    host.connect();
    outbox.persist = true;
    const a = new MemoryTransport();
    a.down = true;
    outbox.attach(a, 'visitor-a');
    outbox.enqueue('from A');
    await settle();
    const b = new MemoryTransport();
    outbox.attach(b, 'visitor-b');
    await settle();
    expect(outbox.items.map((i) => i.text)).to.deep.equal([]);
    expect(b.visitorPosts).to.have.length(0);
  });

  it('sends one message at a time, in the order they were written', async () => {
    const { outbox, server } = setup();
    outbox.attach(server, 'visitor');
    const release = server.hold();
    for (const t of ['one', 'two', 'three']) outbox.enqueue(t);
    await settle();
    expect(server.calls.filter((c) => c.startsWith('send:'))).to.have.length(1);
    release();
    await settle();
    await settle();
    expect(server.visitorPosts.map((p) => p.text)).to.deep.equal(['one', 'two', 'three']);
  });

  it('attaching another transport while a send is in flight aborts it; the message goes once, through the new one', async () => {
    const errors: unknown[] = [];
    const host = new TestHost();
    const outbox = new OutboxController(host, { clock: new FakeClock(), storage: new MemoryStorage(), onError: (e) => errors.push(e) });
    host.connect();
    const old = new MemoryTransport({ dedupeWindow: 0 });
    const release = old.hold();
    outbox.attach(old, 'visitor');
    outbox.enqueue('hello');
    await settle();
    expect(old.calls.filter((c) => c.startsWith('send:'))).to.have.length(1);
    const fresh = new MemoryTransport({ dedupeWindow: 0 });
    outbox.attach(fresh, 'visitor');
    release();
    await settle();
    expect(old.visitorPosts, 'the aborted request never reached the old server').to.have.length(0);
    expect(fresh.visitorPosts.map((p) => p.text)).to.deep.equal(['hello']);
    expect(outbox.items).to.have.length(0);
    expect(errors, 'an abort is not a failure').to.deep.equal([]);
  });

  it('clear() while a send is in flight: its answer does not bring the message back', async () => {
    const { outbox, server, sent } = setup();
    const release = server.hold();
    outbox.attach(server, 'visitor');
    outbox.enqueue('forget me');
    await settle();
    outbox.clear();
    release();
    await settle();
    expect(outbox.items).to.deep.equal([]);
    expect(sent).to.deep.equal([]);
  });

  it('keeps a rate-limited message sending and sends nothing before its Retry-After, whatever flushes meanwhile', async () => {
    const errors: unknown[] = [];
    const host = new TestHost();
    const clock = new FakeClock();
    const server = new MemoryTransport({ dedupeWindow: 0 });
    const outbox = new OutboxController(host, { clock, storage: new MemoryStorage(), onError: (e) => errors.push(e) });
    host.connect();
    outbox.attach(server, 'visitor');
    server.failNext('send', 'rate_limited', false, 20_000);
    outbox.enqueue('the 21st this minute');
    await settle();
    expect(outbox.items.map((i) => i.state)).to.deep.equal(['sending']);
    expect((errors[0] as TransportError).kind).to.equal('rate_limited');
    const sends = () => server.calls.filter((c) => c.startsWith('send:'));
    await clock.tick(5000); // far past the usual 0.5–1 s backoff
    outbox.enqueue('and the 22nd'); // a new message, the socket back, a probe: all flush
    outbox.flush();
    outbox.paused = true;
    outbox.paused = false;
    await clock.tick(14_000);
    expect(sends(), 'nothing before Retry-After').to.have.length(1);
    expect(outbox.items.map((i) => i.state)).to.deep.equal(['sending', 'sending']);
    await clock.tick(1000);
    await settle();
    expect(
      server.visitorPosts.map((p) => p.text),
      'in order, once the wait is over',
    ).to.deep.equal(['the 21st this minute', 'and the 22nd']);
    expect(outbox.items).to.have.length(0);
    expect(errors).to.have.length(1);
  });

  it('waits at least the usual backoff when a rate limit names a shorter (or no) Retry-After', async () => {
    const { outbox, server, clock } = setup();
    outbox.attach(server, 'visitor');
    server.failNext('send', 'rate_limited', false, 0);
    server.failNext('send', 'rate_limited');
    outbox.enqueue('x');
    await settle();
    // Tries so far 1: backoff(1) = 1000 ms × (0.5 + 0.5 / 2) with the fake clock's random 0.5.
    expect(clock.delays.at(-1)).to.equal(750);
    await clock.tick(749);
    outbox.flush();
    await settle();
    expect(server.calls.filter((c) => c.startsWith('send:'))).to.have.length(1);
    await clock.tick(1);
    expect(server.calls.filter((c) => c.startsWith('send:'))).to.have.length(2);
    expect(clock.delays.at(-1)).to.equal(1500);
    await clock.tick(1500);
    expect(server.visitorPosts).to.have.length(1);
  });

  it('keeps a message queued, not failed, when Mattermost refuses the token', async () => {
    const { outbox, server, clock } = setup();
    outbox.attach(server, 'visitor');
    server.failNext('send', 'auth');
    outbox.enqueue('after a token refresh');
    await settle();
    expect(outbox.items.map((i) => i.state)).to.deep.equal(['sending']);
    await clock.tick(10_000);
    await settle();
    expect(outbox.items).to.have.length(0);
    expect(server.visitorPosts.map((p) => p.text)).to.deep.equal(['after a token refresh']);
  });
});
