import { expect } from '@open-wc/testing';
import { FakeClock, settle } from '../testing/fake-clock.js';
import { TestHost } from '../testing/helpers.js';
import { MemoryTransport } from '../transport/memory-transport.js';
import type { ConnectionState } from '../transport/transport.js';
import { ConnectionController } from './connection-controller.js';

function setup() {
  const host = new TestHost();
  const clock = new FakeClock();
  const server = new MemoryTransport();
  const sockets: ConnectionState[] = [];
  const reported: ConnectionState[] = [];
  let polls = 0;
  const connection = new ConnectionController(host, {
    clock,
    onSocket: (s) => sockets.push(s),
    onChange: (s) => reported.push(s),
    poll: () => polls++,
  });
  host.connect();
  connection.attach(server);
  return { host, clock, server, connection, sockets, reported, polls: () => polls };
}

describe('ConnectionController', () => {
  it('reports the socket state, and offline only while the breaker is open', async () => {
    const { connection, server, sockets, reported } = setup();
    await settle();
    expect(reported).to.deep.equal(['connecting', 'online']);
    connection.health('failing');
    expect(connection.reported, 'REST failing, within the grace period').to.equal('reconnecting');
    connection.health('open');
    expect(connection.reported).to.equal('offline');
    server.drop();
    server.restore();
    expect(connection.reported, 'the socket changing does not hide an open breaker').to.equal('offline');
    // The breaker closes while the socket stayed online: back to online (it used to stay offline).
    connection.health('ok');
    expect(connection.reported).to.equal('online');
    expect(reported).to.deep.equal(['connecting', 'online', 'reconnecting', 'offline', 'online']);
    expect(sockets).to.deep.equal(['connecting', 'online', 'reconnecting', 'online']);
  });

  it('a socket-only drop is reconnecting, even once the socket says offline', async () => {
    const { connection, server, reported } = setup();
    await settle();
    server.drop(true);
    expect(connection.state).to.equal('offline');
    expect(connection.reported).to.equal('reconnecting');
    server.restore();
    expect(reported).to.deep.equal(['connecting', 'online', 'reconnecting', 'online']);
  });

  it('polls while the socket is down, and stops once it is back', async () => {
    const { clock, server, polls } = setup();
    await settle();
    await clock.tick(60_000);
    expect(polls(), 'not while online').to.equal(0);
    server.drop();
    await clock.tick(9_999);
    expect(polls()).to.equal(0);
    await clock.tick(1);
    expect(polls()).to.equal(1);
    await clock.tick(20_000);
    expect(polls()).to.equal(3);
    server.restore();
    await clock.tick(60_000);
    expect(polls()).to.equal(3);
    expect(clock.pending, 'no poll timer left').to.equal(0);
  });

  it("follows the browser's offline and online events: reconnecting and a poll at once, online again after", async () => {
    const { connection, reported, polls, clock } = setup();
    await settle();
    dispatchEvent(new Event('offline'));
    expect(connection.reported).to.equal('reconnecting');
    expect(polls()).to.equal(1);
    await clock.tick(10_000);
    expect(polls(), 'and every poll interval while offline').to.equal(2);
    dispatchEvent(new Event('online'));
    expect(connection.reported).to.equal('online');
    expect(reported).to.deep.equal(['connecting', 'online', 'reconnecting', 'online']);
    await clock.tick(60_000);
    expect(polls()).to.equal(2);
  });

  it('the host going away closes the connection, stops polling and listening', async () => {
    const { host, server, connection, polls, clock, reported } = setup();
    await settle();
    server.drop();
    host.disconnect();
    expect(server.state).to.equal('closed');
    expect(clock.pending).to.equal(0);
    dispatchEvent(new Event('offline'));
    dispatchEvent(new Event('online'));
    await clock.tick(60_000);
    expect(polls()).to.equal(0);
    expect(reported).to.deep.equal(['connecting', 'online', 'reconnecting']);
    host.connect();
    await settle();
    expect(connection.reported, 'connected again').to.equal('online');
  });

  it('with no transport, an open breaker still reports offline', () => {
    const host = new TestHost();
    const reported: ConnectionState[] = [];
    const connection = new ConnectionController(host, { onChange: (s) => reported.push(s) });
    host.connect();
    connection.health('failing');
    expect(reported).to.deep.equal([]);
    connection.health('open');
    expect(reported).to.deep.equal(['offline']);
  });
});
