import { en, type Strings } from './en.js';
import type { Locale } from './locales.js';

export type { Strings };
export { LOCALES, matchLocale, type Locale } from './locales.js';

/**
 * Every locale but English is a chunk of its own, loaded when a panel first needs it (see
 * `loadStrings`): an English conversation does not pay for the others' strings.
 */
const loaders: Record<Exclude<Locale, 'en'>, () => Promise<Strings>> = {
  fr: () => import('./fr.js').then((m) => m.fr),
  de: () => import('./de.js').then((m) => m.de),
};

const loaded: Partial<Record<Locale, Strings>> = { en };

/** Strings of `locale` once loaded (`loadStrings`); English until then, and when missing. */
export const strings = (locale: string | undefined): Strings => loaded[locale as Locale] ?? en;

/**
 * Loads the strings of `locale` (at once for English and unknown locales). A chunk that fails to
 * load leaves English in place; a later call tries again.
 */
export async function loadStrings(locale: string | undefined): Promise<void> {
  const load = loaders[locale as Exclude<Locale, 'en'>];
  if (load && !loaded[locale as Locale]) loaded[locale as Locale] = await load().catch(() => undefined);
}
