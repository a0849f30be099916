// 1. Weight: the bytes a page loads before the visitor acts (the launcher) and up to a working
// conversation, from Porthole's CDN build — beside the published npm packages of other chat
// widgets bundled the same way (rollup + node-resolve + commonjs + terser), and the inline
// loader snippets of hosted services.
import commonjs from '@rollup/plugin-commonjs';
import resolve from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { rollup, type OutputChunk, type Plugin } from 'rollup';
import { minify } from 'terser';
import { CDN, conversationFiles, launcherFiles, LOADER } from '../test/package/bundle-graph.ts';
import { bytes, verdict } from './support/stats.ts';
import type { BenchContext, BenchResult, Row } from './support/types.ts';
import { MODES, type Mode } from './support/companion-env.ts';

const BENCH = path.resolve('bench');
const PEERS_DIR = path.join(BENCH, '.peers');
/** Brotli budgets: the launcher, and up to a working conversation in each mode (gateway loads no @mattermost/client). */
const TARGET = { launcher: 2048, conversation: { gateway: 26 * 1024, direct: 40 * 1024 } as Record<Mode, number> };

/** Peers, pinned: the versions TOOLCHAIN.md measured. React comes from their peer ranges. */
const PEERS: Record<string, string> = {
  '@rocket.chat/livechat': '1.13.3',
  '@papercups-io/chat-widget': '1.3.1',
  'react-chat-widget': '3.1.4',
};

/** The same terser options as Porthole's CDN build (rollup.config.mjs). */
const TERSER = { ecma: 2020 as const, module: true, compress: { passes: 2 }, format: { comments: false } };

interface Size {
  min: number;
  gzip: number;
  brotli: number;
}

function size(code: string | Buffer): Size {
  const buf = Buffer.isBuffer(code) ? code : Buffer.from(code);
  return {
    min: buf.length,
    gzip: zlib.gzipSync(buf, { level: 9 }).length,
    brotli: zlib.brotliCompressSync(buf, {
      params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: buf.length },
    }).length,
  };
}

/** Sum of per-file sizes: each file is fetched and compressed on its own. */
const sum = (sizes: Size[]): Size =>
  sizes.reduce((a, s) => ({ min: a.min + s.min, gzip: a.gzip + s.gzip, brotli: a.brotli + s.brotli }), { min: 0, gzip: 0, brotli: 0 });

interface Piece {
  /** Stable key for the summary: rocketchat, papercups, papercups+react, rcw, rcw+react, intercom, crisp, talkjs. */
  key: string;
  name: string;
  /** What a page loads before the visitor acts. */
  before?: Size;
  /** Up to a working conversation. */
  chat?: Size;
  note: string;
}

// ── Porthole ──────────────────────────────────────────────────────────────────────────────

interface Own {
  /** Per mode: the launcher, then everything up to a working conversation in that mode. */
  piece: Record<Mode, Piece>;
  /** Every file of either mode's conversation: its size, whether the launcher loads it, and which modes load it. */
  files: { file: string; size: Size; launcher: boolean; modes: Mode[] }[];
}

function porthole(): { own?: Own; missing?: string } {
  if (!fs.existsSync(path.join(CDN, LOADER))) return { missing: 'dist/cdn missing (run `npm run build`)' };
  const launcher = launcherFiles();
  const byMode = Object.fromEntries(MODES.map((m) => [m, conversationFiles(m)])) as Record<Mode, string[]>;
  const names = [...new Set(MODES.flatMap((m) => byMode[m]))];
  const files = names.map((file) => ({
    file,
    size: size(fs.readFileSync(path.join(CDN, file))),
    launcher: launcher.includes(file),
    modes: MODES.filter((m) => byMode[m].includes(file)),
  }));
  const version = readVersion(path.resolve('package.json'));
  const piece = Object.fromEntries(
    MODES.map((mode) => {
      const mine = files.filter((f) => f.modes.includes(mode));
      return [
        mode,
        {
          key: `porthole-${mode}`,
          name: `Porthole ${version} (CDN build), ${mode} mode`,
          before: sum(files.filter((f) => f.launcher).map((f) => f.size)),
          chat: sum(mine.map((f) => f.size)),
          note: `loader + its static imports (${launcher.length} file${launcher.length === 1 ? '' : 's'}); then every chunk reachable through \`import()\` except the other mode's transport (${mine.length} files in all)`,
        },
      ];
    }),
  ) as Record<Mode, Piece>;
  return { own: { piece, files } };
}

// ── peers from npm ────────────────────────────────────────────────────────────────────────

function readVersion(pkgJson: string): string | undefined {
  try {
    return JSON.parse(fs.readFileSync(pkgJson, 'utf8')).version;
  } catch {
    return undefined;
  }
}

const installedVersion = (name: string) => readVersion(path.join(PEERS_DIR, 'node_modules', name, 'package.json'));
const peersInstalled = () => Object.entries(PEERS).every(([n, v]) => installedVersion(n) === v);

/** Installs the peers into bench/.peers (never into the project). */
function installPeers(log: (...a: string[]) => void): string | undefined {
  fs.mkdirSync(PEERS_DIR, { recursive: true });
  log(`installing ${Object.keys(PEERS).join(', ')} into bench/.peers`);
  const r = spawnSync(
    'npm',
    [
      'install',
      '--prefix',
      PEERS_DIR,
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      '--loglevel=error',
      ...Object.entries(PEERS).map(([n, v]) => `${n}@${v}`),
    ],
    { encoding: 'utf8', timeout: 240_000, env: { ...process.env, PUPPETEER_SKIP_DOWNLOAD: '1', PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' } },
  );
  if (r.status !== 0)
    return `npm install of the peers failed (${r.error?.message ?? `exit ${r.status}`}): ${(r.stderr || '').trim().split('\n').slice(-3).join(' ')}`;
  return peersInstalled() ? undefined : 'the peers did not install at the pinned versions';
}

/** `process.env.NODE_ENV` → "production", as every bundler configured for production does. */
const nodeEnv = (): Plugin => ({
  name: 'node-env',
  transform(code) {
    if (!code.includes('process.env.NODE_ENV')) return null;
    return { code: code.replace(/process\.env\.NODE_ENV/g, '"production"'), map: null };
  },
});

/** CSS imported from JS becomes an empty module (react-chat-widget's stylesheet is counted apart). */
const cssEmpty = (): Plugin => ({
  name: 'css-empty',
  load(id) {
    return id.endsWith('.css') ? 'export default "";' : null;
  },
});

/** JSON imported from JS (some peers read their package.json), as @rollup/plugin-json would. */
const json = (): Plugin => ({
  name: 'json',
  transform(code, id) {
    return id.endsWith('.json') ? { code: `export default ${code};`, map: null } : null;
  },
});

/**
 * Bundles `entry` (code in bench/.peers/entries) like Porthole's CDN build and returns the
 * size of what the entry loads at once and of everything including `import()`ed chunks.
 */
async function bundle(name: string, entry: string, external: string[]): Promise<{ before: Size; all: Size; files: number }> {
  const dir = path.join(PEERS_DIR, 'entries');
  fs.mkdirSync(dir, { recursive: true });
  const input = path.join(dir, `${name}.mjs`);
  fs.writeFileSync(input, entry);
  const build = await rollup({
    input,
    external: (id) => external.some((e) => id === e || id.startsWith(`${e}/`)),
    plugins: [nodeEnv(), cssEmpty(), json(), resolve({ browser: true, exportConditions: ['browser', 'production'] }), commonjs()],
    onwarn: () => {},
  });
  const { output } = await build.generate({ format: 'es', plugins: [terser(TERSER)] });
  await build.close();
  const chunks = new Map(output.filter((o): o is OutputChunk => o.type === 'chunk').map((c) => [c.fileName, c]));
  const entryChunk = [...chunks.values()].find((c) => c.isEntry)!;
  const closure = (follow: 'static' | 'all') => {
    const seen = new Set<string>();
    const todo = [entryChunk.fileName];
    while (todo.length) {
      const f = todo.pop()!;
      if (seen.has(f) || !chunks.has(f)) continue;
      seen.add(f);
      const c = chunks.get(f)!;
      todo.push(...c.imports, ...(follow === 'all' ? c.dynamicImports : []));
    }
    return [...seen];
  };
  const sizeOf = (files: string[]) => sum(files.map((f) => size(chunks.get(f)!.code)));
  return { before: sizeOf(closure('static')), all: sizeOf(closure('all')), files: chunks.size };
}

/**
 * Measures every peer; `quick` (smoke mode without a cache) bundles only Papercups without
 * React — enough to prove the install → bundle → measure path still works — and reads
 * Rocket.Chat's shipped files.
 */
async function measurePeers(log: (...a: string[]) => void, quick = false): Promise<Piece[]> {
  const nm = path.join(PEERS_DIR, 'node_modules');
  const pieces: Piece[] = [];
  const react = installedVersion('react');

  // Rocket.Chat Livechat ships a prebuilt app: a loader the site includes, and an iframe app.
  {
    const build = path.join(nm, '@rocket.chat/livechat/build');
    const loader = size(fs.readFileSync(path.join(build, 'rocketchat-livechat.min.js')));
    const html = fs.readFileSync(path.join(build, 'index.html'), 'utf8');
    const initial = [...html.matchAll(/<script[^>]+src="(?:livechat\/)?([^"]+)"/g)].map((m) => m[1]);
    const app = sum(initial.map((f) => size(fs.readFileSync(path.join(build, f)))));
    const lazy = fs
      .readdirSync(build)
      .filter((f) => f.endsWith('.js') && !initial.includes(f) && f !== 'rocketchat-livechat.min.js' && /chunk/.test(f));
    const lazySize = sum(lazy.map((f) => size(fs.readFileSync(path.join(build, f)))));
    pieces.push({
      key: 'rocketchat',
      name: `Rocket.Chat Livechat ${installedVersion('@rocket.chat/livechat')}`,
      before: loader,
      chat: sum([loader, app]),
      note: `shipped prebuilt (webpack, already minified), measured as shipped: the loader \`rocketchat-livechat.min.js\`; then the iframe app's ${initial.length} initial scripts from its index.html (+ ${lazy.length} lazy chunks of ${bytes(lazySize.brotli)} brotli not counted)`,
    });
  }

  // Papercups: a React component; the conversation UI itself is an iframe from Papercups' server.
  {
    const entry = `import React from 'react';
import { render } from 'react-dom';
import { ChatWidget } from '@papercups-io/chat-widget';
const root = document.createElement('div');
document.body.appendChild(root);
render(React.createElement(ChatWidget, { accountId: '00000000-0000-4000-8000-000000000000', title: 'Welcome' }), root);
`;
    const without = await bundle('papercups', entry, ['react', 'react-dom']);
    const v = installedVersion('@papercups-io/chat-widget');
    pieces.push({
      key: 'papercups',
      name: `Papercups chat-widget ${v} (without React)`,
      before: without.before,
      chat: without.all,
      note: 'React component; the chat UI is an iframe served by Papercups (not counted)',
    });
    if (quick) {
      log('smoke: bundled only Papercups without React (no cache of the other peers)');
      return pieces;
    }
    const withReact = await bundle('papercups-react', entry, []);
    pieces.push({
      key: 'papercups+react',
      name: `Papercups chat-widget ${v} + React ${react}`,
      before: withReact.before,
      chat: withReact.all,
      note: 'as above, with react and react-dom bundled',
    });
  }

  // react-chat-widget: a React component, plus its stylesheet that the page must also load.
  {
    const entry = `import React from 'react';
import { render } from 'react-dom';
import { Widget } from 'react-chat-widget';
const root = document.createElement('div');
document.body.appendChild(root);
render(React.createElement(Widget, { title: 'Welcome', subtitle: 'Ask us anything' }), root);
`;
    const css = size(fs.readFileSync(path.join(nm, 'react-chat-widget/lib/styles.css')));
    const without = await bundle('react-chat-widget', entry, ['react', 'react-dom']);
    const withReact = await bundle('react-chat-widget-react', entry, []);
    const v = installedVersion('react-chat-widget');
    pieces.push({
      key: 'rcw',
      name: `react-chat-widget ${v} (without React)`,
      before: sum([without.before, css]),
      chat: sum([without.all, css]),
      note: `JS + its lib/styles.css (${bytes(css.brotli)} brotli); a UI only — no backend connection`,
    });
    pieces.push({
      key: 'rcw+react',
      name: `react-chat-widget ${v} + React ${react}`,
      before: sum([withReact.before, css]),
      chat: sum([withReact.all, css]),
      note: 'as above, with react and react-dom bundled',
    });
  }
  log(`peers bundled: ${pieces.length} rows`);
  return pieces;
}

// ── loader snippets of hosted services ────────────────────────────────────────────────────

async function snippets(): Promise<Piece[]> {
  const out: Piece[] = [];
  const names: Record<string, string> = { intercom: 'Intercom', crisp: 'Crisp', talkjs: 'TalkJS' };
  for (const [file, label] of Object.entries(names)) {
    const src = fs.readFileSync(path.join(BENCH, 'snippets', `${file}.js`), 'utf8');
    const min = (await minify(src, { ...TERSER, module: false })).code ?? src;
    out.push({
      key: file,
      name: `${label} (inline loader snippet)`,
      before: size(min),
      note: 'loader only: fetches its runtime from the vendor CDN at run time (not counted)',
    });
  }
  return out;
}

// ── cache (peers are deterministic for a given set of versions) ────────────────────────────

function cacheKey(): string {
  const h = crypto.createHash('sha256');
  h.update(fs.readFileSync(new URL(import.meta.url)));
  for (const p of [...Object.keys(PEERS), 'react', 'react-dom']) h.update(`${p}@${installedVersion(p)}`);
  for (const p of ['rollup', 'terser', '@rollup/plugin-commonjs', '@rollup/plugin-node-resolve', '@rollup/plugin-terser'])
    h.update(`${p}@${readVersion(path.resolve('node_modules', p, 'package.json'))}`);
  return h.digest('hex');
}

// ── the benchmark ─────────────────────────────────────────────────────────────────────────

const fmt = (s?: Size) => (s ? `${bytes(s.min)} / ${bytes(s.gzip)} / ${bytes(s.brotli)}` : '—');

export default async function weight({ smoke, log }: BenchContext): Promise<BenchResult> {
  let peers: Piece[] = [];
  let peersNote = '';
  const cacheFile = path.join(PEERS_DIR, 'weight-cache.json');
  if (!peersInstalled()) {
    if (smoke) peersNote = 'peers not measured in smoke mode: they are not installed in bench/.peers (the full run installs them)';
    else peersNote = installPeers(log) ?? '';
  }
  if (peersInstalled()) {
    const key = cacheKey();
    const cached = fs.existsSync(cacheFile) ? JSON.parse(fs.readFileSync(cacheFile, 'utf8')) : undefined;
    if (smoke && cached?.key === key) {
      peers = cached.pieces;
      log('peers: bundle sizes from bench/.peers/weight-cache.json (same versions, same bench code)');
    } else if (smoke) {
      peers = await measurePeers(log, true);
      peersNote = 'smoke mode without a cache: only Papercups without React was bundled';
    } else {
      peers = await measurePeers(log);
      fs.writeFileSync(cacheFile, JSON.stringify({ key, pieces: peers }, null, 2));
    }
  }
  const snips = await snippets();

  // Compact references for the summary table (the details table has every size).
  const all = new Map([...peers, ...snips].map((p) => [p.key, p]));
  const b = (key: string, which: 'before' | 'chat') => {
    const s = all.get(key)?.[which];
    return s ? bytes(s.brotli) : undefined;
  };
  const withReact = (key: string, which: 'before' | 'chat') =>
    b(`${key}+react`, which) ? ` (${b(`${key}+react`, which)} with React)` : '';
  const refBefore = [
    b('rocketchat', 'before') && `Rocket.Chat Livechat loader ${b('rocketchat', 'before')}`,
    b('papercups', 'before') && `Papercups ${b('papercups', 'before')}${withReact('papercups', 'before')}`,
    b('rcw', 'before') && `react-chat-widget ${b('rcw', 'before')}${withReact('rcw', 'before')}`,
    `inline loader snippets (their runtime comes later from their CDNs): Intercom ${b('intercom', 'before')}, Crisp ${b('crisp', 'before')}, TalkJS ${b('talkjs', 'before')}`,
  ].filter(Boolean);
  const refChat = [
    b('rocketchat', 'chat') && `Rocket.Chat Livechat ${b('rocketchat', 'chat')} (loader + iframe app)`,
    b('papercups', 'chat') && `Papercups ${b('papercups', 'chat')}${withReact('papercups', 'chat')} + its chat iframe, not counted`,
    b('rcw', 'chat') && `react-chat-widget ${b('rcw', 'chat')}${withReact('rcw', 'chat')}, a UI without a backend`,
    'Intercom, Crisp, TalkJS: runtime from their CDNs, not measurable offline',
  ].filter(Boolean);

  const { own, missing } = porthole();
  const launcher = own?.piece.gateway.before;
  const chat = (mode: Mode) => own?.piece[mode].chat;
  const rows: Row[] = [
    {
      figure: 'Launcher: bytes before the visitor acts (brotli q11; the same in both modes)',
      porthole: launcher ? bytes(launcher.brotli) : `skipped: ${missing}`,
      reference: refBefore.join(' · '),
      target: `≤ ${bytes(TARGET.launcher)}`,
      verdict: verdict(launcher ? launcher.brotli <= TARGET.launcher : undefined),
    },
    ...MODES.map((mode) => ({
      figure: `${mode === 'gateway' ? 'Gateway' : 'Direct'}: bytes up to a working conversation (brotli q11)`,
      porthole: chat(mode)
        ? `${bytes(chat(mode)!.brotli)}${mode === 'gateway' && chat('direct') ? ` (direct mode: ${bytes(chat('direct')!.brotli)})` : ''}`
        : `skipped: ${missing}`,
      reference: refChat.join(' · '),
      target: `≤ ${bytes(TARGET.conversation[mode])}`,
      verdict: verdict(chat(mode) ? chat(mode)!.brotli <= TARGET.conversation[mode] : undefined),
    })),
  ];

  const table = [
    '| what | before the visitor acts (min / gzip -9 / brotli q11) | up to a working conversation (min / gzip / brotli) | what is counted |',
    '|---|---|---|---|',
    ...(own ? MODES.map((m) => own.piece[m]) : [])
      .concat(peers, snips)
      .map((p) => `| ${p.name} | ${fmt(p.before)} | ${fmt(p.chat)} | ${p.note} |`),
  ];
  const loaded = (f: Own['files'][number]) =>
    f.launcher ? 'at once' : `on demand${f.modes.length < MODES.length ? ` (${f.modes.join(', ')} mode only)` : ''}`;
  const files = own
    ? [
        '',
        'Porthole, file by file:',
        '',
        '| file | loaded | min / gzip / brotli |',
        '|---|---|---|',
        ...own.files.map((f) => `| \`${f.file}\` | ${loaded(f)} | ${fmt(f.size)} |`),
      ]
    : [];

  const limits: string[] = [];
  if (launcher && launcher.brotli > TARGET.launcher)
    limits.push(
      `The launcher is ${bytes(launcher.brotli - TARGET.launcher)} over its budget: everything the loader imports statically is paid by every page view.`,
    );
  const g = chat('gateway');
  if (g && g.brotli > TARGET.conversation.gateway) {
    const transport = own!.files.filter((f) => f.modes.length === 1 && f.modes[0] === 'gateway').reduce((a, f) => a + f.size.brotli, 0);
    limits.push(
      `Gateway: the conversation is ${bytes(g.brotli - TARGET.conversation.gateway)} over its ${bytes(TARGET.conversation.gateway)} budget. Its own transport chunks (${bytes(transport)} brotli) are a small part: the rest is the launcher and the panel with what both modes share (Lit, the controllers, rendering, zod/mini), which direct mode pays too.`,
    );
  }
  const d = chat('direct');
  if (d && d.brotli > TARGET.conversation.direct)
    limits.push(
      `Direct: the conversation is ${bytes(d.brotli - TARGET.conversation.direct)} over its budget. The dependency floor (Lit, Client4 via its deep import, reconnecting-websocket, zod/mini) is ~24.5 KB brotli (TOOLCHAIN.md), leaving ~16 KB for Porthole's own code.`,
    );

  return {
    title: '1. Weight',
    rows,
    method: [
      "Porthole: the CDN build in `dist/cdn` (rollup + node-resolve + commonjs + terser, `rollup.config.mjs`). The import graph is followed from the loader `porthole-chat.js` (`test/package/bundle-graph.ts`): static `import`s are loaded at once (the launcher), `import(\"./…\")` on demand (the panel, up to a working conversation). The session answer picks the transport, and each mode's transport is a chunk of its own: a gateway conversation loads the gateway transport (the companion's API and `/v1/live`, no @mattermost/client), a direct one the Mattermost transport, never both — so each mode is counted with its own transport and without the other's (`conversationFiles(mode)`). Sizes are per file and summed, as a browser fetches them: minified bytes, gzip level 9 and brotli quality 11. Targets: gateway ≤ 26 KiB (26,624 B), direct ≤ 40 KiB (40,960 B).",
      `Peers: the published npm packages (${Object.entries(PEERS)
        .map(([n, v]) => `\`${n}@${v}\``)
        .join(
          ', ',
        )}, React from their peer ranges) installed with \`npm install --prefix bench/.peers\` (never into the project) and bundled the same way — an entry that renders the widget, rollup with node-resolve (browser), commonjs, \`process.env.NODE_ENV = "production"\`, terser with Porthole's options, compressed the same way. Rocket.Chat Livechat is published prebuilt (webpack, minified), so its files are measured as shipped. Intercom, Crisp and TalkJS: their documented inline loader snippets (\`bench/snippets/\`), minified; those fetch their real runtime from their CDNs when the page runs, which is not counted.`,
      'Sizes do not vary between runs, so there is no spread: one measurement is the figure.',
    ].join('\n\n'),
    details: [...table, ...files, ...(peersNote ? ['', `Note: ${peersNote}.`] : [])].join('\n'),
    limits: limits.join(' '),
    versions: Object.fromEntries([...Object.keys(PEERS), 'react', 'react-dom'].map((p) => [p, installedVersion(p) ?? 'not installed'])),
    skipped: undefined,
  };
}
