// Gateway mode's operator side against the REAL Mattermost: `doctor` and `/readyz`.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { companionEnv } from '../../dev/companion-env.mjs';
import { createCompanion, loadConfig, runGatewayDoctor, silentLogger, type GatewayCompanionConfig } from '../../src/server/index.ts';
import { adminApi, mattermost } from '../support/mattermost.ts';

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

test('doctor (gateway, bot token): a real bot outside the support channel fails with what to change; once added it may post', async () => {
  const mm = await mattermost();
  const suffix = Math.random().toString(36).slice(2, 8);
  const channel = await adminApi<{ id: string }>('POST', '/channels', {
    team_id: mm.teamId,
    name: `doctor-${suffix}`,
    display_name: `doctor ${suffix}`,
    type: 'O',
  });
  const bot = await adminApi<{ user_id: string }>('POST', '/bots', { username: `doctor-bot-${suffix}`, display_name: 'Doctor test bot' });
  try {
    await adminApi('POST', `/teams/${mm.teamId}/members`, { team_id: mm.teamId, user_id: bot.user_id });
    const { token } = await adminApi<{ token: string }>('POST', `/users/${bot.user_id}/tokens`, { description: 'doctor test' });
    const config = { ...(await gatewayConfig()), adminToken: undefined, botToken: token, supportChannelId: channel.id };

    const outside = await runGatewayDoctor(config);
    const membership = outside.find((c) => c.name === 'bot in the support channel');
    assert.equal(membership?.ok, false, JSON.stringify(outside));
    assert.match(
      membership!.detail,
      new RegExp(`is not a member of doctor-${suffix} .*answered 40[34]\\): add the bot .*/invite @doctor-bot-${suffix}`),
    );

    await adminApi('POST', `/channels/${channel.id}/members`, { user_id: bot.user_id });
    const inside = await runGatewayDoctor(config);
    assert.deepEqual(
      inside.filter((c) => !c.ok),
      [],
      JSON.stringify(inside),
    );
    assert.match(inside.find((c) => c.name === 'bot may post in the support channel')!.detail, /create_post from its channel roles/);
    assert.match(inside.find((c) => c.name === 'agents in the support channel')!.detail, /see the visitors' threads/);
    // A bot token alone cannot erase: a warning (PORTHOLE_RETENTION_DAYS is 0 here).
    assert.equal(inside.find((c) => c.name === 'erasure possible')?.warning, true);
  } finally {
    await adminApi('DELETE', `/channels/${channel.id}?permanent=true`);
    await adminApi('DELETE', `/users/${bot.user_id}?permanent=true`);
  }
});
