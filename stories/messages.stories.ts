import type { Meta } from '@storybook/web-components-vite';
import { longHistory, names, shortHistory, type ChatArgs } from './support/fixture.js';
import { chatMeta, chatStory } from './support/meta.js';

// The visitor's messages: sending, sent, failed (edit and remove; a retry only where it can help), the length counter.
export default {
  title: 'Messages',
  ...chatMeta,
} satisfies Meta<ChatArgs>;

/** The visitor's message is on its way (the backend holds the send): "Sending…". */
export const Sending = chatStory({
  transport: { history: shortHistory, names },
  run: async (c) => {
    await c.openAndLoad();
    c.server.hold(); // never released
    await c.el.send('It is order #1042.');
  },
});

/** The server accepted the message (`porthole-message-sent`), then an agent answers. */
export const Sent = chatStory({
  transport: { history: shortHistory, names },
  run: async (c) => {
    await c.openAndLoad();
    await c.el.send('It is order #1042.');
    await c.wait(800);
    c.server.agentTyping();
    await c.wait(1500);
    c.server.agentPost('Thanks! It left our warehouse this morning.');
  },
});

/**
 * The server refused the message (a 4xx: `porthole-error` with code `send_failed`): "Not sent."
 * with Edit (back into the composer) and Remove; no Retry, since the same message would be
 * refused again.
 */
export const Failed = chatStory({
  transport: { history: shortHistory, names },
  run: async (c) => {
    await c.openAndLoad();
    c.server.failNext('send', 'rejected');
    await c.el.send('It is order #1042.');
  },
});

/** The server refused the message as too long (413, e.g. @-words pushed it over): "Not sent: too long." */
export const FailedTooLong = chatStory({
  transport: { history: shortHistory, names },
  run: async (c) => {
    await c.openAndLoad();
    c.server.failNext('send', 'rejected', false, undefined, 413);
    await c.el.send('It is order #1042, @support @billing @shipping…');
  },
});

/** The answer could not be read (a proxy's page instead of JSON): "Not sent." with a Retry, which can help. */
export const FailedRetryable = chatStory({
  transport: { history: shortHistory, names },
  run: async (c) => {
    await c.openAndLoad();
    c.server.failNext('send', 'invalid');
    await c.el.send('It is order #1042.');
  },
});

/**
 * Near Mattermost's 16,383-character limit the counter shows what is left; past it, Enter is
 * refused with "N characters too many" and the text stays (type a few more characters to see it).
 */
export const NearTheLimit = chatStory({
  transport: { history: shortHistory, names },
  run: async (c) => {
    await c.openAndLoad();
    const input = c.panel!.shadowRoot!.querySelector('textarea')!;
    input.value = 'Lorem ipsum dolor sit amet. '.repeat(580);
    input.dispatchEvent(new Event('input'));
  },
});

/** A message that contains links, a line break and a very long word. */
export const RichText = chatStory({
  transport: {
    names,
    history: [
      { text: 'Two ways to reach us:\nhttps://example.com/help\nmailto:help@example.com', userId: 'agent' },
      { text: 'My reference is NW-00000000000000000000000000000000000000000042', userId: 'visitor' },
      { text: 'javascript:alert(1) stays plain text; only http(s) and mailto become links.', userId: 'agent' },
    ],
  },
  run: (c) => c.openAndLoad(),
});

/**
 * The visitor has scrolled up to read older messages when the team answers: a "New messages ↓"
 * pill shows over the bottom of the log instead of moving the text away. Clicking it goes to the
 * bottom (and moves focus to the log); scrolling down to the bottom removes it too.
 */
export const NewMessagesPill = chatStory({
  transport: { history: longHistory(24), names },
  run: async (c) => {
    await c.openAndLoad();
    const log = c.panel!.shadowRoot!.querySelector<HTMLElement>('[part="log"]')!;
    log.scrollTop = 0;
    log.dispatchEvent(new Event('scroll'));
    c.server.agentPost('Your replacement poles are on their way too.');
    await c.until(() => !!c.panel!.shadowRoot!.querySelector('[part="new-messages"]'));
  },
});
