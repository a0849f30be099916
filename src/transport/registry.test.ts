import { expect } from '@open-wc/testing';
import { testSession } from '../testing/helpers.js';
import { GatewayTransport } from './gateway-transport.js';
import { MattermostTransport } from './mattermost-transport.js';
import { MemoryTransport } from './memory-transport.js';
import { defaultTransports, transportByMode } from './registry.js';
import { TransportError } from './transport.js';

describe('transportByMode', () => {
  it("builds each session's transport with the factory of its mode", async () => {
    const direct = new MemoryTransport();
    const gateway = new MemoryTransport();
    const factory = transportByMode({ direct: () => direct, gateway: async () => gateway });
    expect(await factory(testSession())).to.equal(direct);
    expect(await factory(testSession({ mode: 'gateway' }))).to.equal(gateway);
  });

  it('refuses a mode it has no transport for, naming the mode and the ones it has', async () => {
    const err = await Promise.resolve(transportByMode({ direct: () => new MemoryTransport() })(testSession({ mode: 'gateway' }))).catch(
      (e) => e,
    );
    expect(err).to.be.instanceOf(TransportError);
    expect(err.kind).to.equal('invalid');
    expect(err.message).to.contain('"gateway"').and.contain('direct');
  });

  it('by default loads the Mattermost transport for direct mode on first use', async () => {
    const transport = await transportByMode(defaultTransports)(testSession());
    expect(transport).to.be.instanceOf(MattermostTransport);
    transport.disconnect();
  });

  it('by default loads the gateway transport for gateway mode on first use', async () => {
    const transport = await transportByMode(defaultTransports)(testSession({ mode: 'gateway' }));
    expect(transport).to.be.instanceOf(GatewayTransport);
    transport.disconnect();
  });
});
