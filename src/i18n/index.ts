import { en, type Strings } from './en.js';
import { matchLocale, type Locale } from './locales.js';
import type { AttachmentStrings } from '../panel/attachments.strings.js';
import type { ContactFormStrings } from '../panel/contact-form.strings.js';
import type { PrivacyStrings } from '../panel/privacy-menu.strings.js';

export type { Strings };
export { LOCALES, matchLocale, type Locale } from './locales.js';

/**
 * Every locale but English is a chunk of its own, loaded when a panel first needs it (see
 * `loadStrings`): an English conversation does not pay for the others' strings.
 */
const loaders: Record<Exclude<Locale, 'en'>, () => Promise<Strings>> = {
  fr: () => import('./fr.js').then((m) => m.fr),
  de: () => import('./de.js').then((m) => m.de),
  es: () => import('./es.js').then((m) => m.es),
  pt: () => import('./pt.js').then((m) => m.pt),
  it: () => import('./it.js').then((m) => m.it),
  nl: () => import('./nl.js').then((m) => m.nl),
  ar: () => import('./ar.js').then((m) => m.ar),
  he: () => import('./he.js').then((m) => m.he),
};

const loaded: Partial<Record<Locale, Strings>> = { en };

/**
 * The site's texts over the built-in ones (the `strings` property): any key of `Strings`
 * (`availability` key by key; functions for the counted ones, such as `unread(n)`), and the lazy
 * parts' keys under `privacy` (conversation menu), `attachments` (attachment tray) and
 * `contactForm` (contact form).
 *
 * @example
 * chat.strings = { title: 'Ask us', unread: (n) => `${n} new`, privacy: { erase: 'Forget me' } };
 */
export type StringOverrides = {
  [K in keyof Strings]?: Strings[K] extends (...args: never[]) => string
    ? Strings[K]
    : Strings[K] extends object
      ? Partial<Strings[K]>
      : Strings[K];
} & {
  privacy?: Partial<PrivacyStrings>;
  attachments?: Partial<AttachmentStrings>;
  contactForm?: Partial<ContactFormStrings>;
};

/** The override code (./overrides.ts, with zod), a chunk loaded only once a site sets `strings`. */
let custom: typeof import('./overrides.js') | undefined;

/** What the lazy parts register (src/i18n/parts.ts): `loadStrings` loads their strings too, once they exist. */
const more: Array<(locale: string | undefined) => Promise<void>> = [];
/** Makes every later `loadStrings(locale)` wait for `load(locale)` too. */
export const alsoLoad = (load: (locale: string | undefined) => Promise<void>): void => void more.push(load);

/** `base` with the site's `overrides` applied (those of a lazy `part` under its key), once loaded by `loadStrings`. */
export const localize = <T extends object>(base: T, overrides: object | undefined, part?: string): T =>
  overrides && custom ? custom.override(base, overrides, part) : base;

/** Strings of `locale` once loaded (`loadStrings`), with the site's `overrides`; English until then, and when missing. */
export const strings = (locale: string | undefined, overrides?: object): Strings => localize(loaded[locale as Locale] ?? en, overrides);

/** Languages already announced as shown in English (once each per page). */
const told = new Set<string>();

/** `ltr`, or `rtl` for the right-to-left locales (Arabic, Hebrew). */
export const direction = (locale: string | undefined): 'ltr' | 'rtl' => (locale === 'ar' || locale === 'he' ? 'rtl' : 'ltr');

/**
 * Loads the strings of `locale` (at once for English and unknown locales), the override code when
 * there are `overrides`, and the registered lazy parts' strings. A chunk that fails to load leaves
 * English in place; a later call tries again. When `asked` (the language the page or site asked
 * for) has no built-in strings and the site set none, the console says once that English shows.
 */
export async function loadStrings(locale: string | undefined, overrides?: object, asked = locale): Promise<void> {
  const load = loaders[locale as Exclude<Locale, 'en'>];
  const language = asked?.toLowerCase().split(/[-_]/)[0];
  if (language && !overrides && !matchLocale(language) && !told.has(language)) {
    told.add(language);
    console.info(`<porthole-chat>: no built-in strings for ${JSON.stringify(asked)}, showing English; set \`strings\` to translate`);
  }
  if (load && !loaded[locale as Locale]) loaded[locale as Locale] = await load().catch(() => undefined);
  if (overrides) custom ??= await import('./overrides.js').catch(() => undefined);
  await Promise.all(more.map((l) => l(locale)));
}
