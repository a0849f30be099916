// Small process, package and network helpers shared by the harness steps.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { HarnessError } from './config.mjs';

/** Runs a command to completion and returns its output; throws with the output's tail on failure. */
export function run(cmd, args, { cwd, env, user, what } = {}) {
  const [file, argv] = user ? ['runuser', ['-u', user, '--', cmd, ...args]] : [cmd, args];
  const r = spawnSync(file, argv, { cwd, env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw new HarnessError(`${what ?? cmd}: could not run ${cmd}: ${r.error.message}`);
  if (r.status !== 0) {
    const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
    throw new HarnessError(`${what ?? cmd} failed (exit ${r.status}):\n${out}`);
  }
  return r.stdout;
}

/** Runs a long command, streaming its output to a log file; resolves with the exit code. */
export function runLogged(cmd, args, { cwd, env, logFile }) {
  return new Promise((resolve) => {
    const out = fs.openSync(logFile, 'a');
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', out, out] });
    child.on('error', (e) => {
      fs.appendFileSync(logFile, `\n${e.message}\n`);
      resolve(127);
    });
    child.on('close', (code) => {
      fs.closeSync(out);
      resolve(code ?? 1);
    });
  });
}

export function which(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).stdout.trim() || null;
}

/** Installs Debian packages when running as root; otherwise says exactly what to install. */
export function ensurePackages(packages, { isRoot }) {
  if (packages.length === 0) return;
  if (!isRoot) {
    throw new HarnessError(`missing system packages; install them with: sudo apt-get install -y ${packages.join(' ')}`);
  }
  process.stderr.write(`harness: installing ${packages.join(', ')} from Debian's packages…\n`);
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  const install = () =>
    spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...packages], { env: { ...process.env, ...env }, encoding: 'utf8' });
  let r = install();
  if (r.status !== 0) {
    run('apt-get', ['update'], { env, what: 'apt-get update' });
    r = install();
  }
  if (r.status !== 0) {
    throw new HarnessError(
      `apt-get install ${packages.join(' ')} failed:\n${(r.stdout + r.stderr).trim().split('\n').slice(-8).join('\n')}`,
    );
  }
}

/** Resolves true when something accepts TCP connections on 127.0.0.1:port. */
export function isPortOpen(port, host = '127.0.0.1') {
  return new Promise((resolve) => {
    const s = net.connect({ port, host });
    s.setTimeout(1000);
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('timeout', () => (s.destroy(), resolve(false)));
    s.once('error', () => resolve(false));
  });
}

export function isAlive(pid) {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The last `n` lines of a file, or a note that it is empty or missing. */
export function tail(file, n = 20) {
  try {
    const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    return lines.slice(-n).join('\n');
  } catch {
    return `(no log at ${file})`;
  }
}

export function readPid(file) {
  try {
    return Number(fs.readFileSync(file, 'utf8').trim()) || null;
  } catch {
    return null;
  }
}
