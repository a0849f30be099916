// porthole-chat/react: a client component ('use client' opens the file), server-renderable, and
// typed — the component's props and events and the raw <porthole-chat> tag in TSX type-check
// against the built package's declarations (fixtures/react/usage.tsx, which also holds uses that
// must be refused).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';

const BUILT = path.resolve('dist/react.js');

test("dist/react.js is a client component: 'use client' is its first statement", () => {
  assert.ok(fs.existsSync(BUILT), 'dist/react.js is missing: run the build first');
  assert.match(fs.readFileSync(BUILT, 'utf8'), /^'use client';\n/);
});

test('<PortholeChat> renders on the server as the tag, its attributes included', async () => {
  const { PortholeChat } = await import(pathToFileURL(BUILT).href);
  assert.equal(PortholeChat.displayName, 'PortholeChat');
  const html = renderToString(createElement(PortholeChat, { tokenUrl: '/porthole/v1/session', title: 'Help' }));
  assert.equal(html, '<porthole-chat title="Help"></porthole-chat>');
});

test('the component and the raw tag type-check in TSX, and wrong uses are refused', () => {
  assert.ok(fs.existsSync('dist/types/react/index.d.ts'), 'dist/types/react/index.d.ts is missing: run the build first');
  const tsc = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'test/package/fixtures/react/tsconfig.json'], {
    encoding: 'utf8',
  });
  assert.equal(tsc.status, 0, `tsc failed:\n${tsc.stdout}${tsc.stderr}`);
});
