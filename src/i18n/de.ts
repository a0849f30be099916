import type { Strings } from './en.js';

export const de: Strings = {
  title: 'Schreiben Sie uns',
  close: 'Chat schließen',
  input: 'Nachricht',
  placeholder: 'Nachricht schreiben…',
  send: 'Senden',
  loadOlder: 'Ältere Nachrichten laden',
  typing: 'Jemand schreibt…',
  sending: 'Wird gesendet…',
  failed: 'Nicht gesendet.',
  retryMessage: 'Erneut senden',
  you: 'Sie',
  team: 'Support',
  edited: '(bearbeitet)',
  empty: 'Schreiben Sie uns, wir antworten hier.',
  reconnecting: 'Verbindung wird wiederhergestellt…',
  fallback: 'Der Chat ist gerade nicht erreichbar. Ihre Nachrichten bleiben erhalten und werden gesendet, sobald er wieder da ist.',
  retry: 'Erneut versuchen',
  // Connection states (connection helper)
  retrying: 'Neuer Versuch…',
  retryFailed: 'Noch keine Verbindung. Wir versuchen es im Hintergrund weiter.',
  contact: 'Auf anderem Weg kontaktieren',
  loading: 'Unterhaltung wird geladen…',
  refused:
    'Wir konnten nicht bestätigen, wer Sie sind, daher kann der Chat nicht öffnen. Bitte melden Sie sich erneut an oder laden Sie die Seite neu.',
  menu: 'Optionen der Unterhaltung',
  // Files (files-widget)
  attach: 'Dateien anhängen',
  // Accessibility
  log: 'Nachrichten',
  // Messages that cannot go
  tooLong: 'Nicht gesendet: zu lang.',
  editMessage: 'Bearbeiten',
  removeMessage: 'Entfernen',
  charsLeft: (n: number) => `noch ${n} Zeichen`,
  charsOver: (n: number) => `${n} Zeichen zu viel`,
  unread: (n: number) => (n === 1 ? '1 ungelesene Nachricht' : `${n} ungelesene Nachrichten`),
  // Notifications and the launcher's state
  open: 'Chat öffnen',
  newMessages: 'Neue Nachrichten',
  newMessage: 'Neue Nachricht',
  dismiss: 'Ausblenden',
  // Agents and availability
  typingName: (name: string) => `${name} schreibt…`,
  today: 'Heute',
  yesterday: 'Gestern',
  availability: {
    online: 'Wir sind online',
    away: 'Wir sind gleich zurück',
    offline: 'Gerade ist niemand online',
    closed: 'Wir haben gerade geschlossen',
    unreachable: 'Der Chat-Dienst ist nicht erreichbar',
  },
  // When nobody is there (offline)
  queued: 'Gespeichert — wir antworten hier.',
  offlineNotice:
    'Der Chat des Teams ist gerade nicht erreichbar. Sie können trotzdem schreiben: Ihre Nachrichten werden gespeichert, und wir antworten hier.',
};
