// A typed React component for <porthole-chat>, made with @lit/react. Props map to the element's
// properties (tokenUrl, position, locale, fallbackHref, isOpen, getToken, title) and the `on…`
// props to its events, with typed `event.detail`.
import { createComponent, type EventName } from '@lit/react';
import * as React from 'react';
// The package entry defines <porthole-chat>; 'porthole-chat/element' would give the class without defining it.
import { PortholeChatElement, type PortholeEventMap } from 'porthole-chat';

const event = <K extends keyof PortholeEventMap>(name: K) => name as EventName<PortholeEventMap[K]>;

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
  },
  displayName: 'PortholeChat',
});

export type PortholeChatProps = React.ComponentProps<typeof PortholeChat>;
