import type { Strings } from './en.js';

export const fr: Strings = {
  title: 'Discutons',
  close: 'Fermer la discussion',
  input: 'Message',
  placeholder: 'Écrivez un message…',
  send: 'Envoyer',
  loadOlder: 'Charger les messages précédents',
  typing: 'Quelqu’un écrit…',
  sending: 'Envoi…',
  failed: 'Non envoyé.',
  retryMessage: 'Réessayer',
  you: 'Vous',
  team: 'Support',
  edited: '(modifié)',
  empty: 'Écrivez-nous, nous vous répondrons ici.',
  reconnecting: 'Reconnexion…',
  fallback: 'La discussion est injoignable pour le moment. Vos messages sont conservés et partiront dès son retour.',
  retry: 'Réessayer',
  // Connection states (connection helper)
  retrying: 'Nouvelle tentative…',
  retryFailed: 'Toujours pas de connexion. Nous continuons d’essayer en arrière-plan.',
  contact: 'Nous contacter autrement',
  loading: 'Chargement de la conversation…',
  refused: 'Nous n’avons pas pu confirmer votre identité : la discussion ne peut pas s’ouvrir. Reconnectez-vous ou rechargez la page.',
  menu: 'Options de la conversation',
  // Files (files-widget)
  attach: 'Joindre des fichiers',
  // Accessibility
  log: 'Messages',
  // Messages that cannot go
  tooLong: 'Non envoyé : trop long.',
  editMessage: 'Modifier',
  removeMessage: 'Supprimer',
  charsLeft: (n: number) => `${n} caractères restants`,
  charsOver: (n: number) => `${n} caractères de trop`,
  unread: (n: number) => (n === 1 ? '1 message non lu' : `${n} messages non lus`),
  // Notifications and the launcher's state
  open: 'Ouvrir la discussion',
  newMessages: 'Nouveaux messages',
  newMessage: 'Nouveau message',
  dismiss: 'Masquer',
  // Agents and availability
  typingName: (name: string) => `${name} écrit…`,
  today: 'Aujourd’hui',
  yesterday: 'Hier',
  availability: {
    online: 'Nous sommes en ligne',
    away: 'Nous revenons dans un instant',
    offline: 'Personne n’est en ligne pour le moment',
    closed: 'Nous sommes fermés pour le moment',
    unreachable: 'Le service de discussion est injoignable',
  },
  // When nobody is there (offline)
  queued: 'Enregistré — nous répondrons ici.',
  offlineNotice:
    'La messagerie de l’équipe est injoignable pour le moment. Vous pouvez quand même écrire : vos messages sont enregistrés et nous répondrons ici.',
};
