import type { Meta } from '@storybook/web-components-vite';
import { longHistory, names, type ChatArgs, type ChatContext } from './support/fixture.js';
import { chatMeta, chatStory, type ChatStory } from './support/meta.js';

// The chat on a small screen (issue 12): below 480 px of width or height the open panel is a
// full-screen sheet (src/controllers/sheet-controller.ts), the launcher is hidden, the page behind
// does not scroll, targets are 44 px and the input's font 16 px. Each story sets Storybook's
// viewport (the toolbar's viewport menu switches between them); the sheet follows the media query,
// so it shows in the preview frame at that size.
export default {
  title: 'Mobile',
  ...chatMeta,
  parameters: {
    viewport: {
      options: {
        phone: { name: 'Phone 375 × 667', styles: { width: '375px', height: '667px' }, type: 'mobile' },
        landscape: { name: 'Phone landscape 667 × 375', styles: { width: '667px', height: '375px' }, type: 'mobile' },
        zoom400: { name: '400 % zoom of 1280 × 1024 (320 × 256)', styles: { width: '320px', height: '256px' }, type: 'desktop' },
      },
    },
  },
} satisfies Meta<ChatArgs>;

const conversation = {
  transport: { history: longHistory(12), names },
  run: async (c: ChatContext) => {
    await c.openAndLoad();
    c.server.agentTyping();
  },
};

const at = (viewport: string, args: Partial<ChatArgs> = {}): ChatStory => ({
  ...chatStory(conversation, args),
  globals: { viewport: { value: viewport, isRotated: false } },
});

/** 375 × 667: the open chat is a full-screen sheet over a locked page; the launcher is hidden. */
export const Phone = at('phone');

/** A phone on its side (667 × 375): still a sheet, with a compact header and a one-line composer. */
export const PhoneLandscape = at('landscape');

/** 400 % zoom (320 × 256 CSS px): nothing clipped, the input and Send fully usable, the log scrolls. */
export const Zoom400 = at('zoom400');

/** The phone sheet in the visitor's dark preference (forced here with the dark set). */
export const PhoneDark = at('phone', { dark: true });
