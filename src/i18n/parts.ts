import type { AttachmentStrings } from '../panel/attachments.strings.js';
import type { ContactFormStrings } from '../panel/contact-form.strings.js';
import type { PrivacyStrings } from '../panel/privacy-menu.strings.js';
import { alsoLoad, localize, type StringOverrides } from './index.js';
import type { Locale } from './locales.js';

// The lazy parts' strings (conversation menu, attachment tray, contact form): English is in each
// part's chunk (src/panel/*.strings.ts); every other locale's are one chunk per locale
// (./<locale>.parts.ts), loaded with the first part a panel in that locale shows. This module is
// imported by the parts only: a conversation that shows none never loads it.

/** The strings of every lazy part, in one locale. */
export interface PartStrings {
  privacy: PrivacyStrings;
  attachments: AttachmentStrings;
  contactForm: ContactFormStrings;
}

const loaders: Record<Exclude<Locale, 'en'>, () => Promise<PartStrings>> = {
  fr: () => import('./fr.parts.js').then((m) => m.fr),
  de: () => import('./de.parts.js').then((m) => m.de),
  es: () => import('./es.parts.js').then((m) => m.es),
  pt: () => import('./pt.parts.js').then((m) => m.pt),
  it: () => import('./it.parts.js').then((m) => m.it),
  nl: () => import('./nl.parts.js').then((m) => m.nl),
  ar: () => import('./ar.parts.js').then((m) => m.ar),
  he: () => import('./he.parts.js').then((m) => m.he),
};

const loaded: Partial<Record<Locale, PartStrings>> = {};

/** Loads the parts' strings of `locale` (nothing for English and unknown locales); a failed chunk leaves English, a later call retries. */
export async function loadPartStrings(locale: string | undefined): Promise<void> {
  const load = loaders[locale as Exclude<Locale, 'en'>];
  if (load && !loaded[locale as Locale]) loaded[locale as Locale] = await load().catch(() => undefined);
}

// Once a part exists, every panel update (and the menu's opening) waits for its strings: no part shows another language first.
alsoLoad(loadPartStrings);

/** What a part needs of its panel: the locale, and the site's overrides. */
export interface Localized {
  locale?: string;
  strings?: StringOverrides;
}

/**
 * The strings of `part` for `panel`'s locale once loaded (English until then, and when missing),
 * with the site's overrides under `strings[part]`.
 */
export const partStrings = <K extends keyof PartStrings>(panel: Localized | undefined, part: K, en: PartStrings[K]): PartStrings[K] =>
  localize(loaded[panel?.locale as Locale]?.[part] ?? en, panel?.strings?.[part], part);
