// The shared meta of every story file: the theme and locale controls, and a story helper.
import type { Meta, StoryObj } from '@storybook/web-components-vite';
import { defaultArgs, mountChat, themeArgTypes, type ChatArgs, type Scenario } from './fixture.js';

export type ChatStory = StoryObj<ChatArgs>;

/**
 * What every story file's default export spreads in: the element, the theme and locale
 * controls and their defaults. (The default export itself must stay an object literal with a
 * literal `title`: Storybook reads it without running the file.)
 */
export const chatMeta = {
  component: 'porthole-chat',
  args: defaultArgs,
  argTypes: themeArgTypes,
} satisfies Meta<ChatArgs>;

/**
 * A story that renders the widget and plays `scenario`. Changing a control renders a fresh
 * widget and plays the scenario again, so every state can be seen in every theme and locale.
 */
export const chatStory = (scenario: Scenario, args: Partial<ChatArgs> = {}): ChatStory => ({
  args,
  render: (a) => mountChat(a, scenario),
});
