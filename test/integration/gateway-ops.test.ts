// Gateway mode's operator side against the REAL Mattermost: `doctor` and `/readyz`.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { companionEnv } from '../../dev/companion-env.mjs';
import { createCompanion, loadConfig, runGatewayDoctor, silentLogger, type GatewayCompanionConfig } from '../../src/server/index.ts';
import { mattermost } from '../support/mattermost.ts';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'porthole-gateway-ops-'));
after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

async function gatewayConfig(): Promise<GatewayCompanionConfig> {
  const config = loadConfig(
    companionEnv(await mattermost(), {
      PORTHOLE_ALLOWED_ORIGINS: 'http://localhost:8090',
      PORTHOLE_COOKIE_SECRET: 'ops-cookie-secret-ops-cookie-secret-012345',
      PORTHOLE_TOKEN_SECRET: 'ops-token-secret-ops-token-secret-0123456',
      PORTHOLE_DATA_DIR: dataDir,
    }),
  );
  assert.equal(config.mode, 'gateway', 'gateway is the default mode');
  return config as GatewayCompanionConfig;
}

test('doctor (gateway): every check passes on the harness server; an unknown support channel fails with what to change', async () => {
  const config = await gatewayConfig();
  const good = await runGatewayDoctor(config);
  assert.deepEqual(
    good.filter((c) => !c.ok),
    [],
    JSON.stringify(good),
  );
  for (const name of ['admin token', 'support channel', 'post username override enabled', 'post icon override enabled', 'bot account'])
    assert.ok(
      good.some((c) => c.name === name),
      `a "${name}" check`,
    );

  const bad = await runGatewayDoctor({ ...config, supportChannelId: 'aaaaaaaaaaaaaaaaaaaaaaaaaa' });
  const support = bad.find((c) => c.name === 'support channel');
  assert.equal(support?.ok, false);
  assert.match(support!.detail, /not found/);
});

test('readyz (gateway): 503 "starting" before start(), 200 with Mattermost, the gateway and the bot socket once started', async () => {
  const companion = createCompanion(await gatewayConfig(), { logger: silentLogger });
  const before = await companion.fetch(new Request('http://companion/readyz'));
  assert.equal(before.status, 503);
  assert.ok((await before.json()).checks.some((c: { name: string; ok: boolean }) => c.name === 'gateway' && !c.ok));
  await companion.start();
  try {
    const res = await companion.fetch(new Request('http://companion/readyz'));
    const body = await res.json();
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.deepEqual(
      body.checks.map((c: { name: string }) => c.name),
      ['draining', 'mattermost_ping', 'gateway', 'bot_socket'],
    );
  } finally {
    await companion.stop();
  }
});
