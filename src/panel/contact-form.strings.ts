import type { Locale } from '../i18n/locales.js';

// The contact form's strings live in its lazy chunk (./contact-form.ts): a conversation with the
// team online never loads them.

/** English strings of the contact form. Other locales implement the same shape. */
const en = {
  intro: 'Nobody can answer right now. Leave a message: we’ll answer here.',
  introEmail: 'Nobody can answer right now. Leave your details and a message: we’ll answer here, and by email if you give one.',
  name: 'Your name',
  email: 'Your email',
  optional: '(optional)',
  submit: 'Continue',
  skip: 'Skip',
  badEmail: 'Enter an email address such as ada@example.com.',
  badName: 'Enter at most 64 characters.',
  thanks: 'Thanks. Write your message: we’ll answer here.',
  thanksEmail: 'Thanks. Write your message: we’ll answer here and by email.',
};

/** The strings the contact form needs. */
export type ContactFormStrings = typeof en;

const fr: ContactFormStrings = {
  intro: 'Personne ne peut répondre pour le moment. Laissez un message : nous répondrons ici.',
  introEmail:
    'Personne ne peut répondre pour le moment. Laissez vos coordonnées et un message : nous répondrons ici, et par e-mail si vous en donnez un.',
  name: 'Votre nom',
  email: 'Votre e-mail',
  optional: '(facultatif)',
  submit: 'Continuer',
  skip: 'Passer',
  badEmail: 'Saisissez une adresse e-mail comme ada@example.com.',
  badName: 'Saisissez au plus 64 caractères.',
  thanks: 'Merci. Écrivez votre message : nous répondrons ici.',
  thanksEmail: 'Merci. Écrivez votre message : nous répondrons ici et par e-mail.',
};

const de: ContactFormStrings = {
  intro: 'Gerade kann niemand antworten. Hinterlassen Sie eine Nachricht: Wir antworten hier.',
  introEmail:
    'Gerade kann niemand antworten. Hinterlassen Sie Ihre Kontaktdaten und eine Nachricht: Wir antworten hier und per E-Mail, wenn Sie eine angeben.',
  name: 'Ihr Name',
  email: 'Ihre E-Mail-Adresse',
  optional: '(optional)',
  submit: 'Weiter',
  skip: 'Überspringen',
  badEmail: 'Geben Sie eine E-Mail-Adresse wie ada@example.com ein.',
  badName: 'Geben Sie höchstens 64 Zeichen ein.',
  thanks: 'Danke. Schreiben Sie Ihre Nachricht: Wir antworten hier.',
  thanksEmail: 'Danke. Schreiben Sie Ihre Nachricht: Wir antworten hier und per E-Mail.',
};

const all: Record<Locale, ContactFormStrings> = { en, fr, de };

/** The contact form's strings for `locale` (English when missing). */
export const contactFormStrings = (locale: string | undefined): ContactFormStrings => all[locale as Locale] ?? en;
