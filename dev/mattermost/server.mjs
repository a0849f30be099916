// Starts and stops the pinned Mattermost server on the harness's PostgreSQL, outside the repo.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { settingsEnv } from './bootstrap.mjs';
import { HarnessError } from './config.mjs';
import { isAlive, isPortOpen, readPid, sleep, tail } from './system.mjs';

/**
 * The settings the server starts with. Porthole's own settings are among them, so they are in
 * force from the first request: some (CORS) are read only at start, and a patch over the API
 * would apply only after a restart. Set through the environment, they are also fixed: the API
 * cannot change them (Mattermost keeps environment overrides out of its saved config).
 */
function serverEnv(cfg, dataSource) {
  const home = cfg.mmHome;
  return {
    ...settingsEnv(),
    MM_SQLSETTINGS_DRIVERNAME: 'postgres',
    MM_SQLSETTINGS_DATASOURCE: dataSource,
    MM_SERVICESETTINGS_LISTENADDRESS: `127.0.0.1:${cfg.mmPort}`,
    MM_SERVICESETTINGS_SITEURL: `http://localhost:${cfg.mmPort}`,
    MM_SERVICESETTINGS_ENABLELOCALMODE: 'true',
    MM_SERVICESETTINGS_LOCALMODESOCKETLOCATION: path.join(home, 'local.socket'),
    MM_SERVICESETTINGS_ENABLESECURITYFIXALERT: 'false',
    MM_SERVICESETTINGS_ENABLEAPIUSERDELETION: 'true',
    MM_SERVICESETTINGS_ENABLEAPICHANNELDELETION: 'true',
    MM_FILESETTINGS_DIRECTORY: path.join(home, 'data') + '/',
    MM_PLUGINSETTINGS_ENABLE: 'false',
    MM_PLUGINSETTINGS_DIRECTORY: path.join(home, 'plugins'),
    MM_PLUGINSETTINGS_CLIENTDIRECTORY: path.join(home, 'client-plugins'),
    MM_LOGSETTINGS_ENABLECONSOLE: 'true',
    MM_LOGSETTINGS_CONSOLELEVEL: 'INFO',
    MM_LOGSETTINGS_CONSOLEJSON: 'false',
    MM_LOGSETTINGS_ENABLEFILE: 'false',
    MM_LOGSETTINGS_ENABLEDIAGNOSTICS: 'false',
    MM_NOTIFICATIONLOGSETTINGS_ENABLEFILE: 'false',
    MM_EMAILSETTINGS_SENDEMAILNOTIFICATIONS: 'false',
    MM_EMAILSETTINGS_REQUIREEMAILVERIFICATION: 'false',
    MM_ANNOUNCEMENTSETTINGS_ADMINNOTICESENABLED: 'false',
    MM_ANNOUNCEMENTSETTINGS_USERNOTICESENABLED: 'false',
  };
}

/** Answers whether the server at `url` says OK to a ping. */
export async function ping(url, timeoutMs = 2000) {
  try {
    const res = await fetch(`${url}/api/v4/system/ping`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return false;
    const body = await res.json();
    return body.status === 'OK';
  } catch {
    return false;
  }
}

/**
 * The pid of our running server, or null. A pid file outlives a crash or a reboot, and its pid may
 * since belong to another process: only a live process running our binary counts.
 */
export function serverPid(cfg) {
  const pid = readPid(cfg.mmPidFile);
  if (!isAlive(pid)) return null;
  try {
    if (fs.realpathSync(`/proc/${pid}/exe`) === fs.realpathSync(cfg.binary)) return pid;
  } catch {
    // No /proc entry we may read, or no binary: not ours.
  }
  return null;
}

/** Starts the server unless ours is already answering; waits until ping says OK. */
export async function ensureServer(cfg, dataSource, log = console.error) {
  const pid = serverPid(cfg);
  if (pid && (await ping(cfg.url))) return { started: false, pid };
  if (!pid && (await isPortOpen(cfg.mmPort))) {
    throw new HarnessError(`port ${cfg.mmPort} (Mattermost) is already taken by another process; stop it or set PORTHOLE_MM_PORT`);
  }
  let child = pid;
  if (!pid) {
    for (const d of ['data', 'plugins', 'client-plugins']) fs.mkdirSync(path.join(cfg.mmHome, d), { recursive: true });
    fs.rmSync(path.join(cfg.mmHome, 'local.socket'), { force: true });
    fs.writeFileSync(cfg.mmLog, `--- started ${new Date().toISOString()}\n`, { flag: 'a' });
    const out = fs.openSync(cfg.mmLog, 'a');
    const proc = spawn(cfg.binary, ['server', '--config', path.join(cfg.mmHome, 'config.json')], {
      cwd: cfg.moduleDir,
      env: { ...process.env, ...serverEnv(cfg, dataSource) },
      stdio: ['ignore', out, out],
      detached: true,
    });
    fs.closeSync(out);
    proc.unref();
    child = proc.pid;
    fs.writeFileSync(cfg.mmPidFile, String(child));
    log(`harness: starting Mattermost (log: ${cfg.mmLog})`);
  }
  const started = Date.now();
  const deadline = started + cfg.startTimeoutS * 1000;
  while (Date.now() < deadline) {
    if (!isAlive(child)) {
      throw new HarnessError(`the Mattermost server exited while starting; last lines of ${cfg.mmLog}:\n${tail(cfg.mmLog, 20)}`);
    }
    if (await ping(cfg.url)) return { started: true, pid: child, seconds: (Date.now() - started) / 1000 };
    await sleep(250);
  }
  throw new HarnessError(
    `timed out after ${cfg.startTimeoutS} s waiting for ${cfg.url}/api/v4/system/ping to answer OK (PORTHOLE_MM_START_TIMEOUT); log: ${cfg.mmLog}`,
  );
}

/** Stops the server: SIGTERM, then SIGKILL if it has not exited after 30 s. */
export async function stopServer(cfg) {
  const pid = serverPid(cfg);
  if (!pid) {
    fs.rmSync(cfg.mmPidFile, { force: true });
    return false;
  }
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 300 && isAlive(pid); i++) await sleep(100);
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 50 && isAlive(pid); i++) await sleep(100);
  fs.rmSync(cfg.mmPidFile, { force: true });
  return true;
}
