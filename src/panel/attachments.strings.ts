import { partStrings, type Localized } from '../i18n/parts.js';

// The attachment tray's English strings live in its lazy chunk (./attachments.ts), like the
// conversation menu's: the panel chunk's budget has no room. Other locales' are in
// src/i18n/<locale>.parts.ts (see src/i18n/parts.ts). Only the attach button's label (`attach`),
// shown before this chunk loads, is in src/i18n/<locale>.ts.

/** English strings of the attachment tray. Other locales implement the same shape (src/i18n/<locale>.parts.ts). */
const en = {
  attachments: 'Files to send',
  uploading: (name: string) => `Uploading ${name}`,
  uploadingN: (n: number) => (n === 1 ? 'Uploading 1 file…' : `Uploading ${n} files…`),
  readyN: (n: number) => (n === 1 ? '1 file ready to send' : `${n} files ready to send`),
  ready: 'Ready',
  cancel: (name: string) => `Cancel the upload of ${name}`,
  remove: (name: string) => `Remove ${name}`,
  removeLabel: 'Remove',
  retry: 'Retry',
  wait: 'Wait until the files are uploaded, or remove those that failed.',
  type: (name: string, allowed: string) => `${name}: this type can't be sent (allowed: ${allowed})`,
  tooLarge: (name: string, size: string, limit: string) => `${name} is ${size}; the limit is ${limit}`,
  empty: (name: string) => `${name} is empty`,
  tooMany: (name: string, max: number) => `${name}: at most ${max} files per message`,
  network: (name: string) => `${name} could not be uploaded: the connection failed`,
  rateLimited: (name: string) => `${name}: too many uploads right now; try again in a minute`,
  auth: (name: string) => `${name} could not be uploaded: your chat session has ended`,
  refused: (name: string) => `${name} was refused by the chat service`,
  kinds: { image: 'images', pdf: 'PDF', text: 'text' },
};

/**
 * The strings the attachment tray needs.
 * @useDeclaredType
 */
export type AttachmentStrings = typeof en;

/** The attachment tray's strings for `panel`'s locale (English until loaded, and when missing), with the site's `strings.attachments`. */
export const attachmentStrings = (panel?: Localized): AttachmentStrings => partStrings(panel, 'attachments', en);
