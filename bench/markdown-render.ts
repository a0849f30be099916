// 11. Markdown rendering: 5,000 markdown messages (inline marks, lists, a quote with a code
// block, a table, emoji) rendered by renderMessage into a log styled like the panel's, in
// Chromium, then scrolled through top to bottom and back; beside 5,000 plain-text messages in the
// same run as the reference. Figures: time to render, p95 frame interval while scrolling.
import { build } from 'esbuild';
import { launchChromium } from '../test/e2e/support/browser.ts';
import { num, percentile, verdict } from './support/stats.ts';
import type { BenchContext, BenchResult } from './support/types.ts';

const FRAME_TARGET_MS = 17;

async function pageBundle(): Promise<string> {
  const out = await build({
    entryPoints: ['bench/markdown-render-page.ts'],
    bundle: true,
    write: false,
    format: 'esm',
    minify: true,
    target: 'es2022',
    // Lit's production build, as the CDN bundle has.
    conditions: ['browser', 'production'],
    // One file: the lazy chunks are bundled in (this measures rendering, not loading).
    splitting: false,
  });
  return out.outputFiles[0]!.text;
}

export default async function markdownRender({ smoke, log, defer }: BenchContext): Promise<BenchResult> {
  // The smoke run only proves the benchmark works: a few messages, scrolled in big steps (a frame each).
  const n = smoke ? 40 : 5000;
  const step = smoke ? 400 : 100;
  const code = await pageBundle();
  const browser = await launchChromium();
  defer(() => browser.close());
  const run = async (kind: 'markdown' | 'plain') => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.setContent('<!doctype html><meta charset="utf-8"><body></body>');
    await page.addScriptTag({ content: code, type: 'module' });
    await page.waitForFunction(() => !!window.__md);
    const renderMs = await page.evaluate(([k, n]) => window.__md.setup(k as 'markdown' | 'plain', n as number), [kind, n]);
    const intervals = await page.evaluate((s) => window.__md.scroll(s), step);
    await page.close();
    const p95 = percentile(intervals, 95);
    log(`${kind}: ${n} messages rendered in ${num(renderMs)} ms; ${intervals.length} frames, p95 ${num(p95, 1)} ms`);
    return { renderMs, p95, frames: intervals.length };
  };
  const plain = await run('plain');
  const md = await run('markdown');
  return {
    title: '11. Rendering markdown',
    rows: [
      {
        figure: `scrolling ${num(n)} markdown messages, p95 frame interval`,
        porthole: `${num(md.p95, 1)} ms (${num(md.frames)} frames)`,
        reference: `${num(n)} plain-text messages: ${num(plain.p95, 1)} ms`,
        target: `≤ ${FRAME_TARGET_MS} ms`,
        verdict: verdict(md.p95 <= FRAME_TARGET_MS),
      },
      {
        figure: `rendering ${num(n)} markdown messages at once`,
        porthole: `${num(md.renderMs)} ms`,
        reference: `${num(n)} plain-text messages: ${num(plain.renderMs)} ms`,
        target: '—',
        verdict: '—',
      },
    ],
    method: `A page in Chromium (headless) renders ${num(n)} messages with renderMessage (production Lit, bundled by esbuild, the markdown chunk and emoji table bundled in and loaded first) into a 360×520 log with the panel's and the markdown chunk's styles, then scrolls it by ${step} px per animation frame to the bottom and back to the top. The interval between animation frames is recorded; the same page with plain-text messages is the reference.`,
  };
}
