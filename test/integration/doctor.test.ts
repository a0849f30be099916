// `porthole-server doctor` against the REAL Mattermost: its live checks send a real CORS preflight
// and a real WebSocket upgrade with each allowed origin, so an origin the server does not apply
// fails even where reading the config alone could not tell.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { companionEnv } from '../../dev/companion-env.mjs';
import { formatDoctor, HttpMattermostAdmin, HttpOriginProber, runDoctor } from '../../src/server/index.ts';
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

test('doctor (direct) checks agents and the inbox by id: the harness ones pass, made-up ones fail with what to change', async () => {
  const mm = await mattermost();
  const admin = new HttpMattermostAdmin({ url: mm.url, token: mm.adminToken });
  const base = { teamId: mm.teamId, allowedOrigins: [LISTED], mattermostUrl: mm.url, token: mm.adminToken };
  const good = await runDoctor(admin, { ...base, agentIds: mm.agents.map((a) => a.id), inboxChannelId: mm.inboxChannelId });
  assert.deepEqual(
    good.filter((c) => !c.ok),
    [],
    formatDoctor(good).join('\n'),
  );
  for (const agent of mm.agents)
    assert.match(good.find((c) => c.name === `agent ${agent.id}`)!.detail, new RegExp(`@${agent.username}, active`));
  assert.match(good.find((c) => c.name === 'inbox channel')!.detail, /may post there/);

  const madeUp = 'zzzzzzzzzzzzzzzzzzzzzzzzzz';
  const bad = await runDoctor(admin, { ...base, agentIds: [mm.agents[0]!.id, madeUp], inboxChannelId: madeUp });
  const failed = formatDoctor(bad.filter((c) => !c.ok));
  assert.deepEqual(
    failed,
    [
      `FAIL agent ${madeUp}: no such user (GET /users/${madeUp} answered 404): fix PORTHOLE_AGENT_IDS (comma-separated user ids, from System Console → Users)`,
      `FAIL inbox channel: channel ${madeUp} not found (GET /channels/${madeUp} answered 404): set PORTHOLE_INBOX_CHANNEL_ID to a channel of the support team (its id is under the channel name → View Info)`,
    ],
    formatDoctor(bad).join('\n'),
  );
});

test('the CLI writes doctor.run and config.loaded audit lines, names and outcomes only, never a secret', async () => {
  const mm = await mattermost();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'porthole-cli-audit-'));
  const auditFile = path.join(dir, 'audit.jsonl');
  const env = {
    ...process.env,
    ...companionEnv(mm, {
      PORTHOLE_MODE: 'direct',
      PORTHOLE_ALLOWED_ORIGINS: LISTED,
      PORTHOLE_COOKIE_SECRET: 'cli-audit-cookie-secret-cli-audit-cookie-secret',
      PORTHOLE_AUDIT_LOG: auditFile,
      PORTHOLE_PORT: '8831',
      PORTHOLE_AGENT_IDS: `${mm.agents[0]!.id},zzzzzzzzzzzzzzzzzzzzzzzzzz`,
    }),
  };
  const cli = path.resolve('src/server/cli.ts');
  try {
    const doctor = spawnSync(process.execPath, ['--import', 'tsx', cli, 'doctor'], { env, encoding: 'utf8', timeout: 60_000 });
    assert.equal(doctor.status, 1, `a made-up agent fails the run:\n${doctor.stdout}${doctor.stderr}`);
    assert.match(doctor.stdout, /^FAIL agent zzzzzzzzzzzzzzzzzzzzzzzzzz: no such user/m);
    assert.match(doctor.stdout, /^ok {3}redis: not used/m);

    // `serve` records the configuration it started with, then stops on SIGTERM.
    const serve = spawn(process.execPath, ['--import', 'tsx', cli, 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    serve.stdout.on('data', (chunk) => (output += chunk));
    serve.stderr.on('data', (chunk) => (output += chunk));
    const exited = new Promise((resolve) => serve.once('exit', resolve));
    try {
      const deadline = Date.now() + 30_000;
      while (!output.includes('porthole-server listening')) {
        if (Date.now() > deadline || serve.exitCode !== null) assert.fail(`serve did not start:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      serve.kill('SIGTERM');
      await exited;
    }

    const lines = fs
      .readFileSync(auditFile, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    // serve's first credential sweep may also revoke expired tokens of other suites' visitors.
    assert.deepEqual(
      lines.map((line) => line.action).filter((action) => action !== 'credential.revoked'),
      ['doctor.run', 'config.loaded'],
    );
    const [run, loaded] = lines;
    assert.equal(run.outcome, 'failed');
    assert.equal(run.actor, 'operator:cli');
    assert.deepEqual(run.detail.failedChecks, ['agent zzzzzzzzzzzzzzzzzzzzzzzzzz']);
    assert.equal(run.detail.mode, 'direct');
    assert.equal(loaded.detail.mode, 'direct');
    assert.ok(loaded.detail.variables.includes('PORTHOLE_MM_TOKEN=[redacted]'));
    assert.ok(loaded.detail.variables.includes('PORTHOLE_COOKIE_SECRET=[redacted]'));
    assert.ok(loaded.detail.variables.includes(`PORTHOLE_ALLOWED_ORIGINS=${LISTED}`));
    const text = fs.readFileSync(auditFile, 'utf8');
    for (const secret of [mm.adminToken, 'cli-audit-cookie-secret']) assert.ok(!text.includes(secret), 'no secret in the audit log');
    if (process.platform !== 'win32') assert.equal(fs.statSync(auditFile).mode & 0o777, 0o600);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// Files
test("doctor (direct) WARNs when Mattermost's FileSettings.MaxFileSize allows more than PORTHOLE_MAX_UPLOAD_BYTES, from the live config", async () => {
  const mm = await mattermost();
  const admin = new HttpMattermostAdmin({ url: mm.url, token: mm.adminToken });
  const maxFileSize = ((await admin.getConfig()) as { FileSettings: { MaxFileSize: number } }).FileSettings.MaxFileSize;
  const base = { teamId: mm.teamId, allowedOrigins: [LISTED], mattermostUrl: mm.url };
  const above = (await runDoctor(admin, { ...base, uploads: { maxBytes: maxFileSize - 1, types: ['image/png'] } })).find(
    (c) => c.name === 'file size limit',
  );
  assert.ok(above, 'a "file size limit" check');
  assert.equal(above.ok, true);
  assert.equal(above.warning, true);
  assert.match(
    above.detail,
    new RegExp(`FileSettings.MaxFileSize=${maxFileSize} is more than PORTHOLE_MAX_UPLOAD_BYTES=${maxFileSize - 1}`),
  );
  const within = (await runDoctor(admin, { ...base, uploads: { maxBytes: maxFileSize, types: ['image/png'] } })).find(
    (c) => c.name === 'file size limit',
  );
  assert.equal(within?.warning, undefined);
  assert.equal(within?.ok, true);
});
