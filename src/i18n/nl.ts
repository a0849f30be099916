import type { Strings } from './en.js';

export const nl: Strings = {
  title: 'Chat met ons',
  close: 'Chat sluiten',
  input: 'Bericht',
  placeholder: 'Schrijf een bericht…',
  send: 'Verzenden',
  loadOlder: 'Oudere berichten laden',
  typing: 'Iemand is aan het typen…',
  sending: 'Bezig met verzenden…',
  failed: 'Niet verzonden.',
  retryMessage: 'Opnieuw',
  you: 'Jij',
  team: 'Support',
  edited: '(bewerkt)',
  empty: 'Stuur ons een bericht, we antwoorden hier.',
  reconnecting: 'Opnieuw verbinden…',
  fallback: 'We kunnen de chat nu niet bereiken. Je berichten blijven bewaard en worden verzonden zodra hij terug is.',
  retry: 'Opnieuw proberen',
  // Connection states (connection helper)
  retrying: 'Opnieuw proberen…',
  retryFailed: 'Nog steeds geen verbinding. We blijven het op de achtergrond proberen.',
  contact: 'Neem op een andere manier contact op',
  loading: 'Gesprek laden…',
  refused: 'We konden niet bevestigen wie je bent, dus de chat kan niet openen. Log opnieuw in of laad de pagina opnieuw.',
  menu: 'Opties voor het gesprek',
  // Files (files-widget)
  attach: 'Bestanden bijvoegen',
  // Accessibility
  log: 'Berichten',
  // Messages that cannot go
  tooLong: 'Niet verzonden: te lang.',
  editMessage: 'Bewerken',
  removeMessage: 'Verwijderen',
  charsLeft: (n: number) => (n === 1 ? 'Nog 1 teken' : `Nog ${n} tekens`),
  charsOver: (n: number) => (n === 1 ? '1 teken te veel' : `${n} tekens te veel`),
  unread: (n: number) => (n === 1 ? '1 ongelezen bericht' : `${n} ongelezen berichten`),
  // Notifications and the launcher's state
  open: 'Chat openen',
  newMessages: 'Nieuwe berichten',
  newMessage: 'Nieuw bericht',
  dismiss: 'Verbergen',
  // Agents and availability
  typingName: (name: string) => `${name} is aan het typen…`,
  today: 'Vandaag',
  yesterday: 'Gisteren',
  availability: {
    online: 'We zijn online',
    away: 'We zijn zo terug',
    offline: 'Er is nu niemand online',
    closed: 'We zijn nu gesloten',
    unreachable: 'De chatdienst is niet bereikbaar',
  },
  // When nobody is there (offline)
  queued: 'Opgeslagen — we antwoorden hier.',
  offlineNotice:
    'De chat van het team is nu niet bereikbaar. Je kunt toch schrijven: je berichten worden opgeslagen en we antwoorden hier.',
};
