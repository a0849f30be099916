// A private PostgreSQL cluster for the harness: its own data directory, its own port, loopback only.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { HarnessError } from './config.mjs';
import { ensurePackages, isPortOpen, run, sleep, tail } from './system.mjs';

const PG_BIN_ROOT = '/usr/lib/postgresql';
export const DB = { name: 'mattermost', user: 'mmuser', password: 'porthole-dev-only' };

/** A PostgreSQL program of the newest installed major version (14 or later), installing it if none. */
export function pgBin(cfg, tool) {
  const versions = fs.existsSync(PG_BIN_ROOT) ? fs.readdirSync(PG_BIN_ROOT).filter((v) => Number(v) >= 14) : [];
  if (versions.length === 0) {
    ensurePackages(['postgresql'], cfg);
    return pgBin(cfg, tool);
  }
  return path.join(PG_BIN_ROOT, versions.sort((a, b) => Number(b) - Number(a))[0], 'bin', tool);
}

/** Runs a PostgreSQL tool as the user that owns the cluster (`postgres` when we are root). */
function pg(cfg, tool, args, what) {
  return run(pgBin(cfg, tool), args, { user: cfg.isRoot ? 'postgres' : undefined, what });
}

/**
 * Whether our cluster runs, as `pg_ctl status` sees it (it checks the pid in postmaster.pid,
 * which a crash or a reboot leaves behind). A stale pid file is removed.
 */
export function isPgRunning(cfg) {
  const pidFile = path.join(cfg.pgData, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return false;
  // As the cluster's owner: as root, pg_ctl cannot read the data directory and says "not running".
  const [cmd, args] = cfg.isRoot ? ['runuser', ['-u', 'postgres', '--', pgBin(cfg, 'pg_ctl')]] : [pgBin(cfg, 'pg_ctl'), []];
  const r = spawnSync(cmd, [...args, 'status', '-D', cfg.pgData], { encoding: 'utf8' });
  if (r.status === 0) return true;
  // 3 is "not running"; anything else (4: no data directory access) is not evidence of a stale file.
  if (r.status !== 3) throw new HarnessError(`pg_ctl status failed (exit ${r.status}): ${(r.stderr || r.stdout).trim()}`);
  fs.rmSync(pidFile, { force: true });
  return false;
}

/** Initialises the cluster on first use, starts it, and makes sure the Mattermost database exists. */
export async function ensurePostgres(cfg) {
  const dir = path.dirname(cfg.pgData);
  if (!fs.existsSync(path.join(cfg.pgData, 'PG_VERSION'))) {
    fs.mkdirSync(cfg.pgData, { recursive: true });
    if (cfg.isRoot) {
      fs.chmodSync(cfg.stateDir, 0o755);
      run('chown', ['-R', 'postgres:postgres', dir]);
    }
    pg(cfg, 'initdb', ['-D', cfg.pgData, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8'], 'initdb');
  }
  if (!isPgRunning(cfg)) {
    if (await isPortOpen(cfg.pgPort)) {
      throw new HarnessError(`port ${cfg.pgPort} (PostgreSQL) is already taken by another process; set PORTHOLE_PG_PORT to a free port`);
    }
    const opts = `-p ${cfg.pgPort} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=200 -c fsync=off -c synchronous_commit=off`;
    try {
      pg(cfg, 'pg_ctl', ['-D', cfg.pgData, '-l', cfg.pgLog, '-o', opts, '-w', '-t', '60', 'start'], 'pg_ctl start');
    } catch {
      throw new HarnessError(`PostgreSQL will not start; last lines of ${cfg.pgLog}:\n${tail(cfg.pgLog, 10)}`);
    }
  }
  for (let i = 0; i < 50 && !(await isPortOpen(cfg.pgPort)); i++) await sleep(100);
  const psql = (sql) => pg(cfg, 'psql', ['-h', '127.0.0.1', '-p', String(cfg.pgPort), '-U', 'postgres', '-tAc', sql], 'psql');
  if (!psql(`SELECT 1 FROM pg_roles WHERE rolname='${DB.user}'`).trim()) {
    psql(`CREATE ROLE ${DB.user} LOGIN PASSWORD '${DB.password}'`);
  }
  if (!psql(`SELECT 1 FROM pg_database WHERE datname='${DB.name}'`).trim()) {
    psql(`CREATE DATABASE ${DB.name} OWNER ${DB.user}`);
  }
  return `postgres://${DB.user}:${DB.password}@127.0.0.1:${cfg.pgPort}/${DB.name}?sslmode=disable&connect_timeout=10`;
}

export async function stopPostgres(cfg) {
  if (!isPgRunning(cfg)) return false;
  pg(cfg, 'pg_ctl', ['-D', cfg.pgData, '-m', 'fast', '-w', '-t', '60', 'stop'], 'pg_ctl stop');
  return true;
}
