// The define-free entry: classes, types and events, without registering <porthole-chat>.
export { PortholeChatElement } from './element/porthole-chat.js';
export type {
  PortholeErrorCode,
  PortholeErrorDetail,
  PortholeEventMap,
  PortholeEventName,
  PortholeStateChangeDetail,
} from './events/porthole-events.js';
export type { ChatMessage, ChatPage, ConnectionState, Session, Transport, TransportEvent, TransportFactory } from './transport/transport.js';
export type { GetToken } from './controllers/auth-controller.js';
export type { Locale } from './i18n/locales.js';
