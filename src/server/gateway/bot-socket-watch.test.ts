import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '../logger.js';
import { BotSocketWatch, REPORT_FRESH_MS, type BotSocketPeers, type PeerReport } from './bot-socket-watch.js';

const GRACE = 60_000;

/** Peers in memory, as the Redis hash holds them. */
class MemoryPeers implements BotSocketPeers {
  readonly map = new Map<string, PeerReport>();
  failing = false;
  async report(id: string, report: PeerReport) {
    if (this.failing) throw new Error('Redis is down');
    this.map.set(id, report);
  }
  async reports() {
    if (this.failing) throw new Error('Redis is down');
    return new Map(this.map);
  }
  async remove(id: string) {
    this.map.delete(id);
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
    reportEveryMs: 1_000_000, // the tests report by hand
  });
  return { clock, socket, watch, peers: peers as MemoryPeers };
}

describe('BotSocketWatch: is a bot socket that is down this instance’s own fault?', () => {
  it('no, while it has been down for less than the grace, even with a peer connected for long', async () => {
    const { clock, watch, peers } = rig();
    peers.map.set('b', { connectedSince: clock.t - 10 * GRACE, at: clock.t });
    clock.t += GRACE;
    assert.equal(await watch.ownFault(), false);
  });

  it('yes, once it has been down for longer than the grace while a peer has been connected that long', async () => {
    const { clock, watch, peers } = rig();
    clock.t += GRACE + 1;
    peers.map.set('b', { connectedSince: clock.t - GRACE - 1, at: clock.t });
    assert.equal(await watch.ownFault(), true);
  });

  it('no, when every instance is down at once (a Mattermost outage, a refused bot token, a proxy dropping upgrades)', async () => {
    const { clock, watch, peers } = rig();
    clock.t += 10 * GRACE;
    peers.map.set('b', { connectedSince: null, at: clock.t });
    peers.map.set('c', { connectedSince: null, at: clock.t });
    assert.equal(await watch.ownFault(), false);
  });

  it('no, after an outage, while the peers have been connected again for less than the grace: every socket gets its backoff', async () => {
    const { clock, watch, peers } = rig();
    clock.t += 10 * GRACE; // down for ten minutes, with Mattermost
    peers.map.set('b', { connectedSince: clock.t - GRACE / 2, at: clock.t });
    assert.equal(await watch.ownFault(), false);
    clock.t += GRACE; // b has now been connected 1.5 graces, and this one is still down
    peers.map.set('b', { connectedSince: clock.t - 1.5 * GRACE, at: clock.t });
    assert.equal(await watch.ownFault(), true);
  });

  it('no, when the only connected peer’s report is stale (an instance gone)', async () => {
    const { clock, watch, peers } = rig();
    clock.t += 10 * GRACE;
    peers.map.set('b', { connectedSince: clock.t - 5 * GRACE, at: clock.t - REPORT_FRESH_MS - 1 });
    assert.equal(await watch.ownFault(), false);
  });

  it('no, on its own report alone, without Redis, or when Redis cannot be read', async () => {
    const own = rig();
    own.clock.t += 10 * GRACE;
    own.peers.map.set('a', { connectedSince: own.clock.t - 5 * GRACE, at: own.clock.t });
    assert.equal(await own.watch.ownFault(), false, 'its own (old) report is no evidence');

    const alone = rig(undefined);
    alone.clock.t += 10 * GRACE;
    assert.equal(await alone.watch.ownFault(), false, 'without peers');

    const failing = rig();
    failing.clock.t += 10 * GRACE;
    failing.peers.map.set('b', { connectedSince: failing.clock.t - 5 * GRACE, at: failing.clock.t });
    failing.peers.failing = true;
    assert.equal(await failing.watch.ownFault(), false, 'Redis down');
  });

  it('no, while connected; and the grace starts again from each drop', async () => {
    const { clock, socket, watch, peers } = rig();
    socket.connected = true;
    clock.t += 10 * GRACE;
    peers.map.set('b', { connectedSince: clock.t - 5 * GRACE, at: clock.t });
    assert.equal(await watch.ownFault(), false);
    socket.connected = false;
    watch.sample(); // the socket dropped now
    clock.t += GRACE / 2;
    peers.map.set('b', { connectedSince: clock.t - 5 * GRACE, at: clock.t });
    assert.equal(await watch.ownFault(), false, 'down for half the grace');
    clock.t += GRACE;
    peers.map.set('b', { connectedSince: clock.t - 5 * GRACE, at: clock.t });
    assert.equal(await watch.ownFault(), true);
  });

  it('reports since when its socket is connected, prunes reports ten minutes old, and takes its own out at stop', async () => {
    const { clock, socket, watch, peers } = rig();
    peers.map.set('gone', { connectedSince: 1, at: clock.t - 11 * 60_000 });
    peers.map.set('recent', { connectedSince: null, at: clock.t - 60_000 });
    socket.connected = true;
    const since = clock.t;
    watch.start();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(peers.map.get('a'), { connectedSince: since, at: since });
    assert.equal(peers.map.has('gone'), false, 'pruned');
    assert.equal(peers.map.has('recent'), true, 'kept');
    await watch.stop();
    assert.equal(peers.map.has('a'), false);
  });
});
