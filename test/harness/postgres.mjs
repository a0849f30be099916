// A private PostgreSQL cluster for the harness: its own data directory, its own port, loopback only.
import fs from 'node:fs';
import path from 'node:path';
import { HarnessError } from './config.mjs';
import { ensurePackages, isPortOpen, run, sleep, tail } from './system.mjs';

const PG_BIN_ROOT = '/usr/lib/postgresql';
export const DB = { name: 'mattermost', user: 'mmuser', password: 'porthole-dev-only' };

function pgBin(cfg, tool) {
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

export function isPgRunning(cfg) {
  return fs.existsSync(path.join(cfg.pgData, 'postmaster.pid'));
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
  if (!isPgRunning(cfg) || !(await isPortOpen(cfg.pgPort))) {
    if (await isPortOpen(cfg.pgPort)) {
      throw new HarnessError(`port ${cfg.pgPort} (PostgreSQL) is already taken by another process; set PORTHOLE_PG_PORT to a free port`);
    }
    fs.rmSync(path.join(cfg.pgData, 'postmaster.pid'), { force: true });
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
  try {
    pg(cfg, 'pg_ctl', ['-D', cfg.pgData, '-m', 'fast', '-w', '-t', '60', 'stop'], 'pg_ctl stop');
  } catch (e) {
    if (fs.existsSync(path.join(cfg.pgData, 'postmaster.pid'))) throw e;
  }
  return true;
}
