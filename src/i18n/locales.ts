// Tiny on purpose: the launcher imports this before the visitor acts (2 KB budget).

/** Locales with built-in strings. */
export const LOCALES = ['en', 'fr', 'de'] as const;
/**
 * A locale with built-in strings.
 * @useDeclaredType
 */
export type Locale = (typeof LOCALES)[number];

/** The launcher button's label per locale. */
export const LAUNCHER_LABEL: Record<Locale, string> = {
  en: 'Open chat',
  fr: 'Ouvrir la discussion',
  de: 'Chat öffnen',
};

/** `fr-CA` → `fr`; undefined when no built-in locale matches. */
export const matchLocale = (tag: string): Locale | undefined => {
  const l = tag.toLowerCase().split(/[-_]/)[0] as Locale;
  return LOCALES.includes(l) ? l : undefined;
};
