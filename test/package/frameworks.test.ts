// The examples build as a user's app does, from the packed tarball: `vite build` of examples/vite-ts
// (the raw element) and examples/react (<PortholeChat>), and `next build` of examples/nextjs-app
// (Next.js App Router: client components that import the package at the top level, the raw tag in
// TSX, which `next build` type-checks, and the companion's route handler exactly as
// docs/getting-started.md and docs/deploying.md show it, built with no PORTHOLE_* variable set).
// Run after `npm run build`:
//   node --import tsx --test test/package/frameworks.test.ts
// Each example's third-party dependencies (with the package's own, which the tarball needs) are
// installed once into ~/.cache/porthole/examples-deps/build-<example>-<hash>, never into the
// repository; PORTHOLE_EXAMPLES_DEPS overrides the directory. The app is copied into that
// directory (as app/), so Turbopack finds everything under one root, and the tarball is unpacked
// into the copy's node_modules/porthole-chat (what `npm install porthole-chat-x.y.z.tgz` puts
// there: the package has no install script). Two runs at once on one cache directory would share
// that copy: do not.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cachedInstall } from './support/cached-install.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
/** The widget's registration, as any minifier leaves it. */
const DEFINES_WIDGET = /customElements\.define\(\s*["'`]porthole-chat["'`]/;
const DEFINES_PANEL = /customElements\.define\(\s*["'`]porthole-panel["'`]/;

let scratch = '';
let tarball = '';
const workDirs: string[] = [];

const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));

/** The environment of a build: no PORTHOLE_* variable (a build must not need the secrets), no telemetry. */
function buildEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PORTHOLE_')));
  return { ...env, NODE_ENV: 'production', NEXT_TELEMETRY_DISABLED: '1', npm_config_update_notifier: 'false' };
}

function run(cmd: string, args: string[], cwd: string, timeout = 600_000, env = buildEnv()) {
  const t = Date.now();
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout, env });
  const seconds = (Date.now() - t) / 1000;
  const stopped = r.signal
    ? `\n(stopped by ${r.signal} after ${seconds.toFixed(0)} s${r.signal === 'SIGTERM' ? `: the ${timeout / 1000} s limit?` : ''})`
    : '';
  return { code: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}${stopped}`, error: r.error, seconds };
}

/**
 * A directory (the cache entry `build-<example>-<hash>`) whose node_modules holds an example's
 * dependencies and the package's own, installed once per version of both package.json files.
 * Optional dependencies are kept: the builds need the native binaries (Next's SWC, Vite's Rolldown).
 */
function buildDeps(example: string, diagnostic: (msg: string) => void): string {
  const manifest = readJson(path.join(ROOT, 'examples', example, 'package.json'));
  const sorted = (deps: Record<string, string>) => Object.fromEntries(Object.entries(deps).sort());
  const own = { ...manifest.dependencies };
  delete own[pkg.name];
  const env: NodeJS.ProcessEnv = { ...process.env, npm_config_update_notifier: 'false' };
  delete env.NODE_ENV; // production would leave the devDependencies out
  return cachedInstall({
    example,
    entry: `build-${example}`,
    manifest: {
      name: `porthole-example-build-${example}`,
      private: true,
      dependencies: sorted({ ...pkg.dependencies, ...own }),
      devDependencies: sorted(manifest.devDependencies ?? {}),
    },
    // No install scripts: the builds need none (better-sqlite3's addon is never loaded by a build).
    flags: ['--include=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'],
    env,
    diagnostic,
  });
}

/**
 * A copy of the example inside its dependency directory, with the tarball unpacked as
 * node_modules/porthole-chat. Always at the same path (`app/`, replaced each run), so Next's
 * build cache, which records absolute paths, stays valid from one run to the next.
 */
function prepare(example: string, deps: string): string {
  const src = path.join(ROOT, 'examples', example);
  const dest = path.join(deps, 'app');
  fs.rmSync(dest, { recursive: true, force: true });
  workDirs.push(dest);
  fs.cpSync(src, dest, {
    recursive: true,
    filter: (p) => path.dirname(p) !== src || !/^(node_modules|dist|\.next|next-env\.d\.ts)$/.test(path.basename(p)),
  });
  const target = path.join(dest, 'node_modules', pkg.name);
  fs.mkdirSync(target, { recursive: true });
  const r = run('tar', ['-xzf', tarball, '-C', target, '--strip-components=1'], dest);
  assert.equal(r.code, 0, `unpacking ${tarball} failed:\n${r.out}`);
  return dest;
}

/** The text of every .js file under `dir`. */
function scripts(dir: string): Array<{ file: string; code: string }> {
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.js'))
    .map((f) => ({ file: f, code: fs.readFileSync(path.join(dir, f), 'utf8') }));
}

function viteBuild(example: string, t: { diagnostic: (msg: string) => void }) {
  const deps = buildDeps(example, (m) => t.diagnostic(m));
  const dir = prepare(example, deps);
  const r = run(process.execPath, [path.join(deps, 'node_modules', 'vite', 'bin', 'vite.js'), 'build'], dir);
  assert.equal(r.code, 0, `vite build of examples/${example} failed (exit ${r.code}):\n${r.out || r.error}`);
  t.diagnostic(`${example}: vite build in ${r.seconds.toFixed(1)} s`);
  const html = fs.readFileSync(path.join(dir, 'dist', 'index.html'), 'utf8');
  const entry = /<script type="module" crossorigin src="\/(assets\/[^"]+\.js)"/.exec(html)?.[1];
  assert.ok(entry, `examples/${example}: dist/index.html loads no module script:\n${html}`);
  const code = scripts(path.join(dir, 'dist'));
  const entryCode = code.find((c) => c.file === entry)?.code ?? '';
  assert.match(entryCode, DEFINES_WIDGET, `examples/${example}: the page's entry (${entry}) does not define <porthole-chat>`);
  // The panel stays a lazy chunk of its own, loaded on the first click.
  const panel = code.filter((c) => DEFINES_PANEL.test(c.code));
  assert.equal(panel.length, 1, `examples/${example}: expected one chunk defining <porthole-panel>, got ${panel.map((c) => c.file)}`);
  assert.notEqual(panel[0].file, entry, `examples/${example}: the panel is bundled into the entry instead of loading lazily`);
  return { entryCode };
}

before(() => {
  for (const f of ['dist/index.js', 'dist/react.js', 'dist/server/index.js', 'dist/types/index.d.ts'])
    assert.ok(fs.existsSync(path.join(ROOT, f)), `${f} is missing: run \`npm run build\` first`);
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'porthole-frameworks-'));
  // Scripts skipped: the test builds the apps on the package as it is built now.
  const r = spawnSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', scratch], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, `npm pack failed:\n${r.stderr}`);
  tarball = path.join(scratch, (JSON.parse(r.stdout) as Array<{ filename: string }>)[0].filename);
});

after(() => {
  for (const d of workDirs) fs.rmSync(d, { recursive: true, force: true });
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
});

test('the Next.js code in docs/getting-started.md and docs/deploying.md is the code of examples/nextjs-app', () => {
  const shown = (doc: string) =>
    // Every code block that opens with `// app/…` names its file in examples/nextjs-app.
    [...fs.readFileSync(path.join(ROOT, 'docs', doc), 'utf8').matchAll(/```tsx?\n(\/\/ (app\/\S+)\n[\s\S]*?)```/g)].map(
      ([, code, file]) => ({ doc, code, file }),
    );
  const blocks = [...shown('getting-started.md'), ...shown('deploying.md')];
  const names = (doc: string) => blocks.filter((b) => b.doc === doc).map((b) => b.file);
  assert.deepEqual(names('getting-started.md'), ['app/chat.tsx', 'app/api/porthole/[...path]/route.ts']);
  assert.deepEqual(names('deploying.md'), ['app/api/porthole/[...path]/route.ts']);
  for (const { doc, code, file } of blocks) {
    const example = path.join(ROOT, 'examples', 'nextjs-app', file);
    assert.ok(fs.existsSync(example), `docs/${doc} shows ${file}, which examples/nextjs-app does not have`);
    assert.equal(code, fs.readFileSync(example, 'utf8'), `docs/${doc} and examples/nextjs-app/${file} differ`);
  }
});

test('examples/vite-ts builds with vite from the tarball (the raw element)', { timeout: 900_000 }, (t) => {
  viteBuild('vite-ts', t);
});

test('examples/react builds with vite from the tarball (<PortholeChat> from porthole-chat/react)', { timeout: 900_000 }, (t) => {
  const { entryCode } = viteBuild('react', t);
  assert.match(entryCode, /["'`]PortholeChat["'`]/, 'examples/react: the entry has no <PortholeChat> (its displayName is missing)');
});

test('examples/nextjs-app builds with next build from the tarball, with no PORTHOLE_* variable', { timeout: 900_000 }, (t) => {
  const deps = buildDeps('nextjs-app', (m) => t.diagnostic(m));
  const dir = prepare('nextjs-app', deps);
  // Next's build cache, kept between runs beside the dependencies (as CI keeps .next/cache).
  const cache = path.join(deps, 'next-cache');
  fs.mkdirSync(path.join(dir, '.next'), { recursive: true });
  if (fs.existsSync(cache)) fs.renameSync(cache, path.join(dir, '.next', 'cache'));
  const r = run(process.execPath, [path.join(deps, 'node_modules', 'next', 'dist', 'bin', 'next'), 'build'], dir);
  assert.equal(r.code, 0, `next build of examples/nextjs-app failed (exit ${r.code}):\n${r.out || r.error}`);
  t.diagnostic(`nextjs-app: next build in ${r.seconds.toFixed(1)} s`);
  fs.renameSync(path.join(dir, '.next', 'cache'), cache);

  // Both pages are prerendered with the tag; the route is a dynamic route handler.
  const server = path.join(dir, '.next', 'server', 'app');
  const home = fs.readFileSync(path.join(server, 'index.html'), 'utf8');
  assert.match(
    home,
    /<porthole-chat title="Questions\? Ask us"><\/porthole-chat>/,
    'the home page (<PortholeChat>) does not render the tag',
  );
  const raw = fs.readFileSync(path.join(server, 'raw.html'), 'utf8');
  assert.match(
    raw,
    /<porthole-chat token-url="\/api\/porthole\/v1\/session"[^>]*>/,
    'the raw page does not render the tag with its token-url',
  );
  assert.ok(fs.existsSync(path.join(server, 'api', 'porthole', '[...path]', 'route.js')), 'the companion route was not built');
  assert.match(r.out, /ƒ \/api\/porthole\/\[\.\.\.path\]/, `the companion route is not listed as dynamic:\n${r.out}`);
  // The browser gets the element's definition and its lazy panel.
  const client = scripts(path.join(dir, '.next', 'static'));
  assert.ok(
    client.some((c) => DEFINES_WIDGET.test(c.code)),
    'no client chunk defines <porthole-chat>',
  );
  assert.ok(
    client.some((c) => DEFINES_PANEL.test(c.code)),
    'no client chunk defines <porthole-panel>',
  );
});
