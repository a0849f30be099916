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
  contact: 'Nous contacter autrement',
};
