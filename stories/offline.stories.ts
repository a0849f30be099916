import type { Meta } from '@storybook/web-components-vite';
import { names, shortHistory, type ChatArgs } from './support/fixture.js';
import { chatMeta, chatStory } from './support/meta.js';

// When nobody is there: Mattermost down behind a gateway companion (store and forward), and the
// pre-chat / offline contact form (docs/api.md, "When nobody is there").
export default {
  title: 'When nobody is there',
  ...chatMeta,
} satisfies Meta<ChatArgs>;

/**
 * Mattermost is down, the companion is up: reads fail with `mattermost_unavailable`, so the panel
 * says messages are saved (`offline-notice`) instead of the fallback, and what the visitor writes
 * shows "Saved — we’ll answer here." (`data-state="queued"`).
 */
export const MattermostDown = chatStory({
  transport: { history: shortHistory, names },
  run: async (c) => {
    await c.openAndLoad();
    c.server.chatServerDown = true;
    c.server.drop();
    c.server.restore();
    await c.el.send('Is anyone there?');
    await c.el.send('I will wait for your answer.');
  },
});

/** Like MattermostDown, then Mattermost comes back after 4 s: the saved messages are posted and shown once, as sent. */
export const MattermostBack = chatStory({
  transport: { history: shortHistory, names },
  run: async (c) => {
    await c.openAndLoad();
    c.server.chatServerDown = true;
    await c.el.send('Written while Mattermost was down');
    await c.wait(4000);
    c.server.chatServerBack();
  },
});

/** Nobody is online and the site asks for a name and an email, and answers by email: the contact form, before the first message. */
export const ContactForm = chatStory({
  transport: { names },
  run: async (c) => {
    c.server.team = { state: 'offline', fields: ['name', 'email'], emailReplies: true };
    await c.openAndLoad();
  },
});

/** The team is closed and the site asks only for an email, without answering by email: no promise of email replies. */
export const ContactFormEmailOnly = chatStory({
  transport: { names },
  run: async (c) => {
    c.server.team = { state: 'closed', fields: ['email'], emailReplies: false };
    await c.openAndLoad();
  },
});
