// The generated documentation stays true to the source:
// - custom-elements.json is what the analyzer makes of src/ today, and lists the whole public
//   API, which must match what the code really has (observed attributes, the event map, the
//   parts rendered and re-exported, the custom properties read by the styles);
// - typedoc builds the API reference without a single warning;
// - the stories type-check and Storybook builds, offline (telemetry off);
// - the hand-written guides (docs/api.md, docs/theming.md) name everything too.
// Every tool writes to a temporary directory; nothing in the repository is touched.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(path.join(root, 'package.json'));
const read = (f: string) => fs.readFileSync(path.join(root, f), 'utf8');
/** The text of every non-test .ts file in `dirs` and their subfolders (src/render/markdown/ …). */
const sources = (...dirs: string[]) =>
  dirs.flatMap((d) =>
    fs
      .readdirSync(path.join(root, d), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
      .map((f) => read(path.join(d, f))),
  );

// What the public API must contain (the list); each is also checked against the code.
// Not its attributes and events: for those the tests read the code's own lists (observedAttributes,
// PortholeEventMap) from its text, so each has one list, which the manifest must match.
const METHODS = ['open', 'close', 'toggle', 'send', 'logout', 'update', 'shutdown'];
const PROPERTIES = [
  'tokenUrl',
  'position',
  'locale',
  'fallbackHref',
  'isOpen',
  'noPrivacyMenu',
  'getToken',
  'connectionState',
  'unreadCount',
  'strings',
];
// Stories every state must have (ids in Storybook's index).
const STORIES = [
  'launcher--closed',
  'conversation--opening',
  'conversation--empty',
  'conversation--long',
  'conversation--agent-typing',
  'messages--sending',
  'messages--sent',
  'messages--failed',
  'connection--reconnecting',
  'connection--offline-fallback',
  'connection--service-errors',
  'identity--refused-get-token-throws',
  'identity--refused-get-token-returns-401',
  'theme-and-locale--dark',
  'theme-and-locale--right-to-left',
  'theme-and-locale--dark-by-preference',
  'mobile--phone',
  'mobile--zoom-400',
];

/** Runs a package's bin with node; resolves with its output, rejects with it on failure. */
function run(pkg: string, bin: string | undefined, args: string[], env: Record<string, string> = {}): Promise<string> {
  const manifest = require(`${pkg}/package.json`) as { bin: string | Record<string, string> };
  const rel = typeof manifest.bin === 'string' ? manifest.bin : manifest.bin[bin ?? Object.keys(manifest.bin)[0]];
  const file = path.join(path.dirname(require.resolve(`${pkg}/package.json`)), rel);
  return new Promise((resolve, reject) =>
    execFile(
      process.execPath,
      [file, ...args],
      { cwd: root, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...env }, maxBuffer: 32 * 1024 * 1024, timeout: 120_000 },
      (err, stdout, stderr) => {
        const out = `${stdout}${stderr}`;
        if (err) reject(new Error(`${pkg} ${args.join(' ')} failed (${err.code ?? err.signal}):\n${out}`));
        else resolve(out);
      },
    ),
  );
}

interface Named {
  name: string;
  description?: string;
  fieldName?: string;
  kind?: string;
  privacy?: string;
  type?: { text: string };
}
interface ElementDoc {
  tagName?: string;
  customElement?: boolean;
  attributes?: Named[];
  members?: Named[];
  events?: Named[];
  cssParts?: Named[];
  cssProperties?: Named[];
  slots?: Named[];
}
interface Manifest {
  modules: Array<{ path: string; declarations?: ElementDoc[] }>;
}

const elements = (m: Manifest) => m.modules.flatMap((mod) => mod.declarations ?? []).filter((d) => d.customElement);
const names = (list: Named[] | undefined) => (list ?? []).map((x) => x.name).sort();
const sorted = (list: Iterable<string>) => [...new Set(list)].sort();

let tmp: string;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'porthole-docs-'));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('custom-elements.json', () => {
  const checkedIn = JSON.parse(read('custom-elements.json')) as Manifest;
  const chat = () => {
    const found = elements(checkedIn).filter((d) => d.tagName === 'porthole-chat');
    assert.equal(found.length, 1, 'custom-elements.json should describe <porthole-chat> exactly once');
    return found[0];
  };

  test('is what the analyzer generates from the source today (run `npm run analyze` after changing the JSDoc)', async () => {
    const out = path.join(tmp, 'cem');
    await run('@custom-elements-manifest/analyzer', 'cem', ['analyze', '--quiet'], { PORTHOLE_CEM_OUTDIR: path.relative(root, out) });
    const fresh = fs.readFileSync(path.join(out, 'custom-elements.json'), 'utf8');
    assert.equal(fresh, read('custom-elements.json'), 'custom-elements.json is stale: run `npm run analyze` and commit the result');
    assert.equal(
      JSON.parse(read('package.json')).customElements,
      'custom-elements.json',
      'package.json should point tools at the manifest',
    );
  });

  test('describes <porthole-chat> only (the panel is internal)', () => {
    assert.deepEqual(
      elements(checkedIn).map((d) => d.tagName),
      ['porthole-chat'],
    );
  });

  test('lists every attribute, each described, matching observedAttributes', () => {
    const el = chat();
    // Read from the text: the element's module extends HTMLElement, which Node does not have.
    const observed = /observedAttributes\s*=\s*\[([^\]]*)\]/.exec(read('src/element/porthole-chat.ts'))?.[1];
    assert.ok(observed, 'observedAttributes not found in src/element/porthole-chat.ts');
    const fromCode = [...observed.matchAll(/'([^']+)'/g)].map((m) => m[1]);
    assert.ok(fromCode.length, 'observedAttributes in src/element/porthole-chat.ts names no attribute');
    assert.deepEqual(names(el.attributes), sorted(fromCode), 'manifest attributes differ from observedAttributes');
    for (const a of el.attributes ?? []) assert.ok(a.description, `attribute ${a.name} has no description`);
    const field = Object.fromEntries((el.attributes ?? []).map((a) => [a.name, a.fieldName]));
    assert.deepEqual(
      {
        'token-url': field['token-url'],
        'fallback-href': field['fallback-href'],
        open: field.open,
        'no-privacy-menu': field['no-privacy-menu'],
      },
      { 'token-url': 'tokenUrl', 'fallback-href': 'fallbackHref', open: 'isOpen', 'no-privacy-menu': 'noPrivacyMenu' },
      'attributes should name their properties',
    );
  });

  test('lists the public properties and methods, each described, and nothing private', () => {
    const members = chat().members ?? [];
    const of = (kind: string) => sorted(members.filter((m) => m.kind === kind).map((m) => m.name));
    assert.deepEqual(of('method'), sorted(METHODS));
    assert.deepEqual(of('field'), sorted(PROPERTIES));
    for (const m of members) {
      assert.ok(m.description, `${m.kind} ${m.name} has no description`);
      assert.ok(!m.name.startsWith('#') && m.privacy !== 'private', `private member ${m.name} leaked into the manifest`);
    }
  });

  test('lists every event with its detail type, matching the event map', () => {
    const el = chat();
    const map = read('src/events/porthole-events.ts');
    const fromCode = [...map.matchAll(/^\s*'(porthole-[a-z-]+)':/gm)].map((m) => m[1]);
    assert.ok(fromCode.length, 'no event found in PortholeEventMap (src/events/porthole-events.ts)');
    assert.deepEqual(names(el.events), sorted(fromCode), 'manifest events differ from PortholeEventMap');
    for (const e of el.events ?? []) {
      assert.match(e.type?.text ?? '', /^CustomEvent<.+>$/, `event ${e.name} has no CustomEvent<detail> type`);
      assert.ok(e.description, `event ${e.name} has no description`);
    }
  });

  test('lists exactly the CSS parts the element renders and re-exports', () => {
    const el = chat();
    const panel = read('src/panel/porthole-panel.ts');
    const rendered = sources('src/element', 'src/panel', 'src/render').flatMap((src) => [
      ...[...src.matchAll(/\bpart="([a-z-]+)"/g)].map((m) => m[1]),
      ...[...src.matchAll(/setAttribute\('part', '([a-z-]+)'\)/g)].map((m) => m[1]),
    ]);
    const exported = /'exportparts',\s*'([^']+)'/.exec(panel)?.[1].split(',') ?? [];
    assert.ok(exported.length, 'exportparts list not found in src/panel/porthole-panel.ts');
    assert.deepEqual(names(el.cssParts), sorted(rendered), 'documented parts differ from the rendered ones');
    // The launcher button, its unread badge and the notifications' preview live in the launcher's own shadow root.
    const inLauncher = new Set(['launcher', 'badge', 'preview', 'preview-dismiss']);
    assert.deepEqual(sorted(exported), sorted(rendered.filter((p) => !inLauncher.has(p))), 'a panel part is not re-exported to the page');
    for (const p of el.cssParts ?? []) assert.ok(p.description, `part ${p.name} has no description`);
  });

  test('lists exactly the CSS custom properties the styles read', () => {
    const el = chat();
    const used = sources('src/element', 'src/panel', 'src/render').flatMap((styles) =>
      [...styles.matchAll(/var\((--porthole-[a-z-]+)/g)].map((m) => m[1]),
    );
    assert.deepEqual(names(el.cssProperties), sorted(used));
    for (const p of el.cssProperties ?? []) assert.match(p.description ?? '', /Default `/, `${p.name} should document its default`);
  });

  test('docs/api.md and docs/theming.md name everything in the manifest', () => {
    const el = chat();
    const api = read('docs/api.md');
    const theming = read('docs/theming.md');
    for (const a of names(el.attributes)) assert.ok(api.includes(`\`${a}\``), `docs/api.md does not mention attribute \`${a}\``);
    for (const e of names(el.events)) assert.ok(api.includes(`\`${e}\``), `docs/api.md does not mention event \`${e}\``);
    for (const m of METHODS) assert.ok(api.includes(`${m}(`), `docs/api.md does not mention method ${m}()`);
    for (const p of PROPERTIES) assert.ok(api.includes(`\`${p}\``), `docs/api.md does not mention property \`${p}\``);
    for (const p of names(el.cssParts)) assert.ok(theming.includes(`\`${p}\``), `docs/theming.md does not mention part \`${p}\``);
    for (const p of names(el.cssProperties)) assert.ok(theming.includes(`\`${p}\``), `docs/theming.md does not mention \`${p}\``);
  });
});

test('axe checks every story file (stories/a11y.test.ts lists each stories/*.stories.ts)', () => {
  const files = fs
    .readdirSync(path.join(root, 'stories'))
    .filter((f) => f.endsWith('.stories.ts'))
    .map((f) => f.replace(/\.stories\.ts$/, ''));
  const listed = fs.readFileSync(path.join(root, 'stories', 'a11y.test.ts'), 'utf8');
  const missing = files.filter(
    (f) => !listed.includes(`from './${f}.stories.js'`) || !new RegExp(`^  ${f.replace(/-/g, '_')},$|^  '${f}': `, 'm').test(listed),
  );
  assert.deepEqual(missing, [], `stories/a11y.test.ts does not import and list: ${missing.join(', ')}`);
});

test('docs/deploying.md quotes examples/deploy/nginx.conf (the file the scale-out test runs) as it is', () => {
  const start = '```nginx\n# nginx in front of several porthole-server instances';
  const doc = read('docs/deploying.md');
  const at = doc.indexOf(start);
  assert.notEqual(at, -1, `docs/deploying.md has no \`\`\`nginx block starting "${start.slice(9)}"`);
  const block = doc.slice(at + '```nginx\n'.length, doc.indexOf('\n```\n', at));
  assert.equal(block, read('examples/deploy/nginx.conf').replace(/\n$/, ''), 'copy examples/deploy/nginx.conf into the block again');
});

// The three builds are independent: run them side by side to keep the suite short.
describe('builds', { concurrency: true }, () => {
  test('typedoc builds the API reference with no warning (treatWarningsAsErrors)', async () => {
    const out = await run('typedoc', 'typedoc', ['--out', path.join(tmp, 'api'), '--logLevel', 'Warn']);
    assert.doesNotMatch(out, /warning|error/i, `typedoc reported:\n${out}`);
    assert.ok(
      fs.existsSync(path.join(tmp, 'api', 'classes', 'porthole-chat_element.PortholeChatElement.html')),
      'no page for PortholeChatElement',
    );
  });

  test('the stories type-check against the sources', async () => {
    await run('typescript', 'tsc', ['-p', '.storybook/tsconfig.json']);
  });

  test('storybook builds offline, with a story for every state', async () => {
    const out = path.join(tmp, 'storybook');
    await run('storybook', undefined, ['build', '--disable-telemetry', '--quiet', '-o', out], { STORYBOOK_DISABLE_TELEMETRY: '1' });
    const index = JSON.parse(fs.readFileSync(path.join(out, 'index.json'), 'utf8')) as { entries: Record<string, unknown> };
    const missing = STORIES.filter((id) => !(id in index.entries));
    assert.deepEqual(missing, [], `stories missing from the build: ${missing.join(', ')}`);
  });
});
