// `porthole-server doctor` against the REAL Mattermost: its live checks send a real CORS preflight
// and a real WebSocket upgrade with each allowed origin, so an origin the server does not apply
// fails even where reading the config alone could not tell.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HttpMattermostAdmin, HttpOriginProber, runDoctor } from '../../src/server/index.ts';
import { mattermost } from '../support/mattermost.ts';

const LISTED = 'http://localhost:8090'; // one of the harness's dev origins (dev/mattermost/bootstrap.mjs)
const UNLISTED = 'https://shop.example.com';

test('the real prober: a listed origin passes the preflight and upgrades; an unlisted one gets neither', async () => {
  const mm = await mattermost();
  const prober = new HttpOriginProber({ mattermostUrl: mm.url });
  const ok = await prober.corsPreflight(LISTED);
  assert.equal(ok.allowOrigin, LISTED);
  assert.equal((await prober.webSocketUpgrade(LISTED)).status, 101);
  const refused = await prober.corsPreflight(UNLISTED);
  assert.equal(refused.allowOrigin ?? null, null, 'no Access-Control-Allow-Origin for an unlisted origin');
  assert.equal((await prober.webSocketUpgrade(UNLISTED)).status, 403);
});

test('doctor passes every check on the harness server and fails the live checks of an unlisted origin', async () => {
  const mm = await mattermost();
  const admin = new HttpMattermostAdmin({ url: mm.url, token: mm.adminToken });
  const good = await runDoctor(admin, { teamId: mm.teamId, allowedOrigins: [LISTED], mattermostUrl: mm.url });
  const failing = good.filter((c) => !c.ok);
  assert.deepEqual(failing, [], `failing checks on the harness server: ${JSON.stringify(failing)}`);
  assert.ok(good.some((c) => c.name === `CORS preflight from ${LISTED}`));
  assert.ok(good.some((c) => c.name === `WebSocket from ${LISTED}`));
  assert.ok(good.some((c) => /post username override/.test(c.name)));

  const bad = await runDoctor(admin, { teamId: mm.teamId, allowedOrigins: [UNLISTED], mattermostUrl: mm.url });
  const byName = new Map(bad.map((c) => [c.name, c]));
  for (const name of [`CORS preflight from ${UNLISTED}`, `WebSocket from ${UNLISTED}`]) {
    const check = byName.get(name);
    assert.ok(check, `a "${name}" check`);
    assert.equal(check.ok, false, `${name} fails`);
    assert.match(check.detail, /expected/i, `${name} says what was expected: ${check.detail}`);
  }
});
