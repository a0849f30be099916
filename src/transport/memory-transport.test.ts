import { expect } from '@open-wc/testing';
import { MemoryTransport } from './memory-transport.js';
import type { TransportEvent } from './transport.js';

describe('MemoryTransport', () => {
  it('honours an AbortSignal: an aborted call rejects with an AbortError, even while held', async () => {
    const server = new MemoryTransport({ history: [{ text: 'hi' }] });
    const release = server.hold();
    const run = new AbortController();
    const held = server.send({ clientId: 'c1', text: 'never stored' }, run.signal).catch((e) => e);
    run.abort();
    expect((await held).name).to.equal('AbortError');
    release();
    expect(server.visitorPosts).to.deep.equal([]);
    expect((await server.latest(30, run.signal).catch((e) => e)).name, 'an already aborted signal').to.equal('AbortError');
    expect((await server.latest(30)).messages.map((m) => m.text)).to.deep.equal(['hi']);
  });

  it('refuse(): reconnecting and a refused event; the next token brings the socket back', () => {
    const server = new MemoryTransport();
    const events: TransportEvent[] = [];
    server.subscribe((e) => events.push(e));
    server.restore();
    server.setToken(); // not refused: nothing changes
    server.refuse('token_revoked');
    server.setToken();
    expect(events).to.deep.equal([
      { type: 'status', status: 'online' },
      { type: 'status', status: 'reconnecting' },
      { type: 'refused', reason: 'token_revoked' },
      { type: 'status', status: 'online' },
    ]);
  });
});
