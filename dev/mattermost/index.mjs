// The Mattermost harness: one call gives a running, bootstrapped server and its details.
import fs from 'node:fs';
import { bootstrap } from './bootstrap.mjs';
import { ensureBuilt } from './build.mjs';
import { HarnessError, loadConfig } from './config.mjs';
import { pin } from './pin.mjs';
import { ensurePostgres, stopPostgres } from './postgres.mjs';
import { ensureServer, ping, serverPid, stopServer } from './server.mjs';
import { isAlive, sleep } from './system.mjs';

export { HarnessError, loadConfig };

/**
 * Starts (or reuses) the server, bootstraps it and returns the contents of `.porthole/mattermost.json`,
 * plus `startedServer` (whether this call started it, so the caller knows to stop it again).
 */
export async function up({ log = console.error } = {}) {
  const cfg = loadConfig();
  let startedServer = false;
  if (cfg.external) {
    if (!(await ping(cfg.external.url, 5000))) {
      throw new HarnessError(`PORTHOLE_MM_URL=${cfg.external.url} does not answer /api/v4/system/ping`);
    }
  } else {
    fs.mkdirSync(cfg.stateDir, { recursive: true });
    await ensureBuilt(cfg, log);
    const dataSource = await ensurePostgres(cfg);
    startedServer = (await ensureServer(cfg, dataSource, log)).started;
  }
  let info = await bootstrap(cfg);
  if (info.restartNeeded.length) {
    if (cfg.external) {
      log(
        `harness: ${info.restartNeeded.join(', ')} changed on ${cfg.external.url}; Mattermost applies them only after a restart — restart it before running the suites`,
      );
    } else {
      // A server started before these settings were part of its start environment (an older
      // harness): restart it so the patched settings — and its start environment — apply.
      log(`harness: restarting Mattermost to apply ${info.restartNeeded.join(', ')}`);
      await stopServer(cfg);
      startedServer = (await ensureServer(cfg, await ensurePostgres(cfg), log)).started;
      info = await bootstrap(cfg);
    }
  }
  if (!cfg.external && !info.version.startsWith(pin.expectedLine)) {
    throw new HarnessError(`the server reports version ${info.version}, expected ${pin.expectedLine}x`);
  }
  // Child processes of a test or benchmark run read the file instead of bootstrapping again.
  process.env.PORTHOLE_MM_READY = '1';
  const { restartNeeded: _, ...details } = info;
  return { ...details, file: cfg.outFile, log: cfg.external ? null : cfg.mmLog, startedServer };
}

/**
 * Kills the server with SIGKILL, as a crash would (the fault tests' "kill -9"), and waits until it
 * is gone; the database keeps running. `up()` starts it again. Returns whether one was running.
 */
export async function kill() {
  const cfg = loadConfig();
  if (cfg.external) throw new HarnessError("kill works only on the harness's own server, not on PORTHOLE_MM_URL");
  const pid = serverPid(cfg);
  if (!pid) return false;
  process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 100 && isAlive(pid); i++) await sleep(50);
  return true;
}

/** Stops the server and the database; leaves no process behind. */
export async function down() {
  const cfg = loadConfig();
  const server = await stopServer(cfg);
  const db = await stopPostgres(cfg);
  return { server, db };
}

/** Stops everything and wipes the server's and database's data (the build cache stays). */
export async function reset() {
  const cfg = loadConfig();
  await down();
  fs.rmSync(cfg.stateDir, { recursive: true, force: true });
  fs.rmSync(cfg.outFile, { force: true });
  return cfg.stateDir;
}

/** Reads `.porthole/mattermost.json` as written by the last `up`. */
export function readInfo() {
  return JSON.parse(fs.readFileSync(loadConfig().outFile, 'utf8'));
}
