import { partStrings, type Localized } from '../i18n/parts.js';

// The contact form's English strings live in its lazy chunk (./contact-form.ts): a conversation
// with the team online never loads them. Other locales' are in src/i18n/<locale>.parts.ts.

/** English strings of the contact form. Other locales implement the same shape (src/i18n/<locale>.parts.ts). */
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

/**
 * The strings the contact form needs.
 * @useDeclaredType
 */
export type ContactFormStrings = typeof en;

/** The contact form's strings for `panel`'s locale (English until loaded, and when missing), with the site's `strings.contactForm`. */
export const contactFormStrings = (panel?: Localized): ContactFormStrings => partStrings(panel, 'contactForm', en);
