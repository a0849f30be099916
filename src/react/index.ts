/**
 * `porthole-chat/react`: `<PortholeChat>`, a React component for `<porthole-chat>` made with
 * @lit/react (props are the element's properties, `on…` props its events with typed `detail`),
 * and JSX types for the raw `<porthole-chat>` tag. A client component (`'use client'`), and
 * safe to import during server rendering: the element is defined only in a browser.
 *
 * @example
 * ```tsx
 * import { PortholeChat } from 'porthole-chat/react';
 *
 * <PortholeChat tokenUrl="/porthole/v1/session" onMessage={(e) => console.log(e.detail.text)} />
 * ```
 *
 * @module porthole-chat/react
 */
import { createComponent, type EventName } from '@lit/react';
import * as React from 'react';
import '../element/define.js';
import { PortholeChatElement } from '../element/porthole-chat.js';
import type { PortholeEventMap } from '../events/porthole-events.js';

const event = <K extends keyof PortholeEventMap>(name: K) => name as EventName<PortholeEventMap[K]>;

/** `<porthole-chat>` as a React component; `ref` is the {@link PortholeChatElement}. */
export const PortholeChat = createComponent({
  tagName: 'porthole-chat',
  elementClass: PortholeChatElement,
  react: React,
  events: {
    onOpen: event('porthole-open'),
    onClose: event('porthole-close'),
    onMessage: event('porthole-message'),
    onMessageSent: event('porthole-message-sent'),
    onStateChange: event('porthole-state-change'),
    onError: event('porthole-error'),
    onConversationErased: event('porthole-conversation-erased'),
    onUnreadChange: event('porthole-unread-change'),
  },
  displayName: 'PortholeChat',
});

/** The props of {@link PortholeChat}. */
export type PortholeChatProps = React.ComponentProps<typeof PortholeChat>;

/** The attributes of the raw `<porthole-chat>` tag in JSX (see docs/api.md). */
export interface PortholeChatAttributes extends React.HTMLAttributes<PortholeChatElement> {
  ref?: React.Ref<PortholeChatElement>;
  'token-url'?: string;
  position?: 'bottom-right' | 'bottom-left';
  open?: boolean;
  locale?: string;
  'fallback-href'?: string;
  preload?: '' | 'idle';
  'no-privacy-menu'?: boolean;
  'hide-launcher'?: boolean;
  /** Space-separated `sound`, `title`, `preview`. */
  notify?: string;
  'report-pages'?: boolean;
}

declare module 'react' {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace JSX {
    interface IntrinsicElements {
      /** The chat widget (import 'porthole-chat' defines it). */
      'porthole-chat': PortholeChatAttributes;
    }
  }
}

export { PortholeChatElement };
