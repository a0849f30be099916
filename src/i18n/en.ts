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
  // Connection states (connection helper)
  retrying: 'Trying again…',
  retryFailed: 'Still no connection. We keep trying in the background.',
  contact: 'Contact us another way',
  loading: 'Loading the conversation…',
  refused: 'We could not confirm who you are, so the chat cannot open. Please sign in again or reload the page.',
  menu: 'Conversation options',
  // Files (files-widget)
  attach: 'Attach files',
  // Accessibility
  log: 'Messages',
  // Messages that cannot go
  tooLong: 'Not sent: too long.',
  editMessage: 'Edit',
  removeMessage: 'Remove',
  charsLeft: (n: number) => `${n} characters left`,
  charsOver: (n: number) => `${n} characters too many`,
  unread: (n: number) => (n === 1 ? '1 unread message' : `${n} unread messages`),
  // Notifications and the launcher's state
  open: 'Open chat',
  newMessages: 'New messages',
  newMessage: 'New message',
  dismiss: 'Dismiss',
  // Agents and availability
  typingName: (name: string) => `${name} is typing…`,
  today: 'Today',
  yesterday: 'Yesterday',
  availability: {
    online: 'We are online',
    away: 'We are away for a moment',
    offline: 'Nobody is online right now',
    closed: 'We are closed right now',
    unreachable: 'The chat service cannot be reached',
  },
  // When nobody is there (offline)
  queued: 'Saved — we’ll answer here.',
  offlineNotice: 'The team’s chat cannot be reached right now. You can still write: your messages are saved and we’ll answer here.',
};

/**
 * The strings a locale provides.
 * @useDeclaredType
 */
export type Strings = typeof en;
