// The define-free entry: classes, types and events, without registering <porthole-chat>.
/**
 * The widget's API: the `<porthole-chat>` class ({@link PortholeChatElement}), its events
 * ({@link PortholeEventMap}) and data types. Importing `porthole-chat` registers the tag and
 * re-exports all of this; `porthole-chat/element` does not register it.
 *
 * @module porthole-chat/element
 */
export { PortholeChatElement } from './element/porthole-chat.js';
export type {
  PortholeConversationErasedDetail,
  PortholeErrorCode,
  PortholeErrorDetail,
  PortholeEventMap,
  PortholeEventName,
  PortholeStateChangeDetail,
  PortholeUnreadChangeDetail,
} from './events/porthole-events.js';
export type {
  Availability,
  ChatFile,
  ContactDetails,
  QueuedSend,
  ChatMessage,
  ChatPage,
  ConnectionState,
  Session,
  SessionMode,
  Transport,
  TransportEvent,
  TransportFactory,
} from './transport/transport.js';
export type { GetToken } from './controllers/auth-controller.js';
export type { Locale } from './i18n/locales.js';
export type { StringOverrides, Strings } from './i18n/index.js';
export type { PrivacyStrings } from './panel/privacy-menu.strings.js';
export type { AttachmentStrings } from './panel/attachments.strings.js';
export type { ContactFormStrings } from './panel/contact-form.strings.js';
export type { PortholeUpdate, PortholePage } from './element/update.js';
