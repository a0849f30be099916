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
      ['mattermost_ping', 'admin_token', 'team', 'user_headroom'],
    );
    assert.equal(body.users.limit, 250);
    assert.equal(body.users.headroom, 250 - body.users.active);
  });

  it('GET /readyz is 503 naming the failed check', async () => {
    const { companion, mm } = testCompanion({ production: true });
    mm.failWith = new MattermostError(0, undefined, 'connect ECONNREFUSED 10.1.2.3:8065');
    const res = await get(companion, '/readyz');
    assert.equal(res.status, 503);
    const text = await res.text();
    const body = JSON.parse(text);
    assert.equal(body.status, 'not_ready');
    assert.equal(body.checks[0].name, 'mattermost_ping');
    assert.equal(body.checks[0].ok, false);
    assert.ok(!text.includes('10.1.2.3'), 'no internals in production');
  });

  it('GET /readyz is 503 when the team is missing or no user slot is left', async () => {
    const t = testCompanion({ teamId: 'missingmissingmissingmiss1' });
    const r1 = await (await get(t.companion, '/readyz')).json();
    assert.equal(r1.checks.find((c: { name: string }) => c.name === 'team').ok, false);

    const full = testCompanion();
    full.mm.hardLimit = full.mm.users.size;
    const res = await get(full.companion, '/readyz');
    assert.equal(res.status, 503);
    const body = await res.json();
    assert.equal(body.checks.find((c: { name: string }) => c.name === 'user_headroom').ok, false);
  });

  it('unknown routes are a JSON 404', async () => {
    const { companion } = testCompanion();
    const res = await get(companion, '/nope');
    assert.equal(res.status, 404);
    assert.equal((await res.json()).error.code, 'not_found');
  });
});
