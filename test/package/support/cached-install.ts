// The dependency cache of the example suites (examples.test.ts type-checks the examples,
// frameworks.test.ts builds them): each installs an example's third-party dependencies once into
// ~/.cache/porthole/examples-deps/<entry>-<hash of what it installs>, never into the repository.
// PORTHOLE_EXAMPLES_DEPS overrides the directory.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const CACHE = process.env.PORTHOLE_EXAMPLES_DEPS ?? path.join(os.homedir(), '.cache', 'porthole', 'examples-deps');

export interface CachedInstallOptions {
  /** The example (under examples/) the dependencies are for, as the messages name it. */
  example: string;
  /** The cache entry's name before the hash (`react`, `build-react`): older entries of that name are removed. */
  entry: string;
  /** The package.json to install from. Its hash names the entry: a change installs afresh. */
  manifest: { name: string; private: boolean; dependencies: Record<string, string>; devDependencies: Record<string, string> };
  /** The flags of `npm install`: what to leave out (scripts, optional or dev dependencies). */
  flags: string[];
  /** npm's environment. */
  env: NodeJS.ProcessEnv;
  diagnostic: (msg: string) => void;
}

/**
 * The cache entry holding `manifest`'s node_modules, installed once per version of it. Installs
 * into a temporary sibling and renames it, so a failed or concurrent run never leaves a half-filled
 * entry behind; a failed install fails the test with npm's output.
 */
export function cachedInstall({ example, entry, manifest, flags, env, diagnostic }: CachedInstallOptions): string {
  const key = crypto.createHash('sha256').update(JSON.stringify(manifest)).digest('hex').slice(0, 16);
  const dir = path.join(CACHE, `${entry}-${key}`);
  if (fs.existsSync(path.join(dir, '.complete'))) return dir;

  const t = Date.now();
  diagnostic(`${example}: installing its dependencies into ${dir} (once per version of its package.json)`);
  fs.mkdirSync(CACHE, { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp);
  fs.writeFileSync(path.join(tmp, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const timeout = 600_000;
  const started = Date.now();
  const r = spawnSync('npm', ['install', ...flags], { cwd: tmp, encoding: 'utf8', timeout, env });
  if (r.status !== 0) {
    fs.rmSync(tmp, { recursive: true, force: true });
    const seconds = ((Date.now() - started) / 1000).toFixed(0);
    const limit = r.signal === 'SIGTERM' ? `: the ${timeout / 1000} s limit?` : '';
    const stopped = r.signal ? `\n(stopped by ${r.signal} after ${seconds} s${limit})` : '';
    const out = `${r.stdout ?? ''}${r.stderr ?? ''}${stopped}`;
    assert.fail(`npm install for examples/${example} failed (exit ${r.status}):\n${out || r.error}`);
  }
  fs.writeFileSync(path.join(tmp, '.complete'), `${new Date().toISOString()}\n`);
  try {
    fs.renameSync(tmp, dir);
  } catch {
    // Another run finished first: use its copy.
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  // Older installs of the same entry are dead weight.
  for (const old of fs.readdirSync(CACHE))
    if (old.startsWith(`${entry}-`) && old !== path.basename(dir) && !old.includes('.tmp-'))
      fs.rmSync(path.join(CACHE, old), { recursive: true, force: true });
  diagnostic(`${example}: installed in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  return dir;
}
