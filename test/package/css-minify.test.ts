// The build minifies Lit's `css` literals in src/**/*.styles.ts (rollup.config.mjs, `minifyCss`).
// The browser tests and Storybook run the sources, so a minifier that changed a rule would only
// show on a CDN page: here every stylesheet is checked to mean the same before and after, by
// comparing what esbuild's CSS minifier (a full parser) makes of both.
//   node --import tsx --test test/package/css-minify.test.ts
import assert from 'node:assert/strict';
import { transformSync } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { minifyCss } from '../../rollup.config.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * esbuild's own minified form of `css`: equal for two stylesheets that mean the same. esbuild
 * keeps custom property values and var() fallbacks token for token (`--a: var(--x, #fff)`);
 * the minifier also drops the spaces after their `:` and commas, which no use can see (a comma is
 * a delimiter, the spec trims custom property values), so those spaces are not compared.
 */
const canonical = (css: string) =>
  transformSync(css, { loader: 'css', minify: true, logLevel: 'silent' })
    .code.replace(/(--[\w-]+):\s+/g, '$1:')
    .replace(/,\s+/g, ',');

/** The text of every `css` literal in the widget's styles files (none interpolates). */
function literals(): Array<{ file: string; css: string }> {
  const out: Array<{ file: string; css: string }> = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const f = path.join(dir, e.name);
      if (e.isDirectory()) walk(f);
      else if (e.name.endsWith('.styles.ts'))
        for (const m of fs.readFileSync(f, 'utf8').matchAll(/\bcss`([^`]*)`/g)) out.push({ file: path.relative(ROOT, f), css: m[1] });
    }
  };
  walk(path.join(ROOT, 'src'));
  return out;
}

test('every stylesheet of the widget means the same once minified, and is smaller', () => {
  const sheets = literals();
  assert.ok(
    sheets.some((s) => s.file.endsWith('porthole-panel.styles.ts')) && sheets.some((s) => s.file.endsWith('privacy-menu.styles.ts')),
    `expected the panel's and the menu's styles among ${sheets.map((s) => s.file).join(', ')}`,
  );
  for (const { file, css } of sheets) {
    assert.ok(!css.includes('${'), `${file}: an interpolated css literal is left unminified; this test expects none`);
    const min = minifyCss(css);
    assert.equal(canonical(min), canonical(css), `${file}: the minified stylesheet differs from the source`);
    assert.ok(min.length < css.length * 0.8, `${file}: expected at least 20% smaller, got ${min.length} of ${css.length} characters`);
    assert.doesNotMatch(min, /\/\*|\n/, `${file}: comments or line breaks survived`);
  }
});

test('spaces that carry meaning and quoted strings are kept', () => {
  const cases: Array<[string, string]> = [
    // A descendant combinator before a pseudo-class or ::part() is not `.a:focus`.
    ['header :focus-visible {\n  outline: 0;\n}', 'header :focus-visible{outline:0}'],
    [':host([no-privacy-menu]) ::part(menu-button) { display: none; }', ':host([no-privacy-menu]) ::part(menu-button){display:none}'],
    // calc() needs the spaces around + and -.
    ['.a { width: calc(100vw - 40px); height: calc(1em + 2px) }', '.a{width:calc(100vw - 40px);height:calc(1em + 2px)}'],
    // Strings stay as written, with their spaces, colons, semicolons and comment-like text.
    [`.q::before { content: "a  :  b; /* c */"; }`, `.q::before{content:"a  :  b; /* c */"}`],
    [`.q::after { content: 'it\\'s ,  here' }`, `.q::after{content:'it\\'s ,  here'}`],
    // Comments go, even one holding a quote; the space they separated stays a space.
    ["a /* it's */ b, c /* x */d { color: red }", 'a b,c d{color:red}'],
  ];
  for (const [css, want] of cases) {
    assert.equal(minifyCss(css), want, `minifyCss(${JSON.stringify(css)})`);
    assert.equal(canonical(minifyCss(css)), canonical(css), `minifyCss(${JSON.stringify(css)}) changed its meaning`);
  }
});
