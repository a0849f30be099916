// Tiny on purpose: the launcher imports this before the visitor acts (2 KB budget).

/**
 * A locale with built-in strings.
 * @useDeclaredType
 */
export type Locale = 'en' | 'fr' | 'de' | 'es' | 'pt' | 'it' | 'nl' | 'ar' | 'he';

/** The launcher button's label per locale; its keys are the locales with built-in strings (one list, fewer launcher bytes). */
export const LAUNCHER_LABEL: Record<Locale, string> = {
  en: 'Open chat',
  fr: 'Ouvrir la discussion',
  de: 'Chat öffnen',
  es: 'Abrir el chat',
  pt: 'Abrir o chat',
  it: 'Apri la chat',
  nl: 'Chat openen',
  ar: 'فتح المحادثة',
  he: 'פתיחת הצ׳אט',
};

/** `fr-CA` → `fr`; undefined when no built-in locale matches. */
export const matchLocale = (tag: string): Locale | undefined => {
  const l = tag.toLowerCase().split(/[-_]/)[0] as Locale;
  return Object.hasOwn(LAUNCHER_LABEL, l) ? l : undefined;
};

/** Locales with built-in strings. */
export const LOCALES = /* @__PURE__ */ Object.keys(LAUNCHER_LABEL) as Locale[];
