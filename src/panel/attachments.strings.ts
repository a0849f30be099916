import type { Locale } from '../i18n/locales.js';

// The attachment tray's strings live in its lazy chunk (./attachments.ts), like the conversation
// menu's: the panel chunk's budget has no room. Only the attach button's label (`attach`), shown
// before this chunk loads, is in src/i18n/{en,fr,de}.ts.

/** English strings of the attachment tray. Other locales implement the same shape. */
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

/** The strings the attachment tray needs. */
export type AttachmentStrings = typeof en;

const fr: AttachmentStrings = {
  attachments: 'Fichiers à envoyer',
  uploading: (name) => `Envoi de ${name}`,
  uploadingN: (n) => (n === 1 ? 'Envoi d’1 fichier…' : `Envoi de ${n} fichiers…`),
  readyN: (n) => (n === 1 ? '1 fichier prêt à partir' : `${n} fichiers prêts à partir`),
  ready: 'Prêt',
  cancel: (name) => `Annuler l’envoi de ${name}`,
  remove: (name) => `Retirer ${name}`,
  removeLabel: 'Retirer',
  retry: 'Réessayer',
  wait: 'Attendez la fin de l’envoi des fichiers, ou retirez ceux qui ont échoué.',
  type: (name, allowed) => `${name} : ce type de fichier ne peut pas être envoyé (acceptés : ${allowed})`,
  tooLarge: (name, size, limit) => `${name} fait ${size} ; la limite est de ${limit}`,
  empty: (name) => `${name} est vide`,
  tooMany: (name, max) => `${name} : ${max} fichiers au plus par message`,
  network: (name) => `${name} n’a pas pu être envoyé : la connexion a échoué`,
  rateLimited: (name) => `${name} : trop d’envois en ce moment ; réessayez dans une minute`,
  auth: (name) => `${name} n’a pas pu être envoyé : votre session de discussion a expiré`,
  refused: (name) => `${name} a été refusé par le service de discussion`,
  kinds: { image: 'images', pdf: 'PDF', text: 'texte' },
};

const de: AttachmentStrings = {
  attachments: 'Zu sendende Dateien',
  uploading: (name) => `${name} wird hochgeladen`,
  uploadingN: (n) => (n === 1 ? '1 Datei wird hochgeladen…' : `${n} Dateien werden hochgeladen…`),
  readyN: (n) => (n === 1 ? '1 Datei bereit zum Senden' : `${n} Dateien bereit zum Senden`),
  ready: 'Bereit',
  cancel: (name) => `Hochladen von ${name} abbrechen`,
  remove: (name) => `${name} entfernen`,
  removeLabel: 'Entfernen',
  retry: 'Erneut versuchen',
  wait: 'Warten Sie, bis die Dateien hochgeladen sind, oder entfernen Sie die fehlgeschlagenen.',
  type: (name, allowed) => `${name}: Dieser Dateityp kann nicht gesendet werden (erlaubt: ${allowed})`,
  tooLarge: (name, size, limit) => `${name} ist ${size} groß; die Grenze liegt bei ${limit}`,
  empty: (name) => `${name} ist leer`,
  tooMany: (name, max) => `${name}: höchstens ${max} Dateien pro Nachricht`,
  network: (name) => `${name} konnte nicht hochgeladen werden: Die Verbindung ist fehlgeschlagen`,
  rateLimited: (name) => `${name}: Gerade zu viele Uploads; versuchen Sie es in einer Minute erneut`,
  auth: (name) => `${name} konnte nicht hochgeladen werden: Ihre Chat-Sitzung ist abgelaufen`,
  refused: (name) => `${name} wurde vom Chat-Dienst abgelehnt`,
  kinds: { image: 'Bilder', pdf: 'PDF', text: 'Text' },
};

const all: Record<Locale, AttachmentStrings> = { en, fr, de };

/** The attachment tray's strings for `locale` (English when missing). */
export const attachmentStrings = (locale: string | undefined): AttachmentStrings => all[locale as Locale] ?? en;
