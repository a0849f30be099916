/** English strings, built in. Other locales implement the same shape. */
export const en = {
  title: 'Chat with us',
  close: 'Close chat',
  input: 'Message',
  placeholder: 'Write a message…',
  send: 'Send',
  loadOlder: 'Load older messages',
  typing: 'Someone is typing…',
  sending: 'Sending…',
  failed: 'Not sent.',
  retryMessage: 'Retry',
  you: 'You',
  team: 'Support',
  edited: '(edited)',
  empty: 'Send us a message and we will answer here.',
  reconnecting: 'Reconnecting…',
  fallback: 'We cannot reach the chat right now. Your messages are kept and will be sent as soon as it is back.',
  retry: 'Try again',
  contact: 'Contact us another way',
  loading: 'Loading the conversation…',
  refused: 'We could not confirm who you are, so the chat cannot open. Please sign in again or reload the page.',
  menu: 'Conversation options',
  // Messages that cannot go
  tooLong: 'Not sent: too long.',
  editMessage: 'Edit',
  removeMessage: 'Remove',
  charsLeft: (n: number) => `${n} characters left`,
  charsOver: (n: number) => `${n} characters too many`,
  unread: (n: number) => (n === 1 ? '1 unread message' : `${n} unread messages`),
};

/** The strings a locale provides. */
export type Strings = typeof en;
