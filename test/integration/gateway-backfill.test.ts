// Gateway mode when the network between the companion and the REAL Mattermost fails: a TCP proxy
// sits between them and is cut. What the bot's socket missed is backfilled, once; a send while
// Mattermost is unreachable fails cleanly and its retry posts once.
// Run: PORTHOLE_KEEP_MM=1 node --experimental-websocket --import tsx --test test/integration/gateway-backfill.test.ts
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { adminApi, mattermost, type MattermostInfo } from '../support/mattermost.ts';
import type { ServerFrame } from '../../src/server/gateway/index.ts';
import { GatewayFixture, LiveTestClient, mattermostAs, waitUntil, type ServedGateway } from '../../src/server/gateway/test-support.ts';

/** A TCP proxy on an ephemeral port that can reset every connection and refuse new ones. */
class CuttableProxy {
  private readonly server = net.createServer((client) => this.accept(client));
  private readonly sockets = new Set<net.Socket>();
  private cutOff = false;
  constructor(private readonly target: { host: string; port: number }) {}

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
  }

  private accept(client: net.Socket): void {
    if (this.cutOff) return void client.resetAndDestroy();
    const upstream = net.connect(this.target);
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => {});
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }

  cut(): void {
    this.cutOff = true;
    for (const s of this.sockets) s.resetAndDestroy();
  }

  restore(): void {
    this.cutOff = false;
  }

  close(): Promise<void> {
    this.cut();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

let mm: MattermostInfo;
let proxy: CuttableProxy;
let fixture: GatewayFixture;
let companion: ServedGateway;

before(async () => {
  mm = await mattermost();
  const target = new URL(mm.url);
  proxy = new CuttableProxy({ host: target.hostname, port: Number(target.port) });
  const proxied = await proxy.listen();
  fixture = new GatewayFixture(mm);
  companion = await fixture.serve({ mattermostUrl: proxied }, { botSocket: { minBackoffMs: 200, maxBackoffMs: 1000, heartbeatMs: 5000 } });
});

after(async () => {
  await fixture?.dispose();
  await proxy?.close();
});

const postedIds = (frames: ServerFrame[], type: string) => frames.flatMap((f) => (f.type === type && 'message' in f ? [f.message.id] : []));

describe('gateway mode across a cut between the companion and Mattermost', () => {
  it('backfills what the bot socket missed, delivering each post once', async () => {
    const visitor = fixture.visitor(companion);
    const { agent, session: s, root, reply } = await fixture.conversation(companion, 0, 'Cut Test', 'before the cut');
    const live = await LiveTestClient.ready(companion.url, s.token, mm.allowedOrigins[0]);

    const early = await reply('seen live');
    await live.next((f) => f.type === 'posted' && f.message.id === early.id);

    proxy.cut();
    await waitUntil(() => companion.gateway.status().botSocket !== 'connected', 10_000, 'the bot socket to drop');
    // Made while the companion cannot hear Mattermost (agents talk to Mattermost directly).
    const missed1 = await reply('missed one');
    const missed2 = await reply('missed two');
    await mattermostAs(mm.url, agent, 'PUT', `/posts/${early.id}/patch`, { message: 'seen live (edited while cut)' });
    // A visitor send now is stored by the companion (202 queued) and forwarded once Mattermost is back…
    const clientId = randomUUID();
    const queued = await visitor.call('POST', '/v1/messages', { token: s.token, body: { clientId, text: 'sent during the cut' } });
    assert.equal(queued.status, 202, JSON.stringify(queued.json));
    assert.equal(queued.json.queued.clientId, clientId);
    // …and a repeat of it (a reload's resend) is still one message.
    const again = await visitor.call('POST', '/v1/messages', { token: s.token, body: { clientId, text: 'sent during the cut' } });
    assert.equal(again.status, 202);

    proxy.restore();
    await waitUntil(() => companion.gateway.status().botSocket === 'connected', 15_000, 'the bot socket to reconnect');
    await live.next((f) => f.type === 'posted' && f.message.id === missed2.id, 10_000);
    await live.next((f) => f.type === 'edited' && f.message.id === early.id && f.message.text === 'seen live (edited while cut)');
    const forwarded = await live.next((f) => f.type === 'posted' && f.message.clientId === clientId, 15_000);
    if (forwarded.type !== 'posted') throw new Error(`expected a posted frame, received ${forwarded.type}`);
    const resent = forwarded.message;
    // A resend after delivery answers with the post, not a second copy. (Right after the post, until
    // the forwarder has recorded it and taken it off the queue, a resend may still answer 202 queued.)
    let late: { status: number; json: any } = { status: 0, json: undefined };
    await waitUntil(
      async () => {
        late = await visitor.call('POST', '/v1/messages', { token: s.token, body: { clientId, text: 'sent during the cut' } });
        assert.ok(late.status === 200 || late.status === 202, `a resend answered ${late.status} ${JSON.stringify(late.json)}`);
        return late.status === 200;
      },
      10_000,
      'a resend to answer with the post',
    );
    assert.equal(late.json.message.id, resent.id);
    // Give any duplicate the time to show up.
    await new Promise((r) => setTimeout(r, 1500));
    const posted = postedIds(live.frames, 'posted');
    for (const id of [early.id, missed1.id, missed2.id, resent.id])
      assert.equal(posted.filter((p) => p === id).length, 1, `post ${id} delivered once`);
    assert.deepEqual(
      posted.filter((id) => id === missed1.id || id === missed2.id),
      [missed1.id, missed2.id],
      'in order',
    );
    const thread = await adminApi('GET', `/posts/${root}/thread`);
    const copies = Object.values(thread.posts as Record<string, { props: Record<string, unknown> }>).filter(
      (p) => p.props?.porthole_client_id === clientId,
    );
    assert.equal(copies.length, 1, 'the retried send exists once in Mattermost');
    live.close();
  });
});
