import type { Meta } from '@storybook/web-components-vite';
import { longHistory, names, shortHistory, type ChatArgs } from './support/fixture.js';
import { chatMeta, chatStory } from './support/meta.js';

// The open panel with the conversation in its usual states.
export default {
  title: 'Conversation',
  ...chatMeta,
} satisfies Meta<ChatArgs>;

/** A short conversation with a link, the baseline for theming. */
export const Open = chatStory({
  transport: { history: shortHistory, names },
  run: (c) => c.openAndLoad(),
});

/**
 * Opening: the session and the first page of history are in flight (the backend holds every
 * call). The panel has no loading indicator of its own yet: it shows the empty-conversation
 * text meanwhile (see docs/storybook.md).
 */
export const Opening = chatStory({
  transport: { history: shortHistory, names },
  run: async (c) => {
    c.server.hold(); // never released: the first page stays in flight
    await c.el.open();
  },
});

/** A new visitor: nothing in the channel yet. */
export const Empty = chatStory({ run: (c) => c.openAndLoad() });

/** 300 messages: the latest 30 are shown, "Load older messages" pages back 30 at a time. */
export const Long = chatStory({
  transport: { history: longHistory(300), names },
  run: (c) => c.openAndLoad(),
});

/** An agent is typing (the indicator is refreshed every 4 s, as a typing agent would). */
export const AgentTyping = chatStory({
  transport: { history: shortHistory, names },
  run: async (c) => {
    await c.openAndLoad();
    c.server.agentTyping();
    c.every(4000, () => c.server.agentTyping());
  },
});

/** An agent's message arrives live while the panel is open. */
export const MessageArrives = chatStory({
  transport: { history: shortHistory.slice(0, 2), names },
  run: async (c) => {
    await c.openAndLoad();
    c.server.agentTyping();
    await c.wait(1500);
    c.server.agentPost('It shipped this morning: https://example.com/track/NW1042');
  },
});
