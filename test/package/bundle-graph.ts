// The CDN build's import graph: which files a page loads at once and which on demand, per
// session mode (each mode's transport is a chunk of its own, loaded by the panel's `import()`).
import fs from 'node:fs';
import path from 'node:path';
import type { SessionMode } from '../../src/transport/transport.ts';

export const CDN = path.resolve('dist/cdn');
export const LOADER = 'porthole-chat.js';

/**
 * Each mode's transport chunk, by the name rollup gives it (`chunks/<module>-<hash>.js`, see
 * src/transport/registry.ts): a conversation loads its own mode's chunk and never another's.
 */
export const TRANSPORT_CHUNKS: Readonly<Record<SessionMode, string>> = { direct: 'mattermost-transport', gateway: 'gateway-transport' };

/**
 * Chunks loaded only when the visitor uses a feature, never for a working conversation: the
 * conversation menu (src/panel/privacy-menu.ts, loaded on the menu button's first click).
 * Markdown: src/render/markdown/markdown.ts and its emoji sub-chunk (emoji.ts), loaded when a
 * message needs them.
 * The contact form (src/panel/contact-form.ts), loaded only while the team is not online and the site asks for fields.
 * Files: the attachment tray (src/panel/attachments.ts, loaded on the first attach, drop or paste)
 * and the previews' loader (src/render/file-list.ts, loaded with the first message that has a file);
 * the transports' upload code (src/transport/xhr-upload.ts), loaded with the first upload.
 * The opt-in notifications (src/panel/notifications.ts), loaded with the first message that arrives
 * while the chat is closed or the tab hidden, when the launcher's `notify` asks for them.
 * The site's `strings` overrides (src/i18n/overrides.ts, with zod's checks), loaded only when a site sets `strings`.
 * The opt-in page reports (src/panel/page-reports.ts), loaded when the launcher has `report-pages`, and the checks
 * of `update()` (src/element/update.ts), loaded with its first call.
 * The accent contrast check (src/panel/contrast.ts), loaded on open only when the accent or on-accent is not the default.
 * The mobile sheet's scroll lock and visual viewport (src/controllers/sheet-controller.ts), loaded when the panel first opens as a sheet.
 * size.test.ts gives them a budget of their own.
 */
export const FEATURE_CHUNKS = [
  'privacy-menu',
  'markdown',
  'emoji',
  'contact-form',
  'attachments',
  'file-list',
  'xhr-upload',
  'notifications',
  'overrides',
  'page-reports',
  'update',
  'contrast',
  'sheet-controller',
] as const;

/**
 * The strings of every locale but English (src/i18n/index.ts): a conversation loads at most one,
 * the page's; the budgets measure an English conversation and size.test.ts gives each its own.
 */
export const LOCALE_CHUNKS = ['fr', 'de', 'es', 'pt', 'it', 'nl', 'ar', 'he'] as const;

/**
 * The lazy parts' strings of every locale but English (src/i18n/<locale>.parts.ts, loaded by
 * src/i18n/parts.ts with the first conversation menu, attachment tray or contact form a panel in
 * that locale shows): never part of a conversation; size.test.ts gives each its own budget.
 */
export const LOCALE_PART_CHUNKS = LOCALE_CHUNKS.map((l) => `${l}.parts` as const);

const chunkName = (file: string) => path.basename(file).replace(/-[\w-]{8}\.js$/, '');

/** The mode whose transport `file` is, if it is one. */
function transportMode(file: string): SessionMode | undefined {
  const name = path.basename(file).replace(/-[\w-]{8}\.js$/, '');
  return (Object.keys(TRANSPORT_CHUNKS) as SessionMode[]).find((mode) => TRANSPORT_CHUNKS[mode] === name);
}

/** Chunks a file imports, split into static (loaded with it) and dynamic (loaded on demand). */
function imports(file: string) {
  const code = fs.readFileSync(path.join(CDN, file), 'utf8');
  const rel = (s: string) => path.relative(CDN, path.resolve(path.dirname(path.join(CDN, file)), s));
  const statics = [...code.matchAll(/(?:import|export)[^'"()]*?from\s*["'](\.{1,2}\/[^"']+)["']|import\s*["'](\.{1,2}\/[^"']+)["']/g)].map(
    (m) => rel(m[1] ?? m[2]),
  );
  const dynamics = [...code.matchAll(/import\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g)].map((m) => rel(m[1]));
  return { statics, dynamics };
}

/**
 * Every file reachable from `start`, following static imports only or dynamic ones too; with
 * `mode`, a dynamic import of another mode's transport chunk, of a feature chunk or of a locale's strings, is not followed.
 */
export function closure(start: string[], follow: 'static' | 'all', mode?: SessionMode): string[] {
  const seen = new Set<string>();
  const todo = [...start];
  while (todo.length) {
    const f = todo.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    const { statics, dynamics } = imports(f);
    const lazy =
      follow === 'all'
        ? dynamics.filter(
            (d) => !mode || ((transportMode(d) ?? mode) === mode && ![...FEATURE_CHUNKS, ...LOCALE_CHUNKS].includes(chunkName(d) as never)),
          )
        : [];
    todo.push(...statics, ...lazy);
  }
  return [...seen];
}

/** What a page loads before the visitor acts. */
export const launcherFiles = () => closure([LOADER], 'static');
/**
 * Everything up to a working conversation in `mode` (default gateway, the default mode): the
 * launcher, the panel, that mode's transport and what they import.
 */
export const conversationFiles = (mode: SessionMode = 'gateway') => closure([LOADER], 'all', mode);
/** The transport chunks the build holds, by mode (to tell a missing chunk from a renamed one). */
export const transportChunks = (): Partial<Record<SessionMode, string>> =>
  Object.fromEntries(closure([LOADER], 'all').flatMap((f) => (transportMode(f) ? [[transportMode(f)!, f]] : [])));

/** The feature chunks the build holds, by name (see FEATURE_CHUNKS). */
export const featureChunks = (): Record<string, string> =>
  Object.fromEntries(
    closure([LOADER], 'all').flatMap((f) => ((FEATURE_CHUNKS as readonly string[]).includes(chunkName(f)) ? [[chunkName(f), f]] : [])),
  );

/** The lazy parts' locale chunks the build holds, by name (`fr.parts`…, see LOCALE_PART_CHUNKS). */
export const localePartChunks = (): Record<string, string> =>
  Object.fromEntries(
    closure([LOADER], 'all').flatMap((f) => ((LOCALE_PART_CHUNKS as readonly string[]).includes(chunkName(f)) ? [[chunkName(f), f]] : [])),
  );

/** The locale chunks the build holds, by locale (see LOCALE_CHUNKS). */
export const localeChunks = (): Record<string, string> =>
  Object.fromEntries(
    closure([LOADER], 'all').flatMap((f) => ((LOCALE_CHUNKS as readonly string[]).includes(chunkName(f)) ? [[chunkName(f), f]] : [])),
  );
