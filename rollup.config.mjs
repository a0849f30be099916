// Builds: the CDN bundle (loader + lazy chunks, everything bundled and minified), the npm ESM
// build (dependencies left as imports) and the companion server. Types come from `tsc` (npm run build).
import commonjs from '@rollup/plugin-commonjs';
import resolve from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import typescript from '@rollup/plugin-typescript';
import MagicString from 'magic-string';
import crypto from 'node:crypto';
import fs from 'node:fs';

/**
 * For a classic `<script src>` tag: a few bytes that load the ES module loader next to it
 * (classic scripts may use `import()`), found by the script's own URL.
 */
const classicLoader = () => ({
  name: 'classic-loader',
  generateBundle() {
    this.emitFile({
      type: 'asset',
      fileName: 'porthole-chat.classic.js',
      source: `(function(s){import(new URL("./porthole-chat.js",s&&s.src||location.href).href)})(document.currentScript);\n`,
    });
  },
});

/**
 * Subresource Integrity: a sha384 for every CDN file, written to `sri.json` (file → integrity)
 * for the docs' copy-paste snippets and import maps.
 */
const sri = (dir) => ({
  name: 'sri',
  writeBundle() {
    const out = {};
    const walk = (d) =>
      fs.readdirSync(d, { withFileTypes: true }).forEach((e) => {
        const f = `${d}/${e.name}`;
        if (e.isDirectory()) return walk(f);
        if (!e.name.endsWith('.js')) return;
        out[f.slice(dir.length + 1)] = `sha384-${crypto.createHash('sha384').update(fs.readFileSync(f)).digest('base64')}`;
      });
    walk(dir);
    fs.writeFileSync(`${dir}/sri.json`, JSON.stringify(out, Object.keys(out).sort(), 2) + '\n');
  },
});

/** A CSS comment, or a quoted string (kept verbatim), whichever starts first. */
const CSS_COMMENT_OR_STRING = /\/\*[\s\S]*?\*\/|"(?:\\[\s\S]|[^"\\])*"|'(?:\\[\s\S]|[^'\\])*'/g;

/**
 * Minifies a stylesheet conservatively: drops comments, collapses whitespace, and removes it
 * around `{`, `}`, `;`, `,` and after `:` (and the `;` before a `}`). Quoted strings are left
 * exactly as written, and so is every other space — the descendant combinator in `.a :focus`,
 * the spaces `calc(a - b)` needs. Exported for test/package/css-minify.test.ts.
 */
export function minifyCss(css) {
  const strings = [];
  const bare = css.replace(CSS_COMMENT_OR_STRING, (m) => (m.startsWith('/*') ? ' ' : `\0${strings.push(m) - 1}\0`));
  return bare
    .replace(/\s+/g, ' ')
    .replace(/ ?([{};,]) ?/g, '$1')
    .replace(/: /g, ':')
    .replace(/;}/g, '}')
    .trim()
    .replace(/\0(\d+)\0/g, (_, i) => strings[Number(i)]);
}

/**
 * Lit's `css` template literals in `src/**\/*.styles.ts` minified in place (terser leaves template
 * text alone): about 100 bytes off the panel chunk and 70 off the menu's, brotli. A literal
 * with a `${…}` interpolation is left as it is.
 */
const minifyCssLiterals = () => ({
  name: 'minify-css-literals',
  transform(code, id) {
    if (!/[/\\]src[/\\].*\.styles\.ts$/.test(id)) return null;
    const out = new MagicString(code);
    // (TypeScript emits a tagged template as css `…`, with a space.)
    for (const m of code.matchAll(/\bcss\s*`((?:[^`\\$]|\\[\s\S]|\$(?!\{))*)`/g)) {
      const end = m.index + m[0].length - 1;
      out.overwrite(end - m[1].length, end, minifyCss(m[1]));
    }
    return out.hasChanged() ? { code: out.toString(), map: out.generateMap({ hires: true, source: id }) } : null;
  },
});

/**
 * marked's ESM entry is one pre-bundled file whose tail (`var v=new Marked(); function marked()…`
 * and the properties set on it) keeps its Parser and Renderer alive although the widget imports
 * only its Lexer (src/render/markdown/markdown.ts): ~4 KB brotli of HTML rendering the markdown
 * chunk would ship unused. The CDN build cuts that tail and exports the Lexer alone; an upgrade of
 * marked that changes the file's shape fails the build here instead of shipping it silently.
 */
export const markedLexerOnly = () => ({
  name: 'marked-lexer-only',
  transform(code, id) {
    if (!/[/\\]node_modules[/\\]marked[/\\]lib[/\\]marked\.esm\.js$/.test(id)) return null;
    const tail = code.match(/var (\w+)=new \w+;function \w+\(\w+,\w+\)\{return \1\.parse\(/);
    const lexer = code.match(/export\{[^}]*?\b(\w+) as Lexer\b[^}]*\}/);
    if (!tail || !lexer || lexer.index < tail.index)
      throw new Error(
        `marked-lexer-only: expected marked 18's "var v=new ne;function x(l,e){return v.parse(" tail and an export of Lexer in ${id}; the file changed shape`,
      );
    const out = new MagicString(code).overwrite(tail.index, code.length, `export{${lexer[1]} as Lexer};\n`);
    return { code: out.toString(), map: out.generateMap({ hires: true, source: id }) };
  },
});

/** Empties an output directory before a build, so no stale chunk is ever shipped or measured. */
const clean = (dir) => ({ name: 'clean', buildStart: () => fs.rmSync(dir, { recursive: true, force: true }) });

const pkg = JSON.parse(fs.readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
const ts = () =>
  typescript({ tsconfig: './tsconfig.build.json', declaration: false, outDir: undefined, rootDir: 'src', noEmitOnError: true });
const external = (id) => Object.keys(pkg.dependencies).some((d) => id === d || id.startsWith(`${d}/`)) || id.startsWith('node:');
const onwarn = (w, warn) => {
  // @mattermost/client is CommonJS with `this` at top level in its compiled helpers.
  if (w.code === 'THIS_IS_UNDEFINED') return;
  warn(w);
};

export default [
  {
    // What a page loads from a CDN: a tiny loader, and the panel as a chunk it imports by relative URL.
    input: { 'porthole-chat': 'src/index.ts' },
    // The loader may export more than its own API, so code it shares with the panel chunk stays
    // in the loader instead of a third file every page would have to request.
    preserveEntrySignatures: 'allow-extension',
    output: {
      dir: 'dist/cdn',
      format: 'es',
      entryFileNames: '[name].js',
      chunkFileNames: 'chunks/[name]-[hash].js',
      // What both transports share (the reconnecting socket, the blob download) is one chunk with a
      // stable name (docs/cdn.md lists it), whichever module rollup would have named it after.
      manualChunks: (id) => (/[/\\](live-socket|upload)\.ts$|[/\\]reconnecting-websocket[/\\]/.test(id) ? 'live-socket' : undefined),
      sourcemap: true,
    },
    plugins: [
      clean('dist/cdn'),
      resolve({ browser: true, exportConditions: ['browser', 'production'] }),
      markedLexerOnly(),
      commonjs(),
      minifyCssLiterals(),
      ts(),
      // reconnecting-websocket's `_debug` calls log nothing unless its `debug` option is set (never
      // here): dropped from the CDN build.
      terser({
        ecma: 2020,
        module: true,
        compress: { passes: 2, pure_funcs: ['_this._debug', 'this._debug'] },
        format: { comments: false },
      }),
      classicLoader(),
      sri('dist/cdn'),
    ],
    onwarn,
  },
  {
    // npm: ESM that bundlers resolve further; the element (define and define-free) and the companion.
    input: {
      index: 'src/index.ts',
      exports: 'src/exports.ts',
      'server/index': 'src/server/index.ts',
      'server/cli': 'src/server/cli.ts',
      react: 'src/react/index.ts',
    },
    output: {
      dir: 'dist',
      format: 'es',
      entryFileNames: '[name].js',
      chunkFileNames: 'chunks/[name]-[hash].js',
      // A client component for React Server Components frameworks (Next.js): the directive must open
      // the file, and rollup drops directives it finds in a module, so it is added here.
      banner: (chunk) => (chunk.isEntry && chunk.name === 'react' ? "'use client';" : ''),
    },
    // React is the host app's (a peer dependency), never bundled.
    external: (id) => external(id) || id === 'react' || id.startsWith('react/'),
    plugins: [
      clean('dist/chunks'),
      resolve({ preferBuiltins: true }),
      minifyCssLiterals(),
      ts(),
      // dist/ holds ES modules: say so, so Node loads dist/server without guessing (and warning).
      // Bundlers (webpack) read sideEffects from the nearest package.json too: repeat the root's,
      // relative to dist/, or every file under dist/ would count as having side effects.
      {
        name: 'esm-marker',
        generateBundle() {
          const sideEffects = pkg.sideEffects.filter((p) => p.startsWith('./dist/')).map((p) => `./${p.slice('./dist/'.length)}`);
          this.emitFile({
            type: 'asset',
            fileName: 'package.json',
            source: `${JSON.stringify({ type: 'module', sideEffects }, null, 2)}\n`,
          });
        },
      },
    ],
    onwarn,
  },
  {
    // The demo's agent desk (not published): @mattermost/client bundled for the browser.
    input: 'examples/demo/agent.mjs',
    output: { file: 'dist/demo/agent.js', format: 'es', inlineDynamicImports: true },
    plugins: [resolve({ browser: true }), commonjs()],
    onwarn,
  },
];
