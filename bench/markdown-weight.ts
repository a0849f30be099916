// 10. Markdown weight: the bytes of a working conversation without the markdown chunk (a
// plain-text conversation never loads it) and with it (a message with markdown, and one with a
// `:shortcode:`), from Porthole's CDN build, brotli quality 11, each file compressed on its own.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { CDN, closure, conversationFiles, featureChunks, LOADER } from '../test/package/bundle-graph.ts';
import { bytes, verdict } from './support/stats.ts';
import type { BenchContext, BenchResult, Row } from './support/types.ts';
import { MODES } from './support/companion-env.ts';

/** MARKDOWN_BUDGET of test/package/size.test.ts (importing a test file would run its tests). */
const MARKDOWN_BUDGET = 15360;
/** The issue's target. */
const ISSUE_TARGET = 10240;

const brotli = (file: string) =>
  zlib.brotliCompressSync(fs.readFileSync(path.join(CDN, file)), { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
const total = (files: string[]) => files.reduce((n, f) => n + brotli(f), 0);

export default async function markdownWeight({ log }: BenchContext): Promise<BenchResult> {
  const title = '10. Markdown weight';
  const method =
    'The CDN build (`npm run build`): every file a working conversation loads, then the files the markdown chunk (`chunks/markdown-*.js`) and its emoji sub-chunk (`chunks/emoji-*.js`) add, found by following imports (test/package/bundle-graph.ts). Brotli quality 11, each file on its own.';
  if (!fs.existsSync(path.join(CDN, LOADER))) return { title, skipped: 'dist/cdn missing (run `npm run build`)', rows: [], method };
  const { markdown, emoji } = featureChunks();
  if (!markdown || !emoji) return { title, skipped: 'no markdown or emoji chunk in dist/cdn', rows: [], method };
  const rows: Row[] = [];
  for (const mode of MODES) {
    const base = conversationFiles(mode);
    const plain = total(base);
    const extra = (start: string[]) => [...new Set(start.flatMap((f) => closure([f], 'static')))].filter((f) => !base.includes(f));
    const md = total(extra([markdown]));
    const withEmoji = total(extra([markdown, emoji]));
    log(`${mode}: plain ${plain} B, + markdown ${md} B, + emoji ${withEmoji - md} B`);
    rows.push(
      {
        figure: `${mode} conversation with a markdown message (brotli)`,
        porthole: `${bytes(plain + md)} (+${bytes(md)})`,
        reference: `plain text: ${bytes(plain)}`,
        target: `≤ ${bytes(MARKDOWN_BUDGET)} more`,
        verdict: verdict(md <= MARKDOWN_BUDGET),
      },
      {
        figure: `${mode} conversation with a \`:shortcode:\` (brotli)`,
        porthole: `${bytes(plain + withEmoji)} (+${bytes(withEmoji)})`,
        reference: `plain text: ${bytes(plain)}`,
        target: `≤ ${bytes(MARKDOWN_BUDGET)} more`,
        verdict: verdict(withEmoji <= MARKDOWN_BUDGET),
      },
    );
  }
  return {
    title,
    rows,
    method,
    limits: `The issue's target for markdown and its emoji table together is ${bytes(ISSUE_TARGET)}; marked's lexer alone is ~10.9 KB brotli (the CDN build cuts its Parser and Renderer, see rollup.config.mjs), so the budget is ${bytes(MARKDOWN_BUDGET)}.`,
  };
}
