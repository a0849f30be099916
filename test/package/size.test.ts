// The size budget: what every page pays before the visitor acts (the launcher), and everything
// up to a working conversation. Measured on the CDN build, minified, brotli quality 11.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import zlib from 'node:zlib';
import { CDN, conversationFiles, launcherFiles, LOADER } from './bundle-graph.ts';

export const BUDGET = { launcher: 2048, conversation: 40960 };

const brotli = (file: string) =>
  zlib.brotliCompressSync(fs.readFileSync(path.join(CDN, file)), {
    params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 },
  }).length;

test('size budget: launcher ≤ 2,048 B and working conversation ≤ 40,960 B (brotli)', () => {
  assert.ok(fs.existsSync(path.join(CDN, LOADER)), 'dist/cdn/porthole-chat.js is missing: run the build first');
  const launcher = launcherFiles().reduce((n, f) => n + brotli(f), 0);
  const conversation = conversationFiles().reduce((n, f) => n + brotli(f), 0);
  const rows = conversationFiles().map((f) => `  ${f}: ${brotli(f)} B${launcherFiles().includes(f) ? ' (launcher)' : ''}`);
  console.log(`size: launcher ${launcher} B of ${BUDGET.launcher}; conversation ${conversation} B of ${BUDGET.conversation}\n${rows.join('\n')}`);
  assert.ok(launcher <= BUDGET.launcher, `launcher is ${launcher} B brotli, over its ${BUDGET.launcher} B budget`);
  assert.ok(conversation <= BUDGET.conversation, `working conversation is ${conversation} B brotli, over its ${BUDGET.conversation} B budget`);
});
