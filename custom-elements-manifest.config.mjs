// `npm run analyze` → custom-elements.json (and `"customElements"` in package.json): the public
// element's API, read from the class JSDoc of src/element/porthole-chat.ts and its define call.
//
// Only <porthole-chat> is described. <porthole-panel> is an internal part of it — loaded lazily,
// created inside the launcher's shadow root, not exported — so listing it would invite pages to
// use it directly; its parts are re-exported by the launcher and documented there.
//
// test/package/docs.test.ts regenerates the manifest with PORTHOLE_CEM_OUTDIR set (a directory
// relative to the repository) and fails when it differs from the checked-in file.
const outdir = process.env.PORTHOLE_CEM_OUTDIR ?? '.';

/**
 * Keeps the public API only: drops `#private` members, and anything the analyzer invented from
 * an assignment in the constructor (it reads `root.adoptedStyleSheets = …` as a field of the
 * element) — a member stays only when the class declares it.
 */
function publicMembersOnly() {
  const declared = new Map();
  return {
    name: 'porthole-public-members-only',
    analyzePhase({ ts, node }) {
      if (!ts.isClassDeclaration(node) || !node.name) return;
      declared.set(node.name.text, new Set(node.members.map((m) => m.name?.getText()).filter(Boolean)));
    },
    moduleLinkPhase({ moduleDoc }) {
      for (const d of moduleDoc.declarations ?? []) {
        if (d.kind !== 'class' || !d.members) continue;
        const names = declared.get(d.name) ?? new Set();
        d.members = d.members.filter((m) => m.privacy !== 'private' && !m.name.startsWith('#') && names.has(m.name));
      }
    },
  };
}

/**
 * Points the manifest at what the npm package ships (src/ is not published): the class is
 * exported by `porthole-chat/element` (dist/exports.js), and `porthole-chat` (dist/index.js)
 * defines the tag and re-exports the class.
 */
const PUBLISHED = { 'src/element/porthole-chat.ts': 'dist/exports.js', 'src/element/define.ts': 'dist/index.js' };
function publishedPaths() {
  const map = (p) => PUBLISHED[p.replace(/^\//, '').replace(/\.js$/, '.ts')] ?? p;
  return {
    name: 'porthole-published-paths',
    packageLinkPhase({ customElementsManifest }) {
      for (const m of customElementsManifest.modules) {
        m.path = map(m.path);
        for (const e of m.exports ?? []) if (e.declaration?.module) e.declaration.module = map(e.declaration.module);
      }
    },
  };
}

export default {
  globs: ['src/element/porthole-chat.ts', 'src/element/define.ts'],
  exclude: ['**/*.test.ts'],
  outdir,
  // Only a real run records the manifest's location in package.json.
  packagejson: outdir === '.',
  dependencies: false,
  plugins: [publicMembersOnly(), publishedPaths()],
};
