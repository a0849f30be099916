import type { Meta } from '@storybook/web-components-vite';
import { longHistory, names, shortHistory, type ChatArgs, type ChatContext } from './support/fixture.js';
import { mountChat } from './support/fixture.js';
import { chatMeta, chatStory, type ChatStory } from './support/meta.js';

// The theme is the documented --porthole-* custom properties and ::part() rules (docs/theming.md); every story has the same controls.
export default {
  title: 'Theme and locale',
  ...chatMeta,
} satisfies Meta<ChatArgs>;

const conversation = {
  transport: { history: longHistory(8), names },
  run: async (c: ChatContext) => {
    await c.openAndLoad();
    c.server.agentTyping();
    c.every(4000, () => c.server.agentTyping());
  },
};

/** The dark set (stories/support/dark-theme.css), with the lighter accent it recommends. */
export const Dark = chatStory(conversation, { dark: true, accent: '#4493f8', onAccent: '#0d1117' });

/**
 * A story whose `<porthole-chat>` also gets `style` (custom properties, as a site's stylesheet would
 * set them); `dark` gives the page around it a dark background.
 */
const styled = (style: Record<string, string>, dark = false, args = {}): ChatStory => ({
  args,
  render: (a) => {
    const page = mountChat(a, conversation);
    for (const [name, value] of Object.entries(style)) page.querySelector('porthole-chat')!.style.setProperty(name, value);
    if (dark) page.classList.add('story-dark');
    return page;
  },
});

// Dark mode: the panel follows the visitor's prefers-color-scheme; `--porthole-color-scheme` forces one.
/** The built-in dark palette (what a dark preference shows), forced here with `--porthole-color-scheme: dark`. */
export const DarkByPreference = styled({ '--porthole-color-scheme': 'dark' }, true);

/** `--porthole-color-scheme: light`: a site that is light only keeps the light panel under a dark preference. */
export const ForcedLight = styled({ '--porthole-color-scheme': 'light' });

/**
 * A yellow accent under the default white text (1.43:1): the console warns once, naming both colours
 * and suggesting `#000` (the fixed pair is `onAccent` `#1f2328`).
 */
export const LowContrastAccent: ChatStory = {
  ...chatStory(conversation, { accent: '#ffd33d' }),
  // Deliberately below 4.5:1: axe's color-contrast check would (rightly) fail it.
  parameters: { a11y: { test: 'off' } },
};

/** A brand theme: another accent, square corners, a serif font, bottom-left. */
export const Brand = chatStory(conversation, { accent: '#0f766e', radius: 2, font: 'serif', position: 'bottom-left' });

/** French strings. */
export const French = chatStory(conversation, { locale: 'fr' });

/** German strings (the longest labels). */
export const German = chatStory(conversation, { locale: 'de' });

/** A right-to-left page (`dir="rtl"`) in Hebrew (the widget's content `dir="rtl"`), with Hebrew and Arabic messages. */
export const RightToLeft = chatStory(
  {
    transport: {
      names: { agent: 'נועה' },
      history: [
        { text: 'שלום! איך אפשר לעזור?', userId: 'agent' },
        { text: 'مرحبا، أين طلبي رقم 1042؟', userId: 'visitor' },
        { text: 'ההזמנה נשלחה הבוקר: https://example.com/track/NW1042', userId: 'agent' },
      ],
    },
    run: (c) => c.openAndLoad(),
  },
  { dir: 'rtl', position: 'bottom-left', locale: 'he' },
);

/** Everything the in-memory backend can do, as buttons next to the widget. */
export const Playground = chatStory({
  transport: { history: shortHistory, names },
  aside: (c) => {
    const box = document.createElement('div');
    box.className = 'story-controls';
    let n = 0;
    const actions: Array<[string, () => void]> = [
      ['Agent posts', () => c.server.agentPost(`Message ${++n} from the team.`)],
      ['Agent types', () => c.server.agentTyping()],
      ['Socket drops', () => c.server.drop()],
      ['Socket back', () => c.server.restore()],
      ['Service down', () => ((c.server.down = true), c.server.drop(true))],
      ['Service back', () => c.server.restore()],
      ['Next send refused', () => c.server.failNext('send', 'rejected')],
      ['Next send: lost ack', () => c.server.failNext('send', 'network', true)],
      ['Logout', () => void c.el.logout()],
    ];
    for (const [label, fn] of actions) {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = label;
      b.addEventListener('click', fn);
      box.append(b);
    }
    return box;
  },
  run: (c) => c.openAndLoad(),
});
