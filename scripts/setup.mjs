// Installs what the project needs, idempotently: npm packages (npm ci) and Debian's Chromium.
// Uses Node built-ins only, because it runs before node_modules exists: every README command
// (npm start, npm test, npm run mattermost:*, npm run bench) calls ensureTools() first.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM } from '../dev/chromium.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function run(cmd, args, env = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, env: { ...process.env, ...env } });
  if (r.status !== 0) {
    console.error(`setup: \`${cmd} ${args.join(' ')}\` failed (exit ${r.status ?? r.error?.message})`);
    process.exit(1);
  }
}

/** path → entry of every package a lockfile lists (npm's hidden node_modules/.package-lock.json has the same shape). */
function lockedVersions(file) {
  try {
    const { packages = {} } = JSON.parse(fs.readFileSync(file, 'utf8'));
    return new Map(Object.entries(packages).filter(([name]) => name.startsWith('node_modules/')));
  } catch {
    return null;
  }
}

/**
 * npm packages are current when node_modules holds every package of package-lock.json at its
 * version (npm records what it installed in node_modules/.package-lock.json). Comparing contents,
 * not times: an `npm install` may write the two files in either order.
 */
function packagesCurrent() {
  const want = lockedVersions(path.join(root, 'package-lock.json'));
  const have = lockedVersions(path.join(root, 'node_modules', '.package-lock.json'));
  if (!want || !have) return false;
  for (const [name, entry] of want) {
    // Optional packages for other platforms (esbuild's binaries…) are never installed.
    if (have.get(name)?.version !== entry.version && !entry.optional) return false;
  }
  return true;
}

export function ensureTools() {
  if (!packagesCurrent()) {
    console.log('setup: installing npm packages (npm ci)…');
    // Tools here must never download their own browser: they use Debian's Chromium.
    run('npm', ['ci', '--no-audit', '--no-fund'], { PUPPETEER_SKIP_DOWNLOAD: '1', PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' });
  }
  if (!fs.existsSync(CHROMIUM)) {
    if (process.getuid?.() !== 0) {
      console.error(`setup: Chromium is missing at ${CHROMIUM}; install it with: sudo apt-get install -y chromium (or set CHROME_PATH)`);
      process.exit(1);
    }
    console.log("setup: installing Chromium from Debian's packages…");
    const env = { DEBIAN_FRONTEND: 'noninteractive' };
    const r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], {
      stdio: 'inherit',
      env: { ...process.env, ...env },
    });
    if (r.status !== 0) {
      run('apt-get', ['update'], env);
      run('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], env);
    }
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) ensureTools();
