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

/** Open: the launcher's button shows an × and is labelled "Close chat" (the panel owns its label and icon once loaded). */
export const OpenState = chatStory({
  run: (ctx) => ctx.openAndLoad(),
});

/**
 * Notifications (`notify="preview sound title"`): messages from the team while the chat is closed
 * show the unread count and a preview bubble beside the launcher, with the author and the first
 * line of the latest message (announced politely once). Clicking the bubble opens the chat; its ×
 * dismisses it. The title flash and the sound happen too (in Storybook, the title is the preview
 * frame's, and the sound plays only after a click in the frame).
 */
export const UnreadWithPreview = chatStory({
  transport: { names: { agent: 'Alex' } },
  async run(ctx) {
    ctx.el.setAttribute('notify', 'preview sound title');
    await ctx.openAndLoad();
    ctx.el.close();
    ctx.server.agentPost('Hi! Are you still looking for a tent?');
    await ctx.wait(600);
    ctx.server.agentPost('We have the Alpine 2 back in stock.\nIt ships tomorrow, free of charge for members.');
  },
});
