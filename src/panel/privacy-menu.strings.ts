import { partStrings, type Localized } from '../i18n/parts.js';

// The conversation menu's English strings live in its lazy chunk, not in src/i18n/en.ts: that is
// in the panel chunk, whose brotli budget (test/package/size.test.ts) has no room for them. Other
// locales' are in src/i18n/<locale>.parts.ts (see src/i18n/parts.ts). Only the menu button's
// label (`menu`), shown before this chunk loads, is in the locale files.

/** English strings of the conversation menu. Other locales implement the same shape (src/i18n/<locale>.parts.ts). */
const en = {
  download: 'Download transcript',
  erase: 'Delete conversation',
  downloading: 'Preparing your transcript…',
  confirmTitle: 'Delete this conversation?',
  confirmText: 'Every message is erased for good, for you and for our team. This cannot be undone.',
  confirm: 'Delete',
  cancel: 'Cancel',
  erasing: 'Deleting…',
  erased: 'Your conversation was deleted.',
  downloadFailed: 'The transcript could not be downloaded.',
  eraseFailed: 'The conversation could not be deleted.',
  network: 'We cannot reach the chat right now. Check your connection and try again.',
  unavailable: 'The chat service is busy or down. Please try again in a moment.',
  erasureUnavailable: 'Deleting conversations is not available on this site right now. Please contact us to have it deleted.',
  auth: 'Your chat session has ended. Reload the page and try again.',
  rejected: 'The chat service refused the request. Please contact us.',
  retry: 'Try again',
  dismiss: 'Close',
};

/**
 * The strings the conversation menu needs.
 * @useDeclaredType
 */
export type PrivacyStrings = typeof en;

/** The conversation menu's strings for `panel`'s locale (English until loaded, and when missing), with the site's `strings.privacy`. */
export const privacyStrings = (panel?: Localized): PrivacyStrings => partStrings(panel, 'privacy', en);
