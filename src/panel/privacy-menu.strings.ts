import type { Locale } from '../i18n/locales.js';

// The conversation menu's strings live in its lazy chunk, not in src/i18n/{en,fr,de}.ts: those
// are in the panel chunk, whose brotli budget (test/package/size.test.ts) has no room for them.
// Only the menu button's label (`menu`), shown before this chunk loads, is in the locale files.

/** English strings of the conversation menu. Other locales implement the same shape. */
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

/** The strings the conversation menu needs. */
export type PrivacyStrings = typeof en;

const fr: PrivacyStrings = {
  download: 'Télécharger la transcription',
  erase: 'Supprimer la conversation',
  downloading: 'Préparation de votre transcription…',
  confirmTitle: 'Supprimer cette conversation ?',
  confirmText: 'Tous les messages sont effacés définitivement, pour vous comme pour notre équipe. C’est irréversible.',
  confirm: 'Supprimer',
  cancel: 'Annuler',
  erasing: 'Suppression…',
  erased: 'Votre conversation a été supprimée.',
  downloadFailed: 'La transcription n’a pas pu être téléchargée.',
  eraseFailed: 'La conversation n’a pas pu être supprimée.',
  network: 'La discussion est injoignable pour le moment. Vérifiez votre connexion et réessayez.',
  unavailable: 'Le service de discussion est occupé ou indisponible. Réessayez dans un instant.',
  erasureUnavailable:
    'La suppression des conversations n’est pas disponible sur ce site pour le moment. Contactez-nous pour la faire supprimer.',
  auth: 'Votre session de discussion a pris fin. Rechargez la page et réessayez.',
  rejected: 'Le service de discussion a refusé la demande. Contactez-nous.',
  retry: 'Réessayer',
  dismiss: 'Fermer',
};

const de: PrivacyStrings = {
  download: 'Verlauf herunterladen',
  erase: 'Unterhaltung löschen',
  downloading: 'Ihr Verlauf wird vorbereitet…',
  confirmTitle: 'Diese Unterhaltung löschen?',
  confirmText: 'Alle Nachrichten werden endgültig gelöscht, für Sie und für unser Team. Das lässt sich nicht rückgängig machen.',
  confirm: 'Löschen',
  cancel: 'Abbrechen',
  erasing: 'Wird gelöscht…',
  erased: 'Ihre Unterhaltung wurde gelöscht.',
  downloadFailed: 'Der Verlauf konnte nicht heruntergeladen werden.',
  eraseFailed: 'Die Unterhaltung konnte nicht gelöscht werden.',
  network: 'Der Chat ist gerade nicht erreichbar. Prüfen Sie Ihre Verbindung und versuchen Sie es erneut.',
  unavailable: 'Der Chat-Dienst ist ausgelastet oder nicht verfügbar. Bitte versuchen Sie es gleich noch einmal.',
  erasureUnavailable:
    'Das Löschen von Unterhaltungen ist auf dieser Website gerade nicht möglich. Bitte kontaktieren Sie uns, damit wir sie löschen.',
  auth: 'Ihre Chat-Sitzung ist beendet. Laden Sie die Seite neu und versuchen Sie es erneut.',
  rejected: 'Der Chat-Dienst hat die Anfrage abgelehnt. Bitte kontaktieren Sie uns.',
  retry: 'Erneut versuchen',
  dismiss: 'Schließen',
};

const all: Record<Locale, PrivacyStrings> = { en, fr, de };

/** The conversation menu's strings for `locale` (English when missing). */
export const privacyStrings = (locale: string | undefined): PrivacyStrings => all[locale as Locale] ?? en;
