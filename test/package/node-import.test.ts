// Importing any entry of the package in Node (server rendering, test runners without a DOM) must
// not throw: the element module loads on a stand-in base and the tag is simply not defined there.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';

const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8')) as { exports: Record<string, string | { default: string }> };
/** Every JavaScript entry the package exports, plus the CDN loader. */
const entries = [
  ...Object.entries(pkg.exports)
    .filter(([key]) => !key.includes('*') && key !== './package.json')
    .map(([key, target]) => [key, typeof target === 'string' ? target : target.default] as const),
  ['./cdn/porthole-chat.js', './dist/cdn/porthole-chat.js'] as const,
];

for (const [name, file] of entries)
  test(`importing porthole-chat${name === '.' ? '' : name.slice(1)} in Node does not throw`, async () => {
    assert.equal(typeof (globalThis as { HTMLElement?: unknown }).HTMLElement, 'undefined', 'this test needs a DOM-less Node');
    assert.ok(fs.existsSync(file), `${file} is missing: run the build first`);
    const module = await import(pathToFileURL(path.resolve(file)).href);
    if (name === '.' || name === './element') assert.equal(typeof module.PortholeChatElement, 'function');
  });
