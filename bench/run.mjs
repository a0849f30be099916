#!/usr/bin/env node
// `npm run bench`: measures Porthole the way users feel it, each figure beside a reference
// measured in the same run on the same machine — in gateway mode (the default) and in direct mode
// where the mode matters — and writes docs/benchmarks.md.
//
//   node bench/run.mjs                 full run (minutes); writes docs/benchmarks.md
//   node bench/run.mjs --smoke         quick pass of every benchmark with tiny counts (< 60 s);
//                                      prints the figures, writes nothing; exit 0 unless one crashes
//   node bench/run.mjs --only a,b      only these benchmarks (full mode keeps the others' last
//                                      figures in the doc, marked with their date)
//
// Each benchmark runs in its own process (bench/support/child.mjs) with a time limit. A figure
// never fails the run: only a crash (or a time-out) does.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM } from '../dev/chromium.mjs';
import { ensureTools } from '../scripts/setup.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);

/** Every benchmark, in the order of the doc. `mm`: needs the real Mattermost. Limits in seconds. */
export const BENCHES = [
  { id: 'weight', title: '1. Weight', file: 'bench/weight.ts', mm: false, limit: { smoke: 50, full: 600 } },
  { id: 'lighthouse', title: '2. Host-page impact (Lighthouse)', file: 'bench/lighthouse.ts', mm: false, limit: { smoke: 50, full: 900 } },
  { id: 'open-ready', title: '3. Open → ready', file: 'bench/open-ready.ts', mm: true, limit: { smoke: 50, full: 900 } },
  { id: 'delivery', title: '4. Delivery latency', file: 'bench/delivery.ts', mm: true, limit: { smoke: 50, full: 900 } },
  { id: 'resync', title: '5. Resync after an outage', file: 'bench/resync.ts', mm: true, limit: { smoke: 50, full: 900 } },
  { id: 'render', title: '6. Rendering a long conversation', file: 'bench/render.ts', mm: true, limit: { smoke: 60, full: 1800 } },
  { id: 'companion', title: '7. Companion', file: 'bench/companion.ts', mm: true, limit: { smoke: 50, full: 900 } },
  {
    id: 'sockets',
    title: '8. Live sockets and fan-out (one instance)',
    file: 'bench/sockets.ts',
    mm: true,
    limit: { smoke: 60, full: 900 },
  },
  { id: 'scale', title: '9. Scaled out: two instances on one Redis', file: 'bench/scale.ts', mm: true, limit: { smoke: 60, full: 600 } },
  // Markdown (issue 11): the chunk's weight, and rendering and scrolling 5,000 markdown messages.
  { id: 'markdown-weight', title: '10. Markdown weight', file: 'bench/markdown-weight.ts', mm: false, limit: { smoke: 30, full: 60 } },
  { id: 'markdown-render', title: '11. Rendering markdown', file: 'bench/markdown-render.ts', mm: false, limit: { smoke: 50, full: 900 } },
  // Files (issue 11): upload throughput through the companion beside a direct upload to Mattermost.
  { id: 'upload', title: '12. Upload throughput', file: 'bench/upload.ts', mm: true, limit: { smoke: 30, full: 300 } },
];
const DOC = path.join(root, 'docs/benchmarks.md');
const SMOKE_BUDGET_S = 60;

function parseArgs(argv) {
  const opts = { smoke: false, only: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--smoke') opts.smoke = true;
    else if (a === '--only') opts.only = (argv[++i] ?? '').split(',').filter(Boolean);
    else if (a.startsWith('--only=')) opts.only = a.slice(7).split(',').filter(Boolean);
    else if (a === '--help' || a === '-h') {
      console.log('usage: node bench/run.mjs [--smoke] [--only <name>[,<name>…]]\nbenchmarks: ' + BENCHES.map((b) => b.id).join(', '));
      process.exit(0);
    } else {
      console.error(`bench: unknown argument ${JSON.stringify(a)} (expected --smoke, --only <name>[,<name>…] or --help)`);
      process.exit(2);
    }
  }
  if (opts.only) {
    const unknown = opts.only.filter((n) => !BENCHES.some((b) => b.id === n));
    if (unknown.length || !opts.only.length) {
      console.error(
        `bench: --only expects names among ${BENCHES.map((b) => b.id).join(', ')}; received ${JSON.stringify(opts.only.join(','))}`,
      );
      process.exit(2);
    }
  }
  return opts;
}

/** Runs one benchmark file in a child process; resolves with its result (or a crash record). */
function runOne(bench, smoke) {
  const out = path.join(os.tmpdir(), `porthole-bench-${process.pid}-${bench.id}.json`);
  fs.rmSync(out, { force: true });
  const limitS = smoke ? bench.limit.smoke : bench.limit.full;
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--experimental-websocket', '--no-warnings=ExperimentalWarning', '--import', 'tsx', 'bench/support/child.mjs', bench.file],
      {
        cwd: root,
        stdio: ['ignore', 'inherit', 'inherit'],
        env: {
          ...process.env,
          BENCH_OUT: out,
          BENCH_SMOKE: smoke ? '1' : '0',
          PUPPETEER_SKIP_DOWNLOAD: '1',
          PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1',
        },
      },
    );
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM'); // the child cleans up (browsers, Mattermost users) on SIGTERM
      setTimeout(() => child.kill('SIGKILL'), 25_000).unref();
    }, limitS * 1000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      let result;
      try {
        result = JSON.parse(fs.readFileSync(out, 'utf8'));
      } catch {
        result = { id: bench.id, crashed: `exited with ${code} and wrote no result` };
      }
      fs.rmSync(out, { force: true });
      if (timedOut) result = { id: bench.id, crashed: `did not finish within its ${limitS} s limit` };
      else if (code !== 0 && !result.crashed) result.crashed = `exited with ${code}`;
      result.seconds ??= Math.round((performance.now() - started) / 100) / 10;
      resolve(result);
    });
  });
}

// ── versions and machine ──────────────────────────────────────────────────────────────────

function pkgVersion(name) {
  try {
    return JSON.parse(fs.readFileSync(path.join(root, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return 'not installed';
  }
}

function firstLine(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000 });
  return (r.stdout || '').trim().split('\n')[0] || 'unknown';
}

function machine() {
  const cpus = os.cpus();
  let distro = os.type();
  try {
    distro = /PRETTY_NAME="([^"]+)"/.exec(fs.readFileSync('/etc/os-release', 'utf8'))?.[1] ?? distro;
  } catch {}
  return {
    cpu: `${cpus[0]?.model?.trim() ?? 'unknown CPU'}, ${cpus.length} cores`,
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    os: `${distro}, Linux ${os.release()}`,
    load: os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' / '),
  };
}

function versions(extra) {
  const own = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const postgres = (() => {
    try {
      const dirs = fs.readdirSync('/usr/lib/postgresql').sort();
      return firstLine(`/usr/lib/postgresql/${dirs.at(-1)}/bin/postgres`, ['--version']).replace(/^postgres \(PostgreSQL\) /, '');
    } catch {
      return 'unknown';
    }
  })();
  return {
    node: process.version,
    chromium: firstLine(CHROMIUM, ['--version']).replace(/ built on.*/, ''),
    ...(extra.mattermost ? { mattermost: extra.mattermost } : {}),
    postgresql: postgres,
    'porthole-chat': own.version,
    ...Object.fromEntries(
      [
        'lit',
        '@mattermost/client',
        'reconnecting-websocket',
        'zod',
        'hono',
        '@hono/node-server',
        'playwright-core',
        'lighthouse',
        'autocannon',
        'rollup',
        'terser',
        '@rollup/plugin-terser',
        '@rollup/plugin-commonjs',
        '@rollup/plugin-node-resolve',
        'tsx',
      ].map((n) => [n, pkgVersion(n)]),
    ),
    ...Object.fromEntries(Object.entries(extra).filter(([k]) => k !== 'mattermost')),
  };
}

// ── output ────────────────────────────────────────────────────────────────────────────────

function printResult(r) {
  const head = r.title ?? r.id;
  if (r.crashed) return console.log(`\n✗ ${head}: CRASHED — ${r.crashed} (${r.seconds} s)`);
  console.log(`\n── ${head} (${r.seconds} s)${r.skipped ? ` — skipped: ${r.skipped}` : ''}`);
  for (const row of r.rows ?? []) {
    console.log(`  ${row.figure}`);
    console.log(`    Porthole   ${row.porthole}`);
    console.log(`    reference  ${row.reference}`);
    console.log(`    target     ${row.target}  → ${row.verdict}`);
  }
}

const cell = (s) =>
  String(s ?? '')
    .replace(/\|/g, '\\|')
    .replace(/\n/g, ' ');

function renderDoc({ results, meta }) {
  const lines = [
    '# Benchmarks',
    '',
    '<!-- Generated by `npm run bench` (bench/run.mjs). Edit bench/, not this file: the next full run rewrites it. -->',
    '',
    'Porthole measured the way visitors and site owners feel it, each figure beside a reference measured in the same run on the same machine.',
    'Where the mode matters (benchmarks 1 and 3–7), each figure is given for gateway mode (the default: the browser talks only to the companion, which posts through one bot; a conversation is a thread in a support channel) and for direct mode (each visitor a Mattermost user; the browser talks to Mattermost), both measured in the same run, gateway first.',
    'Targets are goals, not gates: a figure that misses says so here, and its section says what limits it.',
    'Figures are medians with their spread (p25–p75, or min–max for fewer than 4 samples) over repeated runs.',
    'Benchmarks never fail CI on a figure; `npm test` runs `node bench/run.mjs --smoke` (every benchmark once, tiny counts, nothing written) so they do not rot.',
    '',
    `- **Date**: ${meta.date}`,
    `- **Machine**: ${meta.machine.cpu}, ${meta.machine.memory}; ${meta.machine.os}; load average at start ${meta.machine.load} (1/5/15 min — other work on the machine shows here)`,
    `- **Versions**: ${Object.entries(meta.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    '- **Run it**: `npm run bench` (full, writes this file; about 30 minutes), `npm run bench -- --only <name>[,<name>…]` (the others keep their last figures), `npm run bench -- --smoke`.',
    '',
    "**Set-up.** Benchmarks 3–7 use the real Mattermost of the test harness (`npm run mattermost:up`; the runner starts it when it is down and stops it again afterwards unless `PORTHOLE_KEEP_MM=1`). The browser benchmarks need the CDN build (`npm run build`) and serve the test page on localhost:8080 — an origin Mattermost's `AllowCorsFrom` lists; `npm start`'s demo uses the same port, so stop it first or set `BENCH_PAGE_PORT=8000` — with the companion on localhost:8781 (the page's `token-url`) and a TCP proxy on 127.0.0.1:18066 in front of the server the widget talks to: the companion in gateway mode, Mattermost in direct mode. The companion benchmark uses 127.0.0.1:8782 and 8783, the live-socket benchmark 127.0.0.1:8880–8882. In gateway mode the benchmarks use a support channel and a bot of their own (`porthole-bench` in the harness's team, with its agents, and `porthole-bench-bot`; both kept between runs, the bot's tokens revoked after each), so that their thousands of posts stay out of the inbox the demo and the end-to-end suite use; the threads they create stay in that channel. Every Mattermost user and channel a direct-mode benchmark creates is permanently deleted at its end. Rate limits are raised to their maxima and the rest lifted (`bench/support/lifted-rate-limits.ts`): all requests come from one address. Peers for benchmark 1 are installed into `bench/.peers/` (gitignored), never into the project. Nothing downloads a browser: Chromium is Debian's `/usr/bin/chromium` (`CHROME_PATH`).",
    '',
    '## Summary',
    '',
    '| benchmark | figure | Porthole | reference (same run) | target | verdict |',
    '|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    if (r.notRun) {
      lines.push(`| ${cell(r.title)} | — | not measured yet | — | — | — |`);
      continue;
    }
    if (r.crashed) {
      lines.push(`| ${cell(r.title ?? r.id)} | — | crashed: ${cell(r.crashed)} | — | — | — |`);
      continue;
    }
    if (!r.rows?.length) lines.push(`| ${cell(r.title)} | — | skipped: ${cell(r.skipped)} | — | — | — |`);
    for (const row of r.rows ?? [])
      lines.push(
        `| ${cell(r.title)} | ${cell(row.figure)} | ${cell(row.porthole)} | ${cell(row.reference)} | ${cell(row.target)} | ${row.verdict === 'missed' ? '**missed**' : cell(row.verdict)} |`,
      );
  }
  for (const r of results) {
    lines.push('', `## ${r.title ?? r.id}`, '');
    if (r.notRun) {
      lines.push(`Not measured yet: \`npm run bench -- --only ${r.id}\` (or a full \`npm run bench\`) fills this in.`, '');
      continue;
    }
    if (r.carried)
      lines.push(
        `_Not re-run in the last run: these figures are from ${r.measuredAt?.slice(0, 16).replace('T', ' ')} UTC, with the versions of that run._`,
        '',
      );
    if (r.crashed) lines.push(`Crashed in this run: ${r.crashed}`, '');
    if (r.skipped) lines.push(`Skipped in this run: ${r.skipped}.`, '');
    if (r.method) lines.push('**How it is measured.**', '', r.method, '');
    if (r.details) lines.push(r.details, '');
    if (r.limits) lines.push('**What limits it.**', '', r.limits, '');
    if (r.seconds) lines.push(`_Took ${r.seconds} s on ${r.measuredAt?.slice(0, 10) ?? meta.date}._`);
  }
  lines.push(`<!-- bench-data ${Buffer.from(JSON.stringify({ meta, results })).toString('base64')} -->`, '');
  return lines.join('\n');
}

function previousResults() {
  try {
    const m = /<!-- bench-data ([A-Za-z0-9+/=]+) -->/.exec(fs.readFileSync(DOC, 'utf8'));
    return m ? JSON.parse(Buffer.from(m[1], 'base64').toString('utf8')).results : [];
  } catch {
    return [];
  }
}

// ── main ──────────────────────────────────────────────────────────────────────────────────

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  // It may be the first command on a new machine: packages, Chromium, and the build it measures.
  // Not in a checkout whose node_modules links to another's (a clone to measure another commit):
  // `npm ci` there would empty the other checkout's packages through the link.
  if (fs.lstatSync(path.join(root, 'node_modules'), { throwIfNoEntry: false })?.isSymbolicLink()) {
    console.error('bench: node_modules is a link to another checkout; not installing packages here');
  } else ensureTools();
  if (
    !fs.existsSync(path.join(root, 'dist/cdn/porthole-chat.js')) &&
    spawnSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' }).status !== 0
  ) {
    console.error('bench: `npm run build` failed');
    process.exit(1);
  }
  const selected = BENCHES.filter((b) => !opts.only || opts.only.includes(b.id));
  const started = performance.now();
  const meta = {
    date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
    machine: machine(),
    mode: opts.smoke ? 'smoke' : 'full',
  };
  console.log(
    `Porthole benchmarks — ${opts.smoke ? 'smoke (tiny counts, nothing written)' : 'full run'}: ${selected.map((b) => b.id).join(', ')}`,
  );

  // The real Mattermost: started (or reused) once here, so every benchmark finds it up.
  let mmVersion;
  let stopMm = false;
  if (selected.some((b) => b.mm)) {
    const harness = await import('../dev/mattermost/index.mjs');
    try {
      const info = await harness.up({ log: (m) => console.error(`  [mattermost] ${m}`) });
      stopMm = info.startedServer && process.env.PORTHOLE_KEEP_MM !== '1';
      mmVersion = info.version;
      console.log(`Mattermost ${info.version} at ${info.url}`);
    } catch (err) {
      console.error(`bench: Mattermost could not be started: ${err.message}`);
      process.exit(1);
    }
  }

  const results = [];
  try {
    for (const bench of selected) {
      const r = await runOne(bench, opts.smoke);
      results.push(r);
      printResult(r);
    }
  } finally {
    if (stopMm) await (await import('../dev/mattermost/index.mjs')).down().catch(() => {});
  }

  const extra = { ...(mmVersion ? { mattermost: mmVersion } : {}) };
  for (const r of results) Object.assign(extra, r.versions ?? {});
  meta.versions = versions(extra);
  const total = Math.round((performance.now() - started) / 100) / 10;
  const crashed = results.filter((r) => r.crashed);

  console.log(
    `\nversions: ${Object.entries(meta.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  console.log(`machine: ${meta.machine.cpu}, ${meta.machine.memory}, ${meta.machine.os}, load ${meta.machine.load}`);
  if (opts.smoke) {
    const skipped = results.filter((r) => r.skipped).length;
    console.log(
      `\nsmoke: ${results.length} benchmarks — ${results.length - crashed.length - skipped} measured, ${skipped} skipped, ${crashed.length} crashed — in ${total} s${total > SMOKE_BUDGET_S ? ` (over the ${SMOKE_BUDGET_S} s smoke budget)` : ''}`,
    );
  } else {
    // Keep the last figures of benchmarks not selected this time, marked with their date.
    const previous = previousResults();
    const merged = BENCHES.map((b) => {
      const now = results.find((r) => r.id === b.id);
      if (now) return now;
      const before = previous.find((r) => r.id === b.id && !r.notRun && r.measuredAt);
      return before ? { ...before, carried: true } : { id: b.id, title: b.title, notRun: true, rows: [] };
    });
    fs.mkdirSync(path.dirname(DOC), { recursive: true });
    fs.writeFileSync(DOC, renderDoc({ results: merged, meta }));
    console.log(`\nwrote ${path.relative(root, DOC)} (${total} s; ${crashed.length} crashed)`);
  }
  process.exit(crashed.length ? 1 : 0);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
