import type { ChatMessage, ConnectionState } from '../transport/transport.js';

/** Detail of `porthole-state-change`: the connection state after the change. */
export interface PortholeStateChangeDetail {
  state: ConnectionState;
}

/** Machine-readable codes carried by `porthole-error`. */
export type PortholeErrorCode =
  | 'auth_failed'
  | 'auth_rejected'
  | 'invalid_response'
  | 'host_callback'
  | 'no_config'
  | 'network'
  | 'send_failed'
  /**
   * The server is pacing this visitor (HTTP 429: in gateway mode, the companion's per-conversation
   * or per-address limit, e.g. more than 20 messages a minute). Not an outage: a message stays
   * queued ("Sending…") and goes again after the server's `Retry-After`; no fallback is shown.
   * Reported once per limited try; typing notices that are limited are dropped silently.
   */
  | 'rate_limited'
  | 'request_rejected'
  | 'load_failed'
  /**
   * Downloading the transcript or deleting the conversation from the panel's conversation menu
   * failed (the companion unreachable, `503 erasure_unavailable`, a refused token…). The visitor
   * sees why, with a retry where trying again can help; `message` names the call and the answer.
   */
  | 'privacy_failed'
  /**
   * A file the visitor attached cannot go (files): refused before upload (type, size, empty, more
   * than 10), refused by the server (413/415), or the upload failed. The visitor sees why, with a
   * Retry only where trying again can help; `message` names the file and the reason.
   */
  | 'upload_failed';

/** Detail of `porthole-conversation-erased`. */
export interface PortholeConversationErasedDetail {
  /** The erased conversation's id (the session's `channelId`). */
  conversationId: string;
}

/** Detail of `porthole-unread-change`. */
export interface PortholeUnreadChangeDetail {
  /** Messages from the team the visitor has not seen yet: 0 once the chat is opened (or read in another tab). */
  count: number;
}

/** Detail of `porthole-error`. `message` is for developers (English), never shown to visitors. */
export interface PortholeErrorDetail {
  code: PortholeErrorCode;
  message: string;
}

/**
 * Every event `<porthole-chat>` dispatches, by name. All bubble, are composed and are
 * dispatched from the `<porthole-chat>` element.
 */
export interface PortholeEventMap {
  /** The panel opened. */
  'porthole-open': CustomEvent<undefined>;
  /** The panel closed. */
  'porthole-close': CustomEvent<undefined>;
  /** A message from the team arrived (live, or found by a resync). */
  'porthole-message': CustomEvent<ChatMessage>;
  /** A message the visitor wrote was accepted by the server. */
  'porthole-message-sent': CustomEvent<ChatMessage>;
  /** The connection state changed. */
  'porthole-state-change': CustomEvent<PortholeStateChangeDetail>;
  /** Something failed: auth, network, a send, loading the panel. */
  'porthole-error': CustomEvent<PortholeErrorDetail>;
  /**
   * The visitor deleted the conversation from the panel's menu: the companion erased it, and the
   * widget forgot the visitor (the next message or opening starts a new conversation).
   */
  'porthole-conversation-erased': CustomEvent<PortholeConversationErasedDetail>;
  /**
   * The number of unread messages changed: a message from the team arrived while the chat was
   * closed (`count` goes up), or the visitor opened the chat (`count` is 0). The launcher's
   * `unreadCount` holds the last `count`.
   */
  'porthole-unread-change': CustomEvent<PortholeUnreadChangeDetail>;
}

export type PortholeEventName = keyof PortholeEventMap;
export type PortholeEventDetail<K extends PortholeEventName> = PortholeEventMap[K] extends CustomEvent<infer D> ? D : never;

// The events bubble and are composed, so document and window listeners are typed too.
/* eslint-disable @typescript-eslint/no-empty-object-type */
declare global {
  interface HTMLElementEventMap extends PortholeEventMap {}
  interface DocumentEventMap extends PortholeEventMap {}
  interface WindowEventMap extends PortholeEventMap {}
}
