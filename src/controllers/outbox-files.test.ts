import { expect } from '@open-wc/testing';
import { FakeClock, settle } from '../testing/fake-clock.js';
import { MemoryStorage, TestHost } from '../testing/helpers.js';
import { MemoryTransport } from '../transport/memory-transport.js';
import { OutboxController } from './outbox-controller.js';

// Files (files-widget): a message with uploaded files goes through the outbox with their ids.
describe('OutboxController with files', () => {
  it('sends the file ids with the message, and persists them with the names across a reload', async () => {
    const storage = new MemoryStorage();
    const server = new MemoryTransport({ dedupeWindow: 0 });
    const f = server.addFile(new Blob(['x'], { type: 'text/plain' }), 'a.txt');
    const host = new TestHost();
    const outbox = new OutboxController(host, { clock: new FakeClock(), storage });
    host.connect();
    outbox.persist = true;
    server.down = true;
    outbox.attach(server, 'visitor');
    outbox.enqueue('', [{ id: f.id, name: f.name }]);
    await settle();
    const saved = JSON.parse(storage.getItem('porthole:outbox:visitor')!);
    expect([saved[0].fileIds, saved[0].fileNames]).to.deep.equal([[f.id], ['a.txt']]);
    // A reload: a new outbox reads the stored item back and sends it with its files.
    server.down = false;
    const host2 = new TestHost();
    const again = new OutboxController(host2, { clock: new FakeClock(), storage });
    host2.connect();
    again.attach(server, 'visitor');
    await settle();
    expect(server.visitorPosts.map((p) => p.files?.map((x) => x.name))).to.deep.equal([['a.txt']]);
  });

  it('edit gives back only the text of a failed message with files (documented: the files are attached again)', async () => {
    const server = new MemoryTransport({ dedupeWindow: 0 });
    const f = server.addFile(new Blob(['x'], { type: 'text/plain' }), 'a.txt');
    server.failNext('send', 'rejected');
    const host = new TestHost();
    const outbox = new OutboxController(host, { clock: new FakeClock(), storage: null });
    host.connect();
    outbox.attach(server, 'visitor');
    const item = outbox.enqueue('with a file', [{ id: f.id, name: f.name }], { email: 'a@b.c' });
    await settle();
    expect(outbox.items.map((i) => i.state)).to.deep.equal(['failed']);
    expect(outbox.edit(item.clientId)).to.equal('with a file');
    expect(outbox.items).to.have.length(0);
  });
});
