import { expect } from '@open-wc/testing';
import { FakeClock, settle } from '../testing/fake-clock.js';
import { TestHost } from '../testing/helpers.js';
import type { Transport } from '../transport/transport.js';
import { AVATAR_RETRY, AvatarController } from './avatar-controller.js';

/** A transport whose avatar() answers `answer` (a blob, undefined, or an error to throw), counting calls. */
function fakeTransport(answer: () => Blob | undefined) {
  const t = {
    calls: 0,
    async avatar() {
      t.calls++;
      return answer();
    },
  };
  return t as typeof t & Transport;
}

describe('AvatarController', () => {
  it('asks once for a failing avatar across many renders; again after the backoff or with a new session', async () => {
    const clock = new FakeClock();
    const host = new TestHost();
    let transport = fakeTransport(() => {
      throw new Error('network');
    });
    const avatars = new AvatarController(host, () => transport, clock);
    host.connect();
    for (let i = 0; i < 50; i++) {
      expect(avatars.url('agent')).to.equal(undefined);
      await settle(1);
    }
    expect(transport.calls).to.equal(1);
    clock.time += AVATAR_RETRY - 1;
    avatars.url('agent');
    await settle();
    expect(transport.calls).to.equal(1);
    clock.time += 1;
    avatars.url('agent');
    avatars.url('agent');
    await settle();
    expect(transport.calls).to.equal(2);
    // A new session (another transport) asks again at once, and its image shows.
    transport = fakeTransport(() => new Blob(['x'], { type: 'image/png' }));
    avatars.url('agent');
    await settle();
    expect(avatars.url('agent')).to.match(/^blob:/);
    avatars.url('agent');
    expect(transport.calls).to.equal(1);
    host.disconnect();
  });

  it('asks once for a user with no image (404), however often rendered', async () => {
    const host = new TestHost();
    const transport = fakeTransport(() => undefined);
    const avatars = new AvatarController(host, () => transport, new FakeClock());
    host.connect();
    for (let i = 0; i < 10; i++) {
      avatars.url('agent');
      await settle(1);
    }
    expect(transport.calls).to.equal(1);
  });
});
