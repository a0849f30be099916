import type { Meta } from '@storybook/web-components-vite';
import { names, type ChatArgs } from './support/fixture.js';
import { chatMeta, chatStory } from './support/meta.js';

// Agents' (and visitors') Mattermost markdown, rendered by the lazy markdown chunk
// (src/render/markdown/): a story per group of constructs, and one of hostile input.
export default {
  title: 'Markdown',
  ...chatMeta,
} satisfies Meta<ChatArgs>;

const agent = (text: string) => ({ text, userId: 'agent' });

/** Bold, italic, strike, inline code, links and autolinks, line breaks; @mentions and ~channels stay text. */
export const Inline = chatStory({
  transport: {
    names,
    history: [
      agent('**Good news:** your order _left_ our warehouse ~~yesterday~~ this morning.\nTracking: `FR-1042-77`.'),
      agent(
        'Details on [our shipping page](https://example.com/shipping), or https://example.com/faq and www.example.com. Ask @alex in ~support.',
      ),
    ],
  },
  run: (c) => c.openAndLoad(),
});

/** Headings, bullet and numbered lists (nested, tasks), quotes, a code block. */
export const Blocks = chatStory({
  transport: {
    names,
    history: [
      agent(
        '### To reset your password\n1. Open **Settings**\n2. Choose *Security*\n   - then *Password*\n3. Follow the link we email you\n\n- [x] account found\n- [ ] password changed',
      ),
      agent('> I cannot log in since Monday\n\nThanks for the details. The error was:\n```\nError 401: token expired\n```'),
    ],
  },
  run: (c) => c.openAndLoad(),
});

/** A table (alignment kept) and emoji shortcodes turned into Unicode; unknown shortcodes stay text. */
export const TablesAndEmoji = chatStory({
  transport: {
    names,
    history: [
      agent('| Plan | Price | Seats |\n|:-----|------:|:-----:|\n| Basic | 9 € | 1 |\n| Team | 29 € | 10 |'),
      agent('Done :tada: :white_check_mark: — have a nice day :smile: :+1: (and :not_an_emoji: stays as written)'),
    ],
  },
  run: async (c) => {
    await c.openAndLoad();
    await c.el.send('Thanks **a lot** :pray:');
  },
});

/**
 * Hostile input: script links, entity and case tricks, raw HTML, an image (never loaded: a link
 * to it), a table too wide, 500 nested list levels. All show as text or as safe links; none runs.
 */
export const Hostile = chatStory({
  transport: {
    names,
    history: [
      agent(
        '[click](javascript:alert(1)) [x](JaVaScRiPt:alert(1)) [y](jav&#x61;script:alert(1)) [z](data:text/html,<script>alert(1)</script>) [v](vbscript:msgbox(1))',
      ),
      agent(
        '<script>alert(1)</script> <img src=x onerror=alert(1)> [<b>bold?</b>](https://example.com) ![tracking pixel](https://example.com/pixel.png)',
      ),
      agent(`${'| c '.repeat(30)}|\n${'|---'.repeat(30)}|\n${'| 1 '.repeat(30)}|`),
      agent(Array.from({ length: 500 }, (_, i) => `${'  '.repeat(i)}- level ${i}`).join('\n')),
    ],
  },
  run: (c) => c.openAndLoad(),
});
