// The examples type-check against the built package, resolved through its real exports map, with
// real type packages (vite, react, @lit/react, next, express). Each example's dependencies are
// installed once into ~/.cache/porthole/examples-deps/<example>-<hash of its package.json>, never
// into the repository (support/cached-install.ts). Run after `npm run build`:
//   node --import tsx --test test/package/examples.test.ts
// PORTHOLE_EXAMPLES_DEPS overrides the cache directory.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cachedInstall } from './support/cached-install.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

/** TypeScript examples, each a directory of examples/ with its own package.json and tsconfig.json. */
// examples/nextjs-app is type-checked by `next build` from the packed tarball (frameworks.test.ts): linked to this
// repository instead, its raw-tag JSX types would augment this repository's copy of @types/react, not the app's.
const TS_EXAMPLES = ['vite-ts', 'react', 'nextjs-route', 'express'];
/** Dependencies the check does not install: the package itself (linked to this build) and TypeScript (the repo's). */
const NOT_INSTALLED = new Set([pkg.name, 'typescript']);

let scratch = '';

const ENV: NodeJS.ProcessEnv = { ...process.env, npm_config_update_notifier: 'false' };

function run(cmd: string, args: string[], cwd: string, timeout = 120_000) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout, env: ENV });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error };
}

const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));

/**
 * node_modules for an example's third-party dependencies (the cache entry `<example>-<hash>`),
 * installed once per version of its package.json.
 */
function exampleDeps(example: string, diagnostic: (msg: string) => void): string {
  const manifest = readJson(path.join(ROOT, 'examples', example, 'package.json'));
  const keep = (deps: Record<string, string> = {}) =>
    Object.fromEntries(
      Object.entries(deps)
        .filter(([name]) => !NOT_INSTALLED.has(name))
        .sort(),
    );
  const dir = cachedInstall({
    example,
    entry: example,
    manifest: {
      name: `porthole-example-deps-${example}`,
      private: true,
      dependencies: keep(manifest.dependencies),
      devDependencies: keep(manifest.devDependencies),
    },
    // Types are all the check needs: no install scripts, no native optional binaries (swc, rolldown, sharp).
    flags: ['--ignore-scripts', '--omit=optional', '--no-audit', '--no-fund', '--loglevel=error'],
    env: ENV,
    diagnostic,
  });
  return path.join(dir, 'node_modules');
}

/**
 * A copy of the example whose node_modules links the cached dependencies and `porthole-chat` → this
 * repository (what `file:../..` gives), so TypeScript resolves the package through its exports map
 * to dist/types. Copied rather than linked: TypeScript resolves imports from a file's real path.
 */
function prepare(example: string, deps: string): string {
  const src = path.join(ROOT, 'examples', example);
  const dest = path.join(scratch, example);
  fs.cpSync(src, dest, {
    recursive: true,
    filter: (p) => !/^(node_modules|dist|\.next)$/.test(path.basename(p)) || path.dirname(p) !== src,
  });
  const nm = path.join(dest, 'node_modules');
  fs.mkdirSync(nm);
  for (const entry of fs.readdirSync(deps))
    if (!entry.startsWith('.') && !NOT_INSTALLED.has(entry)) fs.symlinkSync(path.join(deps, entry), path.join(nm, entry), 'dir');
  fs.symlinkSync(ROOT, path.join(nm, pkg.name), 'dir');
  return dest;
}

/** Runs the repo's tsc on a tsconfig; failures are reported with paths under examples/. */
function typecheck(dir: string, label: string, extraArgs: string[] = []): void {
  const r = run(process.execPath, [TSC, '-p', path.join(dir, 'tsconfig.json'), '--noEmit', '--pretty', 'false', ...extraArgs], dir);
  const out = `${r.stdout}${r.stderr}`.split(`${dir}${path.sep}`).join(`${label}/`).trim();
  assert.equal(r.code, 0, `${label} does not type-check against the built package:\n${out}`);
}

before(() => {
  for (const f of ['dist/types/index.d.ts', 'dist/types/exports.d.ts', 'dist/types/server/index.d.ts'])
    assert.ok(fs.existsSync(path.join(ROOT, f)), `${f} is missing: run \`npm run build\` first`);
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'porthole-examples-'));
});

after(() => {
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
});

test('every example has a README and depends on this package as file:../..', () => {
  for (const example of [...TS_EXAMPLES, 'cdn']) {
    const dir = path.join(ROOT, 'examples', example);
    assert.ok(fs.existsSync(path.join(dir, 'README.md')), `examples/${example}/README.md is missing`);
    if (example === 'cdn') continue;
    const manifest = readJson(path.join(dir, 'package.json'));
    assert.equal(
      manifest.dependencies?.[pkg.name],
      'file:../..',
      `examples/${example}/package.json: expected "${pkg.name}": "file:../.." in dependencies`,
    );
    assert.equal(manifest.private, true, `examples/${example}/package.json must be private (never published)`);
  }
});

for (const example of TS_EXAMPLES) {
  test(`examples/${example} type-checks against the built package`, { timeout: 900_000 }, (t) => {
    const dir = prepare(
      example,
      exampleDeps(example, (m) => t.diagnostic(m)),
    );
    if (example === 'nextjs-route') {
      // What `next build` checks for App Router route files: every exported method is a handler
      // taking (NextRequest, { params }) and returning a Response.
      fs.writeFileSync(
        path.join(dir, 'route-contract.check.ts'),
        `import type { NextRequest } from 'next/server';
import * as route from './app/api/porthole/[...path]/route';
type Handler = (request: NextRequest, context: { params: Promise<{ path: string[] }> }) => Response | Promise<Response>;
export const handlers: Record<'GET' | 'POST' | 'DELETE' | 'OPTIONS', Handler> = route;
export const runtime: 'nodejs' | 'edge' = route.runtime;
`,
      );
    }
    typecheck(dir, `examples/${example}`);
  });
}

test('the published types compile with skipLibCheck off, under bundler and NodeNext resolution', () => {
  const dir = path.join(scratch, 'strict-consumer');
  fs.mkdirSync(path.join(dir, 'node_modules', '@types'), { recursive: true });
  fs.symlinkSync(ROOT, path.join(dir, 'node_modules', pkg.name), 'dir');
  fs.symlinkSync(path.join(ROOT, 'node_modules', '@types', 'node'), path.join(dir, 'node_modules', '@types', 'node'), 'dir');
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'strict-consumer', private: true, type: 'module' }));
  fs.writeFileSync(
    path.join(dir, 'consumer.ts'),
    `import type { IncomingMessage, ServerResponse } from 'node:http';
import { PortholeChatElement } from '${pkg.name}';
import { PortholeChatElement as DefineFree, type ChatMessage, type PortholeErrorDetail } from '${pkg.name}/element';
import { createCompanion, loadConfig, toNodeListener, toRouteHandlers, type Companion } from '${pkg.name}/server';

const chat: PortholeChatElement = document.createElement('porthole-chat');
export const sameClass: typeof DefineFree = PortholeChatElement;
chat.addEventListener('porthole-message', (e) => {
  const message: ChatMessage = e.detail;
  // @ts-expect-error the detail is a ChatMessage, not any
  const wrong: number = e.detail;
  void message, wrong;
});
chat.addEventListener('porthole-error', (e) => {
  const detail: PortholeErrorDetail = e.detail;
  void detail;
});
export const opened: Promise<void> = chat.open();

const companion: Companion = createCompanion(loadConfig(process.env));
export const listener: (req: IncomingMessage, res: ServerResponse) => Promise<void> = toNodeListener(companion);
export const post: (request: Request) => Promise<Response> = toRouteHandlers(companion, { basePath: '/api/porthole' }).POST;
// @ts-expect-error createCompanion is typed (an unresolved declaration would make it any)
export const notAny: number = createCompanion;
// @ts-expect-error PortholeChatElement is typed
export const notAnyElement: number = PortholeChatElement;
`,
  );
  const base = {
    target: 'ES2022',
    lib: ['ES2022', 'DOM', 'DOM.Iterable'],
    strict: true,
    noEmit: true,
    skipLibCheck: false,
    types: ['node'],
  };
  for (const [name, options] of [
    ['bundler', { module: 'ESNext', moduleResolution: 'Bundler' }],
    ['nodenext', { module: 'NodeNext', moduleResolution: 'NodeNext' }],
  ] as const) {
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { ...base, ...options }, files: ['consumer.ts'] }));
    typecheck(dir, `a strict ${name} consumer`, ['--skipDefaultLibCheck']);
  }
});

test('examples/cdn loads this version from jsDelivr with SRI (placeholders until the release)', (t) => {
  const html = fs.readFileSync(path.join(ROOT, 'examples', 'cdn', 'index.html'), 'utf8');
  const prefix = `https://cdn.jsdelivr.net/npm/${pkg.name}@${pkg.version}/dist/cdn/`;
  const tag = /<script\b[^>]*\bsrc="(https:\/\/cdn\.jsdelivr\.net\/npm\/[^"]+)"[^>]*>/.exec(html);
  assert.ok(tag, 'examples/cdn/index.html has no <script src="https://cdn.jsdelivr.net/npm/…">');
  assert.equal(
    tag[1],
    `${prefix}porthole-chat.js`,
    `the CDN URL must pin this version (${pkg.version}) and the loader's path in the tarball`,
  );
  assert.match(tag[0], /\btype="module"/, 'the CDN loader is an ES module: type="module" is required');
  assert.match(tag[0], /\bcrossorigin="anonymous"/, 'SRI on a cross-origin script needs crossorigin="anonymous"');
  const integrity = /\bintegrity="([^"]+)"/.exec(tag[0])?.[1];
  assert.ok(integrity, 'the CDN script has no integrity attribute');

  // This build's hashes: dist/cdn/sri.json when the build writes it, else computed for the loader.
  const sriFile = path.join(ROOT, 'dist', 'cdn', 'sri.json');
  const sha384 = (f: string) =>
    `sha384-${crypto
      .createHash('sha384')
      .update(fs.readFileSync(path.join(ROOT, 'dist', 'cdn', f)))
      .digest('base64')}`;
  const hashes: Record<string, string> = fs.existsSync(sriFile) ? readJson(sriFile) : { 'porthole-chat.js': sha384('porthole-chat.js') };

  const pinned: Array<[string, string]> = [['porthole-chat.js', integrity]];
  const map = /<script type="importmap">([\s\S]*?)<\/script>/.exec(html);
  if (map) {
    const parsed = JSON.parse(map[1]) as { integrity?: Record<string, string> };
    for (const [url, hash] of Object.entries(parsed.integrity ?? {})) {
      assert.ok(url.startsWith(prefix), `import map entry ${url} is not under ${prefix}`);
      pinned.push([url.slice(prefix.length), hash]);
    }
  }
  const placeholder = ([file, hash]: [string, string]) => /PLACEHOLDER/.test(`${file} ${hash}`);
  for (const [file, hash] of pinned.filter((p) => !placeholder(p))) {
    assert.ok(hashes[file], `examples/cdn pins ${file}, which this build does not have (files: ${Object.keys(hashes).join(', ')})`);
    assert.equal(hash, hashes[file], `examples/cdn: the integrity of ${file} does not match this build`);
  }
  const open = pinned.filter(placeholder).map(([file]) => file);
  if (open.length) t.diagnostic(`release placeholders left for ${open.join(', ')}; this build's values: ${JSON.stringify(hashes)}`);
});
