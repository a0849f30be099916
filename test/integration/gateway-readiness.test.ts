// `/readyz` of gateway instances on one REAL Redis, with the REAL Mattermost. The bot's socket: an instance whose
// socket cannot connect while another's can is taken out (503, scope instance) once the grace has
// passed, and nothing that breaks every instance's socket at once takes them all out. The broken
// socket is real: a proxy in front of Mattermost that passes REST and refuses WebSocket upgrades,
// the misconfiguration docs/operations.md describes. The store's data: when Redis loses it (here
// its keys deleted, as a restart without persistence or a flush leaves it), every instance says so.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { companionEnv } from '../../dev/companion-env.mjs';
import { up } from '../../dev/redis/index.mjs';
import {
  createCompanion,
  loadConfig,
  silentLogger,
  type Companion,
  type GatewayCompanionConfig,
  type Logger,
} from '../../src/server/index.ts';
import { captureLogger } from '../../src/server/test-support.ts';
import { waitUntil } from '../../src/server/gateway/test-support.ts';
import { mattermost } from '../support/mattermost.ts';

const GRACE_MS = 4000;
const prefix = `porthole-readiness-test-${randomUUID()}:`;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'porthole-readiness-'));
const companions: Companion[] = [];
let redisUrl: string;
let noUpgrades: http.Server;
let noUpgradesUrl: string;

/** A reverse proxy to Mattermost that passes every request and refuses every WebSocket upgrade. */
function proxyWithoutUpgrades(target: string): http.Server {
  const server = http.createServer((req, res) => {
    const upstream = http.request(new URL(req.url ?? '/', target), { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('upgrade', (_req, socket) => socket.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n'));
  return server;
}

before(async () => {
  ({ url: redisUrl } = await up({ log: () => {} }));
  const mm = await mattermost();
  noUpgrades = proxyWithoutUpgrades(mm.url);
  await new Promise<void>((resolve) => noUpgrades.listen(0, '127.0.0.1', resolve));
  noUpgradesUrl = `http://127.0.0.1:${(noUpgrades.address() as AddressInfo).port}`;
});

after(async () => {
  await Promise.all(companions.map((c) => c.stop()));
  noUpgrades?.close();
  const redis = new Redis(redisUrl);
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** A started gateway companion on the shared Redis; `through` is the Mattermost URL it uses. */
async function instance(through?: string, logger: Logger = silentLogger): Promise<Companion> {
  const mm = await mattermost();
  const config = loadConfig(
    companionEnv(mm, {
      PORTHOLE_MM_URL: through ?? mm.url,
      PORTHOLE_ALLOWED_ORIGINS: 'http://localhost:8090',
      PORTHOLE_COOKIE_SECRET: 'readiness-cookie-secret-readiness-cookie-0',
      PORTHOLE_TOKEN_SECRET: 'readiness-token-secret-readiness-token-012',
      PORTHOLE_DATA_DIR: dataDir,
      PORTHOLE_REDIS_URL: redisUrl,
      PORTHOLE_REDIS_PREFIX: prefix,
    }),
  ) as GatewayCompanionConfig;
  const companion = createCompanion(config, {
    logger,
    gateway: {
      storeEpochCheckMs: 200,
      botSocketGraceMs: GRACE_MS,
      botSocketReportMs: 200,
      connectWaitMs: through ? 300 : 10_000,
      botSocket: { minBackoffMs: 100, maxBackoffMs: 300 },
    },
  });
  companions.push(companion);
  await companion.start();
  return companion;
}

interface Readiness {
  status: number;
  body: { status: string; checks: { name: string; scope: string; ok: boolean }[] };
}

async function readyz(companion: Companion): Promise<Readiness> {
  const res = await companion.fetch(new Request('http://companion/readyz'));
  return { status: res.status, body: await res.json() };
}

const botSocketCheck = (r: Readiness) => r.body.checks.find((c) => c.name === 'bot_socket')!;

test('an instance whose bot socket cannot connect while another’s can: degraded during the grace, then 503 (its own fault); 200 again when the other has gone', async () => {
  const healthy = await instance();
  const created = Date.now();
  const broken = await instance(noUpgradesUrl);

  const early = await readyz(broken);
  // Within the grace (a loaded machine may take longer to start the instance: then only the rest is checked).
  if (Date.now() - created < GRACE_MS) {
    assert.equal(early.status, 200, JSON.stringify(early.body));
    assert.deepEqual(
      { ok: botSocketCheck(early).ok, scope: botSocketCheck(early).scope },
      { ok: false, scope: 'shared' },
      'within the grace: shared',
    );
  }

  await waitUntil(async () => (await readyz(broken)).status === 503, 20_000, 'the broken instance to answer 503');
  const late = await readyz(broken);
  assert.equal(late.body.status, 'not_ready');
  assert.equal(botSocketCheck(late).scope, 'instance');
  const fine = await readyz(healthy);
  assert.equal(fine.status, 200, JSON.stringify(fine.body));
  assert.equal(fine.body.status, 'ready');

  // The healthy instance stops and takes its report out: no evidence left that sockets connect.
  await healthy.stop();
  const alone = await readyz(broken);
  assert.equal(alone.status, 200, JSON.stringify(alone.body));
  assert.equal(botSocketCheck(alone).scope, 'shared');
});

test('when no instance’s bot socket can connect (the same broken proxy in front of every one), none leaves the load balancer', async () => {
  const one = await instance(noUpgradesUrl);
  const two = await instance(noUpgradesUrl);
  await new Promise((resolve) => setTimeout(resolve, 2 * GRACE_MS + 1000));
  for (const companion of [one, two]) {
    const r = await readyz(companion);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.status, 'degraded');
    assert.deepEqual({ ok: botSocketCheck(r).ok, scope: botSocketCheck(r).scope }, { ok: false, scope: 'shared' });
  }
});

test('when Redis loses the store’s data, every instance logs it and /readyz says so (200 degraded, store_data shared), then goes on with the new store', async () => {
  const logs = [captureLogger(), captureLogger()];
  const [one, two] = [await instance(undefined, logs[0]), await instance(undefined, logs[1])];
  for (const c of [one, two])
    assert.equal(
      (await readyz(c)).body.checks.some((check) => check.name === 'store_data'),
      false,
    );

  const redis = new Redis(redisUrl);
  try {
    const keys = await redis.keys(`${prefix}*`);
    assert.ok(
      keys.some((k) => k.endsWith('gw:store-epoch')),
      `the epoch is among ${JSON.stringify(keys)}`,
    );
    await redis.del(...keys); // what a restart without persistence, a FLUSHALL or evictions leave
  } finally {
    redis.disconnect();
  }

  for (const [i, c] of [one, two].entries()) {
    await waitUntil(
      async () => (await readyz(c)).body.checks.some((check) => check.name === 'store_data'),
      5000,
      `instance ${i + 1} to notice`,
    );
    const r = await readyz(c);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.status, 'degraded');
    assert.deepEqual(
      r.body.checks.filter((check) => check.name === 'store_data').map(({ ok, scope }) => ({ ok, scope })),
      [{ ok: false, scope: 'shared' }],
    );
    assert.equal(logs[i]!.entries.filter((e) => /Redis lost the store's data/.test(String(e.msg))).length, 1, logs[i]!.text());
  }
  await new Promise((resolve) => setTimeout(resolve, 600)); // three more checks each: the new epoch is taken, no second loss
  for (const log of logs) assert.equal(log.entries.filter((e) => /Redis lost the store's data/.test(String(e.msg))).length, 1);
});
