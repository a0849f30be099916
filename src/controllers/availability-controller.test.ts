import { expect } from '@open-wc/testing';
import { FakeClock, settle } from '../testing/fake-clock.js';
import type { Availability } from '../transport/transport.js';
import { availabilityResponseSchema } from '../protocol/gateway.js';
import { AvailabilityController, companionAvailability, readAvailability } from './availability-controller.js';

const host = () => {
  let updates = 0;
  return {
    addController() {},
    removeController() {},
    requestUpdate: () => updates++,
    updateComplete: Promise.resolve(true),
    updates: () => updates,
  };
};
const team = (state: Availability['state']): Availability => ({ state, fields: [], emailReplies: false });

describe('AvailabilityController', () => {
  it('asks on start, again every minute, and not after stop', async () => {
    const clock = new FakeClock();
    let state: Availability['state'] = 'online';
    let asked = 0;
    const h = host();
    const c = new AvailabilityController(h, { clock, source: () => async () => (asked++, team(state)) });
    c.start();
    await settle();
    expect(c.value?.state).to.equal('online');
    state = 'away';
    await clock.tick(60_000);
    expect(c.value?.state).to.equal('away');
    expect(asked).to.equal(2);
    c.stop();
    await clock.tick(180_000);
    expect(asked).to.equal(2);
  });

  it('aborts a request in flight on stop and discards its answer; a failure keeps the last answer', async () => {
    const clock = new FakeClock();
    let signal!: AbortSignal;
    let fail = false;
    const c = new AvailabilityController(host(), {
      clock,
      source: () => (s) => {
        signal = s;
        return fail ? Promise.reject(new Error('down')) : new Promise((r) => setTimeout(() => r(team('closed')), 20));
      },
    });
    c.start();
    c.stop();
    expect(signal.aborted).to.equal(true);
    await new Promise((r) => setTimeout(r, 40));
    expect(c.value).to.equal(undefined);
    c.start();
    await new Promise((r) => setTimeout(r, 40));
    expect(c.value?.state).to.equal('closed');
    fail = true;
    await clock.tick(60_000);
    expect(c.value?.state).to.equal('closed');
    c.hostDisconnected();
    expect(clock.pending).to.equal(0);
  });

  it('counts the expected reply in characters (code points) as the companion does: 200 emoji pass, 201 do not', () => {
    const base = { state: 'offline', fields: [], emailReplies: false };
    for (const [expectedReply, ok] of [
      ['😀'.repeat(150), true],
      ['😀'.repeat(200), true],
      ['😀'.repeat(201), false],
      ['a'.repeat(200), true],
      ['a'.repeat(201), false],
    ] as const) {
      const v = { ...base, expectedReply };
      expect(readAvailability(v)?.expectedReply, `direct, ${[...expectedReply].length}`).to.equal(ok ? expectedReply : undefined);
      expect(availabilityResponseSchema.safeParse(v).success, `gateway, ${[...expectedReply].length}`).to.equal(ok);
    }
  });

  it('direct mode: asks the companion next to token-url and refuses what is not an availability', async () => {
    const real = window.fetch;
    const urls: string[] = [];
    let body: unknown = team('offline');
    window.fetch = (async (url: string, init: RequestInit) => {
      urls.push(`${url} ${init.credentials}`);
      return new Response(JSON.stringify(body), { status: 200 });
    }) as typeof fetch;
    try {
      const source = companionAvailability('https://shop.example.com/porthole/v1/session');
      expect((await source(new AbortController().signal)).state).to.equal('offline');
      expect(urls).to.deep.equal(['https://shop.example.com/porthole/v1/availability omit']);
      body = { state: 'party', fields: [], emailReplies: false };
      let error: unknown;
      await source(new AbortController().signal).catch((e) => (error = e));
      expect(String(error)).to.contain('without an availability');
    } finally {
      window.fetch = real;
    }
  });
});
