// 2. Host-page impact: Lighthouse 12 on the same page with and without the widget —
// performance score, Total Blocking Time, Cumulative Layout Shift.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { medianSpread, median, num, verdict } from './support/stats.ts';
import { BARE_PAGE_URL, cdnMissing, PAGE_URL, servePages } from './support/stack.ts';
import type { BenchContext, BenchResult } from './support/types.ts';

import { CHROMIUM as CHROME, CHROMIUM_ARGS } from '../dev/chromium.mjs';

const LIGHTHOUSE = path.resolve('node_modules/lighthouse/cli/index.js');

interface Run {
  score: number;
  tbt: number;
  cls: number;
  lcp: number;
  fcp: number;
  bytes: number;
}

/** One Lighthouse run (its own Chromium, default mobile config, simulated throttling). */
function lighthouse(url: string, timeoutMs: number): Promise<Run> {
  const out = path.join(os.tmpdir(), `porthole-lh-${process.pid}-${Date.now()}.json`);
  const flags = ['--headless=new', ...CHROMIUM_ARGS].join(' ');
  const args = [
    LIGHTHOUSE,
    url,
    '--only-categories=performance',
    '--skip-audits=screenshot-thumbnails,final-screenshot,full-page-screenshot',
    '--output=json',
    `--output-path=${out}`,
    '--quiet',
    `--chrome-flags=${flags}`,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      env: { ...process.env, CHROME_PATH: CHROME, PUPPETEER_SKIP_DOWNLOAD: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      try {
        if (code !== 0) throw new Error(`lighthouse exited with ${code}: ${err.trim().split('\n').slice(-3).join(' ')}`);
        const lhr = JSON.parse(fs.readFileSync(out, 'utf8'));
        if (lhr.runtimeError) throw new Error(`lighthouse: ${lhr.runtimeError.code} ${lhr.runtimeError.message}`);
        const a = (id: string) => lhr.audits[id]?.numericValue as number;
        resolve({
          score: Math.round(lhr.categories.performance.score * 100),
          tbt: a('total-blocking-time'),
          cls: a('cumulative-layout-shift'),
          lcp: a('largest-contentful-paint'),
          fcp: a('first-contentful-paint'),
          bytes: a('total-byte-weight'),
        });
      } catch (e) {
        reject(e);
      } finally {
        fs.rmSync(out, { force: true });
      }
    });
  });
}

export default async function host({ smoke, log, defer }: BenchContext): Promise<BenchResult> {
  const method = [
    `Lighthouse 12 (\`lighthouse@12.2.3\`, its CLI, \`CHROME_PATH=${CHROME}\`, \`--chrome-flags="--headless=new --no-sandbox …"\`, performance category only, default mobile configuration with simulated throttling) loads \`bench/pages/host.html\` — a small shop page — and \`bench/pages/host-bare.html\`, the same page without the widget's \`<script type="module">\` and \`<porthole-chat>\`. Both are served from localhost:8080 with the CDN build under \`/cdn/\`. The widget is measured as a site owner ships it: nothing is preloaded, so the page pays for the launcher only.`,
    "Runs alternate between the two pages (with, without, without, with, …) so that drift in the machine's load falls on both. Each run starts its own Chromium with a fresh profile.",
    'Targets: TBT with the widget no more than 10 ms above the page without it (medians); CLS unchanged (equal medians, to 3 decimals).',
  ].join('\n\n');
  const missing = cdnMissing();
  if (missing) return { title: '2. Host-page impact (Lighthouse)', skipped: missing, rows: [], method };

  const pages = await servePages();
  defer(() => pages.close());
  const n = smoke ? 1 : 5;
  const runs: Record<'with' | 'without', Run[]> = { with: [], without: [] };
  const one = async (i: number, which: 'with' | 'without') => {
    const r = await lighthouse(which === 'with' ? PAGE_URL : BARE_PAGE_URL, smoke ? 40_000 : 120_000);
    runs[which].push(r);
    log(`run ${i + 1}/${n} ${which} widget: score ${r.score}, TBT ${num(r.tbt)} ms, CLS ${num(r.cls, 3)}`);
  };
  if (smoke) {
    // Smoke only proves the pipeline: both pages at once, to stay within the smoke budget.
    await Promise.all([one(0, 'with'), one(0, 'without')]);
  } else {
    for (let i = 0; i < n; i++) {
      const order: ('with' | 'without')[] = i % 2 === 0 ? ['with', 'without'] : ['without', 'with'];
      for (const which of order) await one(i, which);
    }
  }
  const pick = (which: 'with' | 'without', k: keyof Run) => runs[which].map((r) => r[k]);
  const tbtDelta = median(pick('with', 'tbt')) - median(pick('without', 'tbt'));
  const clsWith = median(pick('with', 'cls'));
  const clsWithout = median(pick('without', 'cls'));
  const clsSame = clsWith.toFixed(3) === clsWithout.toFixed(3);

  const limits: string[] = [];
  if (tbtDelta > 10)
    limits.push(
      `TBT rises by ${num(tbtDelta)} ms with the widget: Lighthouse counts the main-thread time above 50 ms per task, under a 4× CPU slowdown, of parsing and running the loader and defining the launcher before the page is interactive.`,
    );
  if (!clsSame)
    limits.push(
      `CLS moves from ${num(clsWithout, 3)} to ${num(clsWith, 3)}: something the widget renders shifts the page's layout (the launcher must be fixed-position and sized before it paints).`,
    );

  return {
    title: '2. Host-page impact (Lighthouse)',
    rows: [
      {
        figure: 'Lighthouse performance score',
        porthole: medianSpread(pick('with', 'score'), ''),
        reference: `without the widget ${medianSpread(pick('without', 'score'), '')}`,
        target: 'unchanged (informative)',
        verdict: '—',
      },
      {
        figure: 'Total Blocking Time',
        porthole: `${medianSpread(pick('with', 'tbt'))}; Δ ${num(tbtDelta)} ms`,
        reference: `without the widget ${medianSpread(pick('without', 'tbt'))}`,
        target: '≤ 10 ms above the page without it',
        verdict: verdict(tbtDelta <= 10),
      },
      {
        figure: 'Cumulative Layout Shift',
        porthole: medianSpread(pick('with', 'cls'), '', 3),
        reference: `without the widget ${medianSpread(pick('without', 'cls'), '', 3)}`,
        target: 'unchanged',
        verdict: verdict(clsSame),
      },
    ],
    method,
    details: [
      '| page | score | TBT | CLS | LCP | FCP | bytes transferred |',
      '|---|---|---|---|---|---|---|',
      ...(['with', 'without'] as const).map(
        (w) =>
          `| ${w} the widget | ${medianSpread(pick(w, 'score'), '')} | ${medianSpread(pick(w, 'tbt'))} | ${medianSpread(pick(w, 'cls'), '', 3)} | ${medianSpread(pick(w, 'lcp'))} | ${medianSpread(pick(w, 'fcp'))} | ${medianSpread(pick(w, 'bytes'), 'B', 0)} |`,
      ),
    ].join('\n'),
    limits: limits.join(' '),
  };
}
