import { expect } from '@open-wc/testing';
import { FakeClock, settle } from '../testing/fake-clock.js';
import { TestHost } from '../testing/helpers.js';
import { HealthController } from './health-controller.js';

describe('HealthController', () => {
  function setup() {
    const host = new TestHost();
    const clock = new FakeClock();
    let up = false;
    let probes = 0;
    const changes: boolean[] = [];
    const health = new HealthController(host, {
      clock,
      probe: async () => {
        probes++;
        if (!up) throw new Error('down');
      },
      onChange: (o) => changes.push(o),
    });
    host.connect();
    return { host, clock, health, changes, setUp: (v: boolean) => (up = v), probes: () => probes };
  }

  it('opens after three failures in a row, probes with growing delays, closes when a probe succeeds', async () => {
    const { clock, health, changes, setUp, probes } = setup();
    health.failure();
    health.failure();
    expect(health.open).to.equal(false);
    health.failure();
    expect(health.open).to.equal(true);
    expect(changes).to.deep.equal([true]);
    await clock.tick(750); // first probe: backoff(0) = 1000 · 0.75
    expect(probes()).to.equal(1);
    await clock.tick(1499);
    expect(probes(), 'second probe waits longer').to.equal(1);
    await clock.tick(1);
    expect(probes()).to.equal(2);
    setUp(true);
    await clock.tick(60_000);
    expect(health.open).to.equal(false);
    expect(changes).to.deep.equal([true, false]);
  });

  it('a probe still running when a success is reported is aborted, and its late failure ignored', async () => {
    const host = new TestHost();
    const clock = new FakeClock();
    const probes: Array<{ signal: AbortSignal; fail: () => void }> = [];
    const changes: boolean[] = [];
    const health = new HealthController(host, {
      clock,
      probe: (signal) => new Promise<void>((_, reject) => probes.push({ signal, fail: () => reject(new Error('down')) })),
      onChange: (open) => changes.push(open),
    });
    host.connect();
    health.failure(true);
    await clock.tick(750);
    expect(probes).to.have.length(1);
    health.success(); // e.g. the socket came back meanwhile
    expect(probes[0].signal.aborted).to.equal(true);
    probes[0].fail();
    await clock.tick(120_000);
    expect(health.open).to.equal(false);
    expect(changes).to.deep.equal([true, false]);
    expect(probes, 'no probe scheduled by the stale failure').to.have.length(1);
  });

  it('a newer probe aborts the one before; a probe rejecting with an AbortError counts neither way', async () => {
    const host = new TestHost();
    const clock = new FakeClock();
    const signals: AbortSignal[] = [];
    const health = new HealthController(host, {
      clock,
      probe: (signal) => (signals.push(signal), Promise.reject(new DOMException('superseded', 'AbortError'))),
    });
    host.connect();
    health.failure(true);
    void health.retry();
    void health.retry();
    await settle();
    expect(signals.map((s) => s.aborted)).to.deep.equal([true, false]);
    await clock.tick(120_000);
    expect(health.open, 'still open: nothing said the service is back').to.equal(true);
    expect(signals, 'and no failure counted to schedule another probe').to.have.length(2);
  });

  it('a decisive failure opens at once; retry() probes immediately; disconnect stops probing', async () => {
    const { clock, health, host, probes, setUp } = setup();
    health.failure(true);
    expect(health.open).to.equal(true);
    await health.retry();
    expect(probes()).to.equal(1);
    host.disconnect();
    await clock.tick(120_000);
    expect(probes()).to.equal(1);
    setUp(true);
    await health.retry();
    expect(health.open).to.equal(false);
  });

  it('with a grace period, failures open the breaker only once they have gone on that long', async () => {
    const host = new TestHost();
    const clock = new FakeClock();
    const states: string[] = [];
    const health = new HealthController(host, {
      clock,
      grace: 10_000,
      probe: async () => {
        throw new Error('down');
      },
      onStateChange: (s) => states.push(s),
    });
    host.connect();
    health.failure();
    expect(health.state).to.equal('failing');
    // Probes at 750, 2250 and 5250 ms fail: three in a row, but within the grace period.
    await clock.tick(5250);
    expect(health.open).to.equal(false);
    expect(states).to.deep.equal(['failing']);
    await clock.tick(6000); // the next probe, 11 250 ms after the first failure
    expect(health.open).to.equal(true);
    expect(states).to.deep.equal(['failing', 'open']);
    health.success();
    expect(states).to.deep.equal(['failing', 'open', 'ok']);
    // A decisive failure does not wait.
    health.failure(true);
    expect(health.open).to.equal(true);
  });

  it('a success within the grace period ends the streak: the next failure starts a new one', async () => {
    const host = new TestHost();
    const clock = new FakeClock();
    const health = new HealthController(host, { clock, grace: 10_000, probe: () => new Promise<void>(() => {}) });
    host.connect();
    health.failure();
    health.failure();
    await clock.tick(9000);
    health.success();
    expect(health.state).to.equal('ok');
    await clock.tick(5000);
    health.failure();
    health.failure();
    health.failure();
    expect(health.open, 'three in a row, but only just started').to.equal(false);
    await clock.tick(10_000);
    health.failure();
    expect(health.open).to.equal(true);
  });

  it('retry() says it is running and, when it did not help, that it failed', async () => {
    const { health, host, setUp } = setup();
    health.failure(true);
    const updates = host.updates;
    const running = health.retry();
    expect(health.retrying).to.equal(true);
    expect(host.updates).to.be.greaterThan(updates);
    await running;
    expect(health.retrying).to.equal(false);
    expect(health.retryFailed).to.equal(true);
    setUp(true);
    const second = health.retry();
    expect(health.retryFailed, 'cleared while trying again').to.equal(false);
    await second;
    expect(health.retrying).to.equal(false);
    expect(health.retryFailed).to.equal(false);
    expect(health.open).to.equal(false);
  });

  it('only the newest retry ends `retrying`', async () => {
    const host = new TestHost();
    const clock = new FakeClock();
    const answers: Array<() => void> = [];
    const health = new HealthController(host, {
      clock,
      probe: (signal) =>
        new Promise<void>((resolve, reject) => {
          answers.push(resolve);
          signal.addEventListener('abort', () => reject(new DOMException('superseded', 'AbortError')));
        }),
    });
    host.connect();
    health.failure(true);
    const first = health.retry();
    const second = health.retry();
    await first; // aborted by the second
    expect(health.retrying).to.equal(true);
    answers[1]();
    await second;
    expect(health.retrying).to.equal(false);
    expect(health.open).to.equal(false);
  });

  it("the browser's online event probes at once while failing, and not after disconnect", async () => {
    const { health, host, probes, setUp } = setup();
    dispatchEvent(new Event('online'));
    await settle();
    expect(probes(), 'nothing failing: no probe').to.equal(0);
    health.failure(true);
    setUp(true);
    dispatchEvent(new Event('online'));
    await settle();
    expect(probes()).to.equal(1);
    expect(health.open).to.equal(false);
    health.failure(true);
    host.disconnect();
    dispatchEvent(new Event('online'));
    await settle();
    expect(probes()).to.equal(1);
  });
});
