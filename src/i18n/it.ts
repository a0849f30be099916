import type { Strings } from './en.js';

export const it: Strings = {
  title: 'Chatta con noi',
  close: 'Chiudi la chat',
  input: 'Messaggio',
  placeholder: 'Scrivi un messaggio…',
  send: 'Invia',
  loadOlder: 'Carica i messaggi precedenti',
  typing: 'Qualcuno sta scrivendo…',
  sending: 'Invio…',
  failed: 'Non inviato.',
  retryMessage: 'Riprova',
  you: 'Tu',
  team: 'Assistenza',
  edited: '(modificato)',
  empty: 'Scrivici e ti risponderemo qui.',
  reconnecting: 'Riconnessione…',
  fallback: 'Non riusciamo a raggiungere la chat in questo momento. I tuoi messaggi sono conservati e partiranno appena torna.',
  retry: 'Riprova',
  // Connection states (connection helper)
  retrying: 'Nuovo tentativo…',
  retryFailed: 'Ancora nessuna connessione. Continuiamo a provare in background.',
  contact: 'Contattaci in un altro modo',
  loading: 'Caricamento della conversazione…',
  refused: 'Non siamo riusciti a confermare chi sei, quindi la chat non può aprirsi. Accedi di nuovo o ricarica la pagina.',
  menu: 'Opzioni della conversazione',
  // Files (files-widget)
  attach: 'Allega file',
  // Accessibility
  log: 'Messaggi',
  // Messages that cannot go
  tooLong: 'Non inviato: troppo lungo.',
  editMessage: 'Modifica',
  removeMessage: 'Rimuovi',
  charsLeft: (n: number) => (n === 1 ? 'Resta 1 carattere' : `Restano ${n} caratteri`),
  charsOver: (n: number) => (n === 1 ? '1 carattere di troppo' : `${n} caratteri di troppo`),
  unread: (n: number) => (n === 1 ? '1 messaggio non letto' : `${n} messaggi non letti`),
  // Notifications and the launcher's state
  open: 'Apri la chat',
  newMessages: 'Nuovi messaggi',
  newMessage: 'Nuovo messaggio',
  dismiss: 'Nascondi',
  // Agents and availability
  typingName: (name: string) => `${name} sta scrivendo…`,
  today: 'Oggi',
  yesterday: 'Ieri',
  availability: {
    online: 'Siamo online',
    away: 'Torniamo tra un attimo',
    offline: 'Al momento non c’è nessuno online',
    closed: 'Al momento siamo chiusi',
    unreachable: 'Il servizio di chat non è raggiungibile',
  },
  // When nobody is there (offline)
  queued: 'Salvato: ti risponderemo qui.',
  offlineNotice:
    'La chat del team non è raggiungibile in questo momento. Puoi comunque scrivere: i tuoi messaggi vengono salvati e ti risponderemo qui.',
};
