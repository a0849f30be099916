import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '../logger.js';
import { BotSocketWatch, type BotSocketPeers, type PeerReport } from './bot-socket-watch.js';

const GRACE = 60_000;
const REPORT_EVERY = 10_000;

/** Peers in memory, as the Redis hash holds them, on a shared clock of their own (Redis's). */
class MemoryPeers implements BotSocketPeers {
  readonly map = new Map<string, PeerReport>();
  shared = 5_000_000; // Redis's clock: not the instance's
  failing = false;
  async report(id: string, connectedForMs: number | null) {
    if (this.failing) throw new Error('Redis is down');
    this.map.set(id, { connectedForMs, at: this.shared });
  }
  async reports() {
    if (this.failing) throw new Error('Redis is down');
    return { now: this.shared, reports: new Map(this.map) };
  }
  async remove(id: string) {
    this.map.delete(id);
  }
  /** Another instance's report, `age` ms old on the shared clock. */
  peer(id: string, connectedForMs: number | null, age = 0) {
    this.map.set(id, { connectedForMs, at: this.shared - age });
  }
}

function rig(peers: BotSocketPeers | undefined = new MemoryPeers()) {
  const clock = { t: 1_000_000 };
  const socket = { connected: false };
  const watch = new BotSocketWatch({
    instanceId: 'a',
    isConnected: () => socket.connected,
    peers,
    graceMs: GRACE,
    now: () => clock.t,
    logger: silentLogger,
    reportEveryMs: REPORT_EVERY,
  });
  return { clock, socket, watch, peers: peers as MemoryPeers };
}

describe('BotSocketWatch: is a bot socket that is down this instance’s own fault?', () => {
  it('no, while it has been down for less than the grace, even with a peer connected for long', async () => {
    const { clock, watch, peers } = rig();
    peers.peer('b', 10 * GRACE);
    clock.t += GRACE;
    assert.equal(await watch.ownFault(), false);
  });

  it('yes, once it has been down for longer than the grace while a peer has been connected that long', async () => {
    const { clock, watch, peers } = rig();
    clock.t += GRACE + 1;
    peers.peer('b', GRACE + 1);
    assert.equal(await watch.ownFault(), true);
  });

  it('no, when every instance is down at once (a Mattermost outage, a refused bot token, a proxy dropping upgrades)', async () => {
    const { clock, watch, peers } = rig();
    clock.t += 10 * GRACE;
    peers.peer('b', null);
    peers.peer('c', null);
    assert.equal(await watch.ownFault(), false);
  });

  it('no, after an outage, while the peers have been connected again for less than the grace: every socket gets its backoff', async () => {
    const { clock, watch, peers } = rig();
    clock.t += 10 * GRACE; // down for ten minutes, with Mattermost
    peers.peer('b', GRACE / 2);
    assert.equal(await watch.ownFault(), false);
    clock.t += GRACE; // b has now been connected 1.5 graces, and this one is still down
    peers.peer('b', 1.5 * GRACE);
    assert.equal(await watch.ownFault(), true);
  });

  it('no, when the only connected peer’s report is over three report intervals old, or as far in the future (an instance gone, a skewed clock)', async () => {
    const { clock, watch, peers } = rig();
    clock.t += 10 * GRACE;
    peers.peer('b', 5 * GRACE, 3 * REPORT_EVERY + 1);
    assert.equal(await watch.ownFault(), false, 'stale');
    peers.peer('b', 5 * GRACE, -(3 * REPORT_EVERY + 1));
    assert.equal(await watch.ownFault(), false, 'from the future');
    peers.peer('b', 5 * GRACE, 3 * REPORT_EVERY);
    assert.equal(await watch.ownFault(), true, 'fresh enough');
  });

  it('no, on its own report alone, without Redis, or when Redis cannot be read', async () => {
    const own = rig();
    own.clock.t += 10 * GRACE;
    own.peers.peer('a', 5 * GRACE);
    assert.equal(await own.watch.ownFault(), false, 'its own (old) report is no evidence');

    const alone = rig(undefined);
    alone.clock.t += 10 * GRACE;
    assert.equal(await alone.watch.ownFault(), false, 'without peers');

    const failing = rig();
    failing.clock.t += 10 * GRACE;
    failing.peers.peer('b', 5 * GRACE);
    failing.peers.failing = true;
    assert.equal(await failing.watch.ownFault(), false, 'Redis down');
  });

  it('no, while connected; and the grace starts again from each drop', async () => {
    const { clock, socket, watch, peers } = rig();
    socket.connected = true;
    clock.t += 10 * GRACE;
    peers.peer('b', 5 * GRACE);
    assert.equal(await watch.ownFault(), false);
    socket.connected = false;
    watch.sample(); // the socket dropped now
    clock.t += GRACE / 2;
    assert.equal(await watch.ownFault(), false, 'down for half the grace');
    clock.t += GRACE;
    assert.equal(await watch.ownFault(), true);
  });

  it('reports how long its socket has been connected, prunes reports ten minutes old, and takes its own out at stop', async () => {
    const { clock, socket, watch, peers } = rig();
    peers.peer('gone', 1, 11 * 60_000);
    peers.peer('recent', null, 60_000);
    socket.connected = true;
    watch.sample();
    clock.t += 5_000;
    watch.start();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(peers.map.get('a'), { connectedForMs: 5_000, at: peers.shared });
    assert.equal(peers.map.has('gone'), false, 'pruned');
    assert.equal(peers.map.has('recent'), true, 'kept');
    await watch.stop();
    assert.equal(peers.map.has('a'), false);
  });
});
