// The architecture's boundaries, enforced on the sources' import statements:
// - in the widget, only src/transport/ imports @mattermost/client or reconnecting-websocket;
//   in the companion, only its Mattermost clients (files named mattermost-*.ts or bot-*.ts);
// - the widget and the companion never import each other; both may import src/protocol/, the
//   wire formats they share, which imports nothing of either.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SRC = path.join(ROOT, 'src');

type Side = 'widget' | 'companion' | 'protocol';

function sources(): string[] {
  return fs
    .readdirSync(SRC, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.split(path.sep).join('/'));
}

/** Every module specifier a file imports, re-exports or loads dynamically. */
export function importsOf(code: string): string[] {
  const specifiers = new Set<string>();
  const patterns = [/\bfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*['"]([^'"]+)['"]/g, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const re of patterns) for (const m of code.matchAll(re)) specifiers.add(m[1]!);
  return [...specifiers];
}

function sideOf(file: string): Side {
  if (file.startsWith('server/')) return 'companion';
  if (file.startsWith('protocol/')) return 'protocol';
  return 'widget';
}

/** The src/-relative path a relative specifier points at, or undefined for a package. */
function target(file: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  return path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
}

const isMattermostClient = (s: string) => /^(@mattermost\/client|reconnecting-websocket)(\/|$)/.test(s);

test('importsOf finds static, side-effect, re-exported and dynamic imports', () => {
  const code = `import a from 'a';\nimport 'b';\nexport { c } from "./c.js";\nconst d = await import('./d.js');\nimport type { E } from '../e.js';`;
  assert.deepEqual(importsOf(code).sort(), ['../e.js', './c.js', './d.js', 'a', 'b']);
});

test('only the transport layers import @mattermost/client and reconnecting-websocket', () => {
  const offenders: string[] = [];
  for (const file of sources()) {
    const code = fs.readFileSync(path.join(SRC, file), 'utf8');
    if (!importsOf(code).some(isMattermostClient)) continue;
    const allowed =
      sideOf(file) === 'widget'
        ? file.startsWith('transport/')
        : sideOf(file) === 'companion' && /(^|\/)(mattermost|bot)-[^/]+\.ts$/.test(file);
    if (!allowed) offenders.push(`src/${file}`);
  }
  assert.deepEqual(
    offenders,
    [],
    `these files import @mattermost/client or reconnecting-websocket outside the transport layers: ${offenders.join(', ')}`,
  );
});

test('the widget and the companion never import each other; src/protocol imports neither', () => {
  const offenders: string[] = [];
  for (const file of sources()) {
    const from = sideOf(file);
    for (const specifier of importsOf(fs.readFileSync(path.join(SRC, file), 'utf8'))) {
      const to = target(file, specifier);
      if (!to) continue;
      if (to.startsWith('../')) {
        offenders.push(`src/${file} imports ${specifier}, outside src/`);
        continue;
      }
      const toSide = sideOf(to);
      if (toSide !== from && toSide !== 'protocol') offenders.push(`src/${file} (${from}) imports ${specifier} (${toSide})`);
    }
  }
  assert.deepEqual(offenders, [], offenders.join('\n'));
});

test('the rule sees a crossing: a widget file importing the companion is reported', () => {
  assert.equal(sideOf('panel/x.ts'), 'widget');
  assert.equal(sideOf(target('panel/x.ts', '../server/app.js')!), 'companion');
  assert.equal(sideOf(target('server/gateway/x.ts', '../../protocol/live.js')!), 'protocol');
});
