// The gateway transport and store and forward (offline part): 202 `{queued}` is a queued send, and
// a 503 `mattermost_unavailable` carries its code so the widget can tell "Mattermost down" from "companion down".
import { expect } from '@open-wc/testing';
import { testSession } from '../testing/helpers.js';
import { GatewayTransport } from './gateway-transport.js';
import { isQueued, type TransportError } from './transport.js';

const json = (body: unknown, status: number) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
const transport = (answer: () => Response) =>
  new GatewayTransport(
    { ...testSession(), mode: 'gateway', serverUrl: 'https://companion.example' },
    { fetch: (async () => answer()) as typeof fetch },
  );

describe('GatewayTransport store and forward', () => {
  it('answers a 202 {queued} as a queued send', async () => {
    const t = transport(() => json({ queued: { clientId: 'c-1', createAt: 5 } }, 202));
    const answer = await t.send({ clientId: 'c-1', text: 'hello' });
    expect(isQueued(answer)).to.equal(true);
    expect(answer).to.deep.equal({ queued: { clientId: 'c-1', createAt: 5 } });
  });

  it('keeps the companion error code of a 503 (mattermost_unavailable)', async () => {
    const t = transport(() => json({ error: { code: 'mattermost_unavailable', message: 'The chat server is unreachable.' } }, 503));
    const e = (await t.latest(10).catch((err) => err)) as TransportError;
    expect(e.kind).to.equal('unavailable');
    expect(e.code).to.equal('mattermost_unavailable');
  });

  it('refuses a 202 that is not {queued}', async () => {
    const t = transport(() => json({ something: 'else' }, 202));
    const e = (await t.send({ clientId: 'c', text: 'x' }).catch((err) => err)) as TransportError;
    expect(e.kind).to.equal('invalid');
  });
});
