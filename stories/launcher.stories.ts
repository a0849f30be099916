import type { Meta } from '@storybook/web-components-vite';
import type { ChatArgs } from './support/fixture.js';
import { chatMeta, chatStory } from './support/meta.js';

// The closed widget: only the launcher button, which is all a page loads before the visitor acts (no request, no cookie, no storage).
export default {
  title: 'Launcher',
  ...chatMeta,
} satisfies Meta<ChatArgs>;

/** The launcher alone. Click it to open the chat (an empty conversation). */
export const Closed = chatStory({});

/** The launcher in the other corner. */
export const BottomLeft = chatStory({}, { position: 'bottom-left' });

/** Closed, with messages from the team that arrived while it was closed: the unread count. */
export const ClosedWithUnread = chatStory({
  async run(ctx) {
    await ctx.openAndLoad();
    ctx.el.close();
    ctx.server.agentPost('Hi! Are you still looking for a tent?');
    ctx.server.agentPost('We have the Alpine 2 back in stock.');
  },
});
