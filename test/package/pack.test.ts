// The npm tarball: it holds every file the exports map, types and bin promise, nothing from tests,
// benchmarks, stories, examples or the harness, and the companion and its CLI work from an
// installed copy. Run after `npm run build`:
//   node --import tsx --test test/package/pack.test.ts
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

/** Variables `porthole-server` cannot start without in its default gateway mode (docs/companion.md). */
const REQUIRED_VARIABLES = [
  'PORTHOLE_MM_URL',
  'PORTHOLE_MM_TOKEN', // or PORTHOLE_BOT_TOKEN
  'PORTHOLE_SUPPORT_CHANNEL_ID', // or PORTHOLE_INBOX_CHANNEL_ID
  'PORTHOLE_TOKEN_SECRET',
  'PORTHOLE_ALLOWED_ORIGINS',
  'PORTHOLE_COOKIE_SECRET',
];

/** Test-only code, by path: never published, never embedded in a published source map. */
const TEST_CODE: Array<[RegExp, string]> = [
  [/(^|\/)[^/]*\.test\.[^/]*$/, 'a test file'],
  [/(^|\/)[^/]*\.stories\.[^/]*$/, 'a story'],
  [/(^|\/)test-support\./, 'companion test fixtures'],
  [/(^|\/)testing\//, 'test helpers (src/testing)'],
  [/(^|\/)memory-transport\./, 'the in-memory transport used only by tests and stories'],
  [/^test\//, 'the test suites'],
  [/^dev\//, 'the development services (Mattermost harness, Chromium)'],
  [/^bench\//, 'benchmarks'],
  [/^stories\//, 'stories'],
  [/^examples\//, 'examples'],
];

/** Paths that must never be published, with the reason shown when one is. */
const FORBIDDEN: Array<[RegExp, string]> = [
  ...TEST_CODE,
  [/^\.porthole(\/|$)/, 'local harness state'],
  [/^dist\/demo\//, 'the demo build'],
  [/^(src|scripts|dev|docs|\.ci|\.storybook|coverage|storybook-static)\//, 'sources or tooling'],
  [/(^|\/)node_modules\//, 'node_modules'],
  [/(^|\/)\.env(\.|$)/, 'an env file'],
  [/\.tsbuildinfo$/, 'a TypeScript build cache'],
  [/^(tsconfig[^/]*\.json|rollup\.config\.mjs|web-test-runner\.config\.mjs|package-lock\.json)$/, 'build configuration'],
];

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const r = spawnSync(cmd, args, { cwd: opts.cwd ?? ROOT, env: opts.env ?? process.env, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error };
}

/** `npm pack` in the repository; scripts are skipped so the test checks the build as it is. */
function npmPack(extra: string[]): { filename: string; files: string[] } {
  const r = run('npm', ['pack', '--json', '--ignore-scripts', ...extra]);
  assert.equal(r.code, 0, `npm pack ${extra.join(' ')} failed:\n${r.stderr}`);
  const [result] = JSON.parse(r.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  return { filename: result.filename, files: result.files.map((f) => f.path).sort() };
}

/** Every file target in the exports map (conditions flattened), by subpath. */
function exportTargets(): Array<{ subpath: string; condition: string; target: string }> {
  const out: Array<{ subpath: string; condition: string; target: string }> = [];
  const walk = (subpath: string, condition: string, value: unknown) => {
    if (typeof value === 'string') out.push({ subpath, condition, target: value });
    else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(subpath, k, v);
  };
  for (const [subpath, value] of Object.entries(pkg.exports as Record<string, unknown>)) walk(subpath, 'default', value);
  return out;
}

const rel = (p: string) => p.replace(/^\.\//, '');

/** `*` within a segment, `**` across segments: the subset of globs sideEffects patterns use. */
function globToRegExp(glob: string): RegExp {
  const body = rel(glob)
    .split(/(\*\*\/?|\*)/)
    .map((part) => (part.startsWith('**') ? '.*' : part === '*' ? '[^/]*' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`);
}

/** Relative specifiers a JS or .d.ts file imports (static, re-exports, dynamic, `import("…")` types). */
function relativeImports(code: string): { statics: string[]; dynamics: string[] } {
  const statics = [...code.matchAll(/(?<![\w$."'])(?:from|import)\s*["'](\.{1,2}\/[^"']+)["']/g)].map((m) => m[1]);
  const dynamics = [...code.matchAll(/(?<![\w$."'])import\s*\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g)].map((m) => m[1]);
  return { statics, dynamics };
}

/** Bare package names a JS or .d.ts file imports. */
function bareImports(code: string): string[] {
  // The look-behind keeps strings such as "import","x" in minified code from counting.
  const specs = [...code.matchAll(/(?<![\w$."'])(?:from\s*|import\s*\(?\s*)["']([^"'./][^"']*)["']/g)].map((m) => m[1]);
  return specs.map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]));
}

/** The packed file a relative specifier in `from` points at, or undefined. */
function resolvePacked(from: string, spec: string, packed: Set<string>): string | undefined {
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), spec));
  const candidates = from.endsWith('.d.ts') ? [base.replace(/\.js$/, '.d.ts'), `${base}.d.ts`, `${base}/index.d.ts`, base] : [base];
  return candidates.find((c) => packed.has(c));
}

let files: string[] = [];
let packed = new Set<string>();
let scratch = '';
let installed = '';

before(() => {
  for (const f of ['dist/index.js', 'dist/types/index.d.ts', 'dist/server/cli.js'])
    assert.ok(fs.existsSync(path.join(ROOT, f)), `${f} is missing: run \`npm run build\` first`);
  files = npmPack(['--dry-run']).files;
  packed = new Set(files);
});

after(() => {
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
});

test('the tarball holds every file the exports map, types, main and bin point at', () => {
  const missing: string[] = [];
  const want = (what: string, file: string) => {
    if (!packed.has(file)) missing.push(`${what} → ${file}: not in the tarball`);
    else if (!fs.existsSync(path.join(ROOT, file))) missing.push(`${what} → ${file}: not on disk`);
  };
  for (const { subpath, condition, target } of exportTargets()) {
    if (target.includes('*')) {
      const re = globToRegExp(target.replace('*', '**'));
      const matches = files.filter((f) => re.test(f));
      if (!matches.length) missing.push(`exports["${subpath}"] → ${target}: matches no packed file`);
      // Everything the build put there is published (a CDN serves the chunks by relative URL).
      const dir = rel(target.slice(0, target.indexOf('*')));
      const onDisk = fs
        .readdirSync(path.join(ROOT, dir), { recursive: true, withFileTypes: true })
        .filter((d) => d.isFile())
        .map((d) =>
          path
            .relative(ROOT, path.join(d.parentPath ?? d.path, d.name))
            .split(path.sep)
            .join('/'),
        );
      for (const f of onDisk) if (!packed.has(f)) missing.push(`exports["${subpath}"]: ${f} is on disk but not in the tarball`);
    } else want(`exports["${subpath}"].${condition}`, rel(target));
  }
  for (const [subpath, file] of [
    ['.', 'dist/index.js'],
    ['./element', 'dist/exports.js'],
    ['./server', 'dist/server/index.js'],
    ['./react', 'dist/react.js'],
    ['./cdn/*', 'dist/cdn/porthole-chat.js'],
  ])
    assert.ok(
      exportTargets().some((t) => t.subpath === subpath),
      `exports has no "${subpath}" (expected it to reach ${file})`,
    );
  want('types', rel(pkg.types));
  want('main', rel(pkg.main));
  for (const [name, file] of Object.entries(pkg.bin as Record<string, string>)) want(`bin.${name}`, rel(file));
  for (const f of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md']) want('top level', f);
  if (fs.existsSync(path.join(ROOT, 'custom-elements.json'))) want('custom elements manifest', 'custom-elements.json');
  assert.deepEqual(missing, [], `the tarball breaks promises of package.json:\n  ${missing.join('\n  ')}`);
});

test('the tarball holds nothing from tests, benchmarks, stories, examples, the harness, .porthole or the demo', () => {
  const leaks = files.flatMap((f) => FORBIDDEN.filter(([re]) => re.test(f)).map(([, why]) => `${f} (${why})`));
  const unexpected = files.filter(
    (f) => !f.startsWith('dist/') && !['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'custom-elements.json'].includes(f),
  );
  assert.deepEqual(leaks, [], `files that must not be published:\n  ${leaks.join('\n  ')}`);
  assert.deepEqual(unexpected, [], `files outside dist/ that package.json "files" let in:\n  ${unexpected.join('\n  ')}`);
});

test('published source maps carry no test, story or fixture sources', () => {
  const leaks: string[] = [];
  for (const f of files.filter((f) => f.endsWith('.map'))) {
    const map = JSON.parse(fs.readFileSync(path.join(ROOT, f), 'utf8')) as { sources: string[] };
    for (const s of map.sources) {
      const normalized = s.replace(/^(\.\.\/)+/, '');
      if (TEST_CODE.some(([re]) => re.test(normalized))) leaks.push(`${f}: ${s}`);
    }
  }
  assert.deepEqual(leaks, [], `source maps that embed test code:\n  ${leaks.join('\n  ')}`);
});

test('every relative import of the shipped code and types resolves inside the tarball, and no chunk is stale', () => {
  const code = files.filter((f) => f.endsWith('.js') || f.endsWith('.d.ts'));
  const broken: string[] = [];
  for (const f of code) {
    const { statics, dynamics } = relativeImports(fs.readFileSync(path.join(ROOT, f), 'utf8'));
    for (const spec of [...statics, ...dynamics]) if (!resolvePacked(f, spec, packed)) broken.push(`${f} imports ${spec}`);
  }
  assert.deepEqual(
    broken,
    [],
    `imports that point outside the tarball (a consumer would get "module not found"):\n  ${broken.join('\n  ')}`,
  );

  // Hashed chunks no entry reaches are left over from an earlier build: dead weight in the tarball.
  // Entries: the exports map, the bin, and every file at the top of dist/cdn (each a public URL).
  const entries = [
    ...exportTargets()
      .filter((t) => !t.target.includes('*'))
      .map((t) => rel(t.target)),
    ...Object.values(pkg.bin as Record<string, string>).map(rel),
    ...files.filter((f) => /^dist\/cdn\/[^/]+\.js$/.test(f)),
  ].filter((f) => f.endsWith('.js'));
  const seen = new Set<string>();
  const todo = [...entries];
  while (todo.length) {
    const f = todo.pop()!;
    if (seen.has(f) || !packed.has(f)) continue;
    seen.add(f);
    const { statics, dynamics } = relativeImports(fs.readFileSync(path.join(ROOT, f), 'utf8'));
    for (const spec of [...statics, ...dynamics]) {
      const target = resolvePacked(f, spec, packed);
      if (target) todo.push(target);
    }
  }
  const stale = files.filter((f) => f.endsWith('.js') && f.includes('/chunks/') && !seen.has(f));
  assert.deepEqual(
    stale,
    [],
    `chunks no entry reaches (left by an earlier build? \`npm run build\` empties dist first):\n  ${stale.join('\n  ')}`,
  );
});

test('every package the shipped code and types import is a dependency (or a peer, as React is for porthole-chat/react), not a devDependency', () => {
  const deps = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})]);
  const undeclared: string[] = [];
  for (const f of files.filter((f) => (f.endsWith('.js') && !f.startsWith('dist/cdn/')) || f.endsWith('.d.ts'))) {
    for (const name of bareImports(fs.readFileSync(path.join(ROOT, f), 'utf8')))
      if (!name.startsWith('node:') && !deps.has(name) && name !== pkg.name) undeclared.push(`${f} imports ${name}`);
  }
  assert.deepEqual(
    [...new Set(undeclared)],
    [],
    `imports of packages a consumer would not get:\n  ${[...new Set(undeclared)].join('\n  ')}`,
  );
  const cdnBare = files
    .filter((f) => f.startsWith('dist/cdn/') && f.endsWith('.js'))
    .flatMap((f) => bareImports(fs.readFileSync(path.join(ROOT, f), 'utf8')).map((n) => `${f} imports ${n}`));
  assert.deepEqual(cdnBare, [], `the CDN build must be self-contained (a browser cannot resolve bare imports):\n  ${cdnBare.join('\n  ')}`);
});

test('sideEffects marks what registers elements, and not the define-free entry or the server', () => {
  const patterns = (pkg.sideEffects as string[]).map(globToRegExp);
  const marked = (f: string) => patterns.some((re) => re.test(f));
  const defines = files.filter((f) => f.endsWith('.js') && fs.readFileSync(path.join(ROOT, f), 'utf8').includes('customElements.define('));
  const unmarked = defines.filter((f) => !marked(f));
  assert.deepEqual(
    unmarked,
    [],
    `files that call customElements.define but sideEffects does not list (a bundler could drop them):\n  ${unmarked.join('\n  ')}`,
  );
  assert.ok(defines.includes('dist/index.js'), 'dist/index.js (the "." entry) no longer defines <porthole-chat>');
  for (const f of ['dist/exports.js', 'dist/server/index.js'])
    assert.ok(!marked(f), `${f} is listed in sideEffects but should be side-effect free`);

  // The define-free entry must not register anything before a dynamic import() runs.
  const seen = new Set<string>();
  const todo = ['dist/exports.js'];
  while (todo.length) {
    const f = todo.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    const src = fs.readFileSync(path.join(ROOT, f), 'utf8');
    assert.ok(
      !src.includes('customElements.define('),
      `${f} is statically imported by the define-free entry ("./element") and calls customElements.define`,
    );
    for (const spec of relativeImports(src).statics) {
      const target = resolvePacked(f, spec, packed);
      if (target) todo.push(target);
    }
  }
});

test('dist/package.json makes dist/ ES modules and repeats sideEffects relative to dist/', () => {
  assert.ok(
    packed.has('dist/package.json'),
    'dist/package.json is missing: without it Node treats dist/**/*.js as CommonJS (rollup.config.mjs emits it)',
  );
  const inner = JSON.parse(fs.readFileSync(path.join(ROOT, 'dist/package.json'), 'utf8'));
  assert.equal(inner.type, 'module', `dist/package.json: expected "type": "module", received ${JSON.stringify(inner.type)}`);
  const expected = (pkg.sideEffects as string[]).filter((p) => p.startsWith('./dist/')).map((p) => `./${p.slice('./dist/'.length)}`);
  assert.deepEqual(
    inner.sideEffects,
    expected,
    'dist/package.json sideEffects must match the root ones (webpack reads the nearest package.json)',
  );
});

test('the bin has a node shebang', () => {
  for (const [name, file] of Object.entries(pkg.bin as Record<string, string>)) {
    const first = fs.readFileSync(path.join(ROOT, file), 'utf8').split('\n', 1)[0];
    assert.equal(
      first,
      '#!/usr/bin/env node',
      `bin ${name} (${file}) must start with "#!/usr/bin/env node", starts with ${JSON.stringify(first)}`,
    );
  }
});

test('dist/server/index.js imports cleanly in Node from the repository and exports createCompanion', () => {
  const url = new URL('dist/server/index.js', `file://${ROOT.endsWith('/') ? ROOT : `${ROOT}/`}`).href;
  const r = run(process.execPath, [
    '--input-type=module',
    '-e',
    `const m = await import(${JSON.stringify(url)}); console.log(typeof m.createCompanion, typeof m.loadConfig, typeof m.toNodeListener, typeof m.toRouteHandlers);`,
  ]);
  assert.equal(r.code, 0, `importing dist/server/index.js failed:\n${r.stderr}`);
  assert.equal(r.stdout.trim(), 'function function function function');
  assert.equal(r.stderr, '', `importing dist/server/index.js printed to stderr (e.g. a module-type warning):\n${r.stderr}`);
});

// From here on: a copy installed from the real tarball, as a consumer gets it. The package's own
// dependencies come from the repository's node_modules (no registry needed).
function install(): string {
  if (installed) return installed;
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'porthole-pack-'));
  const { filename } = npmPack(['--pack-destination', scratch]);
  const dir = path.join(scratch, 'node_modules', pkg.name);
  fs.mkdirSync(dir, { recursive: true });
  const tar = run('tar', ['-xzf', path.join(scratch, filename), '-C', dir, '--strip-components=1']);
  assert.equal(tar.code, 0, `extracting ${filename} failed: ${tar.stderr}`);
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  fs.writeFileSync(path.join(scratch, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  installed = dir;
  return dir;
}

test('an installed copy resolves every exports entry and runs the companion', () => {
  install();
  const script = `
    const r = (s) => import.meta.resolve(s).replace(/^.*\\/node_modules\\/${pkg.name}\\//, '');
    console.log(JSON.stringify({
      root: r('${pkg.name}'), element: r('${pkg.name}/element'), server: r('${pkg.name}/server'),
      cdn: r('${pkg.name}/cdn/porthole-chat.js'), pkg: r('${pkg.name}/package.json'),
    }));
    const { createCompanion, loadConfig, MemoryMattermostAdmin, silentLogger } = await import('${pkg.name}/server');
    const config = loadConfig({
      PORTHOLE_MODE: 'direct',
      PORTHOLE_MM_URL: 'http://mm.invalid', PORTHOLE_MM_TOKEN: 'x'.repeat(26), PORTHOLE_TEAM_ID: 'a'.repeat(26),
      PORTHOLE_AGENT_IDS: 'b'.repeat(26), PORTHOLE_INBOX_CHANNEL_ID: 'c'.repeat(26),
      PORTHOLE_ALLOWED_ORIGINS: 'https://shop.example.com', PORTHOLE_COOKIE_SECRET: 's'.repeat(32),
    });
    const companion = createCompanion(config, { admin: new MemoryMattermostAdmin({ teamId: 'a'.repeat(26) }), logger: silentLogger });
    const res = await companion.fetch(new Request('http://companion.test/healthz'));
    console.log(res.status, JSON.stringify(await res.json()));
    // Gateway mode (the default) from the installed copy too; nothing is opened before start().
    const gateway = createCompanion(loadConfig({
      PORTHOLE_MM_URL: 'http://mm.invalid', PORTHOLE_MM_TOKEN: 'x'.repeat(26), PORTHOLE_INBOX_CHANNEL_ID: 'c'.repeat(26),
      PORTHOLE_ALLOWED_ORIGINS: 'https://shop.example.com', PORTHOLE_COOKIE_SECRET: 's'.repeat(32), PORTHOLE_TOKEN_SECRET: 't'.repeat(32),
    }), { logger: silentLogger });
    const session = await gateway.fetch(new Request('http://companion.test/v1/session', { method: 'POST' }));
    console.log(gateway.mode, session.status, (await session.json()).mode);
  `;
  const r = run(process.execPath, ['--input-type=module', '-e', script], { cwd: scratch });
  assert.equal(r.code, 0, `the installed copy failed:\n${r.stderr}`);
  assert.equal(r.stderr, '', `the installed copy printed to stderr:\n${r.stderr}`);
  const [resolved, health, gateway] = r.stdout.trim().split('\n');
  assert.deepEqual(JSON.parse(resolved), {
    root: 'dist/index.js',
    element: 'dist/exports.js',
    server: 'dist/server/index.js',
    cdn: 'dist/cdn/porthole-chat.js',
    pkg: 'package.json',
  });
  assert.equal(health, '200 {"status":"ok"}');
  assert.equal(gateway, 'gateway 200 gateway', 'a gateway session from the installed copy');
});

test('porthole-server with an empty environment exits 1 with one line per missing variable and no stack trace', () => {
  const dir = install();
  const bin = path.join(dir, (pkg.bin as Record<string, string>)['porthole-server']);
  const r = run(process.execPath, [bin], { cwd: scratch, env: {} });
  assert.equal(r.code, 1, `expected exit code 1, received ${r.code} (signal ${r.signal})\nstderr:\n${r.stderr}`);
  assert.equal(r.stdout, '', `expected nothing on stdout, received:\n${r.stdout}`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.doesNotMatch(r.stderr, /^\s+at |Error:|Warning/m, `stderr has a stack trace or a warning:\n${r.stderr}`);
  assert.equal(
    lines[0],
    `porthole-server: invalid configuration (${REQUIRED_VARIABLES.length} problems):`,
    `unexpected first line:\n${r.stderr}`,
  );
  const named = lines.slice(1).map((l) => /^ {2}([A-Z_]+): /.exec(l)?.[1] ?? `(unparsed) ${l}`);
  assert.deepEqual(named.sort(), [...REQUIRED_VARIABLES].sort(), `expected one line per missing variable:\n${r.stderr}`);
  for (const l of lines.slice(1)) assert.match(l, /\(received nothing\)$/, `a line does not say what was received: ${l}`);
});
