// A real companion for the schemathesis run (test/schemathesis/run.mjs): gateway or direct mode
// against the harness's Mattermost, on the port given, with rate limits raised so the fuzzing
// reaches the routes instead of the limits, and `/metrics` mounted. Prints one JSON line
// `{"ready": url}` once it serves; on SIGTERM/SIGINT it stops, deletes its bot (gateway) and its
// data directory, and exits.
//
// Usage: node --import tsx test/schemathesis/companion.ts <gateway|direct> <port> <metrics token>
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { companionEnv } from '../../dev/companion-env.mjs';
import { createCompanion, loadConfig, serve, silentLogger } from '../../src/server/index.ts';
import { mattermost } from '../support/mattermost.ts';

const [mode, portText, metricsToken] = process.argv.slice(2);
if ((mode !== 'gateway' && mode !== 'direct') || !/^\d+$/.test(portText ?? '') || !metricsToken) {
  console.error(`Usage: companion.ts <gateway|direct> <port> <metrics token>; received ${JSON.stringify(process.argv.slice(2))}.`);
  process.exit(2);
}

async function main(): Promise<void> {
  const mm = await mattermost();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `porthole-schemathesis-${mode}-`));
  const botUsername = `porthole-st-${crypto.randomUUID().slice(0, 8)}`;
  const config = loadConfig(
    companionEnv(mm, {
      PORTHOLE_MODE: mode,
      PORTHOLE_PORT: portText,
      PORTHOLE_ALLOWED_ORIGINS: mm.allowedOrigins.join(','),
      PORTHOLE_COOKIE_SECRET: `st-cookie-${crypto.randomUUID()}`,
      PORTHOLE_TOKEN_SECRET: `st-token-${crypto.randomUUID()}`,
      PORTHOLE_IDENTITY_SECRET: `st-identity-${crypto.randomUUID()}`,
      PORTHOLE_METRICS_TOKEN: metricsToken,
      PORTHOLE_DATA_DIR: dataDir,
      PORTHOLE_BOT_USERNAME: botUsername,
      PORTHOLE_RATE_LIMIT_PER_MINUTE: '100000',
      PORTHOLE_SITE_SESSIONS_PER_MINUTE: '1000000',
      PORTHOLE_MESSAGES_PER_MINUTE: '10000',
      PORTHOLE_TYPING_PER_MINUTE: '10000',
      PORTHOLE_ADDRESS_SENDS_PER_MINUTE: '1000000',
      PORTHOLE_READS_PER_MINUTE: '100000',
      PORTHOLE_LIVE_CONNECTS_PER_MINUTE: '100000',
      PORTHOLE_NEW_CONVERSATIONS_PER_MINUTE: '100000',
      // Files: reach the upload route, not its limit.
      PORTHOLE_UPLOADS_PER_MINUTE: '10000',
    }),
  );

  const companion = createCompanion(config, { logger: silentLogger });
  const running = await serve(companion, { port: Number(portText), host: '127.0.0.1' });
  await companion.start();
  console.log(JSON.stringify({ ready: running.url }));

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      try {
        await companion.stop();
        await running.close();
        if (mode === 'gateway') {
          // The bot this run created (its posts go with the conversation the runner erases).
          const res = await fetch(`${mm.url}/api/v4/users/username/${botUsername}`, {
            headers: { Authorization: `Bearer ${mm.adminToken}` },
          });
          if (res.ok) {
            const bot = (await res.json()) as { id: string };
            await fetch(`${mm.url}/api/v4/users/${bot.id}?permanent=true`, {
              method: 'DELETE',
              headers: { Authorization: `Bearer ${mm.adminToken}` },
            });
          }
        }
      } finally {
        fs.rmSync(dataDir, { recursive: true, force: true });
        process.exit(0);
      }
    })());
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exit(1);
});
