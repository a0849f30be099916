// The CDN build's import graph: which files a page loads at once and which on demand.
import fs from 'node:fs';
import path from 'node:path';

export const CDN = path.resolve('dist/cdn');
export const LOADER = 'porthole-chat.js';

/** Chunks a file imports, split into static (loaded with it) and dynamic (loaded on demand). */
function imports(file: string) {
  const code = fs.readFileSync(path.join(CDN, file), 'utf8');
  const rel = (s: string) => path.relative(CDN, path.resolve(path.dirname(path.join(CDN, file)), s));
  const statics = [...code.matchAll(/(?:import|export)[^'"()]*?from\s*["'](\.{1,2}\/[^"']+)["']|import\s*["'](\.{1,2}\/[^"']+)["']/g)].map((m) => rel(m[1] ?? m[2]));
  const dynamics = [...code.matchAll(/import\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g)].map((m) => rel(m[1]));
  return { statics, dynamics };
}

/** Every file reachable from `start`, following static imports only or dynamic ones too. */
export function closure(start: string[], follow: 'static' | 'all'): string[] {
  const seen = new Set<string>();
  const todo = [...start];
  while (todo.length) {
    const f = todo.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    const { statics, dynamics } = imports(f);
    todo.push(...statics, ...(follow === 'all' ? dynamics : []));
  }
  return [...seen];
}

/** What a page loads before the visitor acts. */
export const launcherFiles = () => closure([LOADER], 'static');
/** Everything up to a working conversation. */
export const conversationFiles = () => closure([LOADER], 'all');
