// The real Redis of development, tests and CI: Debian's redis-server on its own port and data
// directory (never a Redis already on the machine), with append-only persistence, fsynced on
// every write, so a restart — even a crash — keeps what the companions stored. `up` writes .porthole/redis.json with `{ "url": … }`.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { ensureCommand } from '../apt.mjs';
import { HarnessError, repoRoot } from '../mattermost/config.mjs';
import { isAlive, isPortOpen } from '../mattermost/system.mjs';

export { HarnessError };

/**
 * Debian's redis-server. Its postinst starts the distro's own `redis-server` service on :6379:
 * after an install made by `up`, that service is stopped and disabled (dev/apt.mjs); a Redis the
 * machine already had is never touched.
 *
 * @type {import('../apt.mjs').CommandNeed}
 */
export const REDIS_SERVER = {
  command: 'redis-server',
  package: 'redis-server',
  services: ['redis-server'],
  paths: ['/usr/bin/redis-server'],
};

const schema = z.object({
  PORTHOLE_REDIS_PORT: z.coerce.number().int().min(1).max(65535).default(6390),
  PORTHOLE_STATE_DIR: z.string().optional(),
  PORTHOLE_REDIS_INFO_FILE: z.string().optional(),
});

/** Where the harness's Redis lives and listens, validated from the environment. */
export function redisConfig(env = process.env) {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new HarnessError(
      parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message} (received ${JSON.stringify(env[i.path[0]])})`).join('\n'),
    );
  }
  const c = parsed.data;
  const isRoot = process.getuid?.() === 0;
  const stateDir = c.PORTHOLE_STATE_DIR ?? (isRoot ? '/var/lib/porthole' : path.join(os.homedir(), '.local', 'state', 'porthole'));
  const dir = path.join(stateDir, 'redis');
  return {
    isRoot,
    port: c.PORTHOLE_REDIS_PORT,
    dir,
    pidFile: path.join(dir, 'redis.pid'),
    log: path.join(dir, 'redis.log'),
    outFile: c.PORTHOLE_REDIS_INFO_FILE ?? path.join(repoRoot, '.porthole', 'redis.json'),
    url: `redis://127.0.0.1:${c.PORTHOLE_REDIS_PORT}`,
  };
}

/** Sends one inline command and resolves with the first reply line (or rejects). */
export function redisCommand(port, command, timeoutMs = 1000) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    let out = '';
    s.setTimeout(timeoutMs, () => (s.destroy(), reject(new Error(`no answer to ${command} within ${timeoutMs} ms`))));
    s.once('connect', () => s.write(`${command}\r\n`));
    s.on('data', (d) => {
      out += d.toString();
      if (out.includes('\r\n')) {
        s.end();
        resolve(out.split('\r\n')[0]);
      }
    });
    s.once('error', reject);
    s.once('close', () => reject(new Error(`the connection closed before an answer to ${command}`)));
  });
}

const readPid = (file) => Number(fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() : 0) || 0;

async function waitFor(check, timeoutMs, what) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new HarnessError(what);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Starts the harness's Redis, or reuses the one already running on its port; installs
 * redis-server when missing (as root, leaving no distro service running; otherwise says what to
 * install).
 *
 * @returns `{ url, port, pid, file, log, startedServer }`
 */
export async function up({ log = console.error } = {}) {
  const c = redisConfig();
  const ping = () =>
    redisCommand(c.port, 'PING').then(
      (r) => r === '+PONG',
      () => false,
    );
  let startedServer = false;
  if (!(await ping())) {
    if (await isPortOpen(c.port)) {
      throw new HarnessError(
        `port ${c.port} is taken by something that is not a Redis answering PING; set PORTHOLE_REDIS_PORT to a free port`,
      );
    }
    const redisServer = ensureCommand(REDIS_SERVER, { isRoot: c.isRoot, log });
    fs.mkdirSync(c.dir, { recursive: true });
    const args = [
      '--port',
      String(c.port),
      '--bind',
      '127.0.0.1',
      '--dir',
      c.dir,
      '--daemonize',
      'no',
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--save',
      '',
      '--protected-mode',
      'yes',
      '--logfile',
      c.log,
      '--pidfile',
      c.pidFile,
    ];
    const child = spawn(redisServer, args, { detached: true, stdio: 'ignore' });
    child.unref();
    fs.writeFileSync(c.pidFile, String(child.pid));
    await waitFor(ping, 15_000, `redis-server did not answer PING on port ${c.port} within 15 s; see ${c.log}`);
    startedServer = true;
    log(`redis: started redis-server on port ${c.port} (data in ${c.dir})`);
  }
  const info = { url: c.url, port: c.port, pid: readPid(c.pidFile) || undefined, log: c.log };
  fs.mkdirSync(path.dirname(c.outFile), { recursive: true });
  fs.writeFileSync(c.outFile, `${JSON.stringify(info, null, 2)}\n`);
  return { ...info, file: c.outFile, startedServer };
}

/** Stops the harness's Redis with SIGKILL (a crash: what was not yet fsynced may be lost). */
export async function kill() {
  const c = redisConfig();
  const pid = readPid(c.pidFile);
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  await waitFor(async () => !(await isPortOpen(c.port)), 10_000, `Redis on port ${c.port} is still listening after SIGKILL`);
}

/** Stops the harness's Redis cleanly (SHUTDOWN: the append-only file is flushed). */
export async function down() {
  const c = redisConfig();
  const pid = readPid(c.pidFile);
  let stopped = false;
  if (await isPortOpen(c.port)) {
    await redisCommand(c.port, 'SHUTDOWN').catch(() => {});
    stopped = true;
  } else if (isAlive(pid)) {
    process.kill(pid, 'SIGTERM');
    stopped = true;
  }
  await waitFor(async () => !(await isPortOpen(c.port)) && !isAlive(pid), 15_000, `Redis on port ${c.port} did not stop within 15 s`);
  fs.rmSync(c.outFile, { force: true });
  return { stopped };
}

/** Stops the harness's Redis and wipes its data directory. */
export async function reset() {
  const c = redisConfig();
  await down();
  fs.rmSync(c.dir, { recursive: true, force: true });
  return c.dir;
}

/** The `.porthole/redis.json` of a running harness Redis, or undefined. */
export function readInfo() {
  const c = redisConfig();
  try {
    return JSON.parse(fs.readFileSync(c.outFile, 'utf8'));
  } catch {
    return undefined;
  }
}
