import { de } from './de.js';
import { en, type Strings } from './en.js';
import { fr } from './fr.js';
import type { Locale } from './locales.js';

export type { Strings };
export { LOCALES, matchLocale, type Locale } from './locales.js';

const all: Record<Locale, Strings> = { en, fr, de };

/** Strings of `locale` (English when missing). */
export const strings = (locale: string | undefined): Strings => all[locale as Locale] ?? en;
