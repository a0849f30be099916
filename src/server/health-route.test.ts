import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MattermostError } from './mattermost-admin.js';
import { testCompanion } from './test-support.js';

const get = (c: ReturnType<typeof testCompanion>['companion'], path: string) => c.fetch(new Request(`http://companion.test${path}`));

describe('health and readiness', () => {
  it('GET /healthz is 200 {status:"ok"} without touching Mattermost', async () => {
    const { companion, mm } = testCompanion();
    mm.failWith = new Error('down');
    const res = await get(companion, '/healthz');
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok' });
  });

  it('GET /readyz is 200 with the user headroom when everything answers', async () => {
    const { companion } = testCompanion();
    const res = await get(companion, '/readyz');
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.status, 'ready');
    assert.deepEqual(
      body.checks.map((c: { name: string }) => c.name),
      ['draining', 'mattermost_ping', 'admin_token', 'team', 'user_headroom'],
    );
    assert.equal(body.users.limit, 250);
    assert.equal(body.users.headroom, 250 - body.users.active);
  });

  it('GET /readyz stays 200, degraded, naming the failed check, when Mattermost is down for every instance', async () => {
    const { companion, mm } = testCompanion({ production: true });
    mm.failWith = new MattermostError(0, undefined, 'connect ECONNREFUSED 10.1.2.3:8065');
    const res = await get(companion, '/readyz');
    assert.equal(res.status, 200, 'a shared outage must not take every instance out of the load balancer');
    const text = await res.text();
    const body = JSON.parse(text);
    assert.equal(body.status, 'degraded');
    const ping = body.checks.find((c: { name: string }) => c.name === 'mattermost_ping');
    assert.deepEqual([ping.ok, ping.scope], [false, 'shared']);
    assert.ok(!text.includes('10.1.2.3'), 'no internals in production');
  });

  it('GET /readyz reports a missing team and full seats as degraded, with the headroom in its details', async () => {
    const t = testCompanion({ teamId: 'missingmissingmissingmiss1' });
    const r1 = await (await get(t.companion, '/readyz')).json();
    assert.equal(r1.checks.find((c: { name: string }) => c.name === 'team').ok, false);

    const full = testCompanion();
    full.mm.hardLimit = full.mm.users.size;
    const res = await get(full.companion, '/readyz');
    assert.equal(res.status, 200, "full seats are every instance's problem: no 503");
    const body = await res.json();
    assert.equal(body.status, 'degraded');
    assert.equal(body.checks.find((c: { name: string }) => c.name === 'user_headroom').ok, false);
    assert.equal(body.users.headroom, 0);
  });

  it('GET /readyz is 503 draining once the instance drains', async () => {
    const { companion } = testCompanion();
    assert.equal((await get(companion, '/readyz')).status, 200);
    await companion.drain();
    const res = await get(companion, '/readyz');
    assert.equal(res.status, 503);
    const body = await res.json();
    assert.equal(body.status, 'not_ready');
    assert.deepEqual(body.checks[0], {
      name: 'draining',
      scope: 'instance',
      ok: false,
      message: 'this instance is shutting down; its visitors reconnect to another one',
    });
  });

  it('unknown routes are a JSON 404', async () => {
    const { companion } = testCompanion();
    const res = await get(companion, '/nope');
    assert.equal(res.status, 404);
    assert.equal((await res.json()).error.code, 'not_found');
  });
});
