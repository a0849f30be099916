// axe on every Storybook state: each story of every stories/*.stories.ts file is rendered as
// Storybook renders it (the same args, the same in-memory backend), its scenario is played, and
// axe-core checks the whole page, the widget's shadow roots included. test/package/docs.test.ts
// checks that every story file is listed here.
import { expect } from '@open-wc/testing';
import 'axe-core'; // UMD: defines window.axe (the test runner does not convert it to ESM)
import type AxeCore from 'axe-core';
import { systemClock } from '../src/controllers/clock.js';
import { configurePanel } from '../src/panel/porthole-panel.js';
import { loadMarkdown } from '../src/render/markdown/loader.js';
import { defaultArgs, storyTransportFactory, type ChatArgs, type StoryPage } from './support/fixture.js';
import type { ChatStory } from './support/meta.js';
import * as agents from './agents.stories.js';
import * as connection from './connection.stories.js';
import * as conversation from './conversation.stories.js';
import * as files from './files.stories.js';
import * as identity from './identity.stories.js';
import * as launcher from './launcher.stories.js';
import * as locales from './locales.stories.js';
import * as markdown from './markdown.stories.js';
import * as messages from './messages.stories.js';
import * as mobile from './mobile.stories.js';
import * as offline from './offline.stories.js';
import * as privacy from './privacy.stories.js';
import * as theme from './theme.stories.js';

/** Every story file, by file name (docs.test.ts compares this list with stories/). */
export const STORY_FILES: Record<string, Record<string, unknown>> = {
  agents,
  connection,
  conversation,
  files,
  identity,
  launcher,
  locales,
  markdown,
  messages,
  mobile,
  offline,
  privacy,
  theme,
};

const axe = () => (window as unknown as { axe: typeof AxeCore }).axe;
const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
/** How long a scenario may play before its state is checked (some loop for ever, e.g. a playground). */
const PLAY_MS = 6000;

/** Renders `story` as Storybook would, plays it, and returns its page. */
async function play(meta: { args?: Partial<ChatArgs> }, story: ChatStory): Promise<HTMLElement> {
  const args = { ...defaultArgs, ...meta.args, ...story.args } as ChatArgs;
  const page = (story.render as unknown as (a: ChatArgs) => StoryPage)(args);
  document.body.append(page);
  await Promise.race([page.storyDone, new Promise((resolve) => setTimeout(resolve, PLAY_MS))]);
  // Let the panel render what the scenario did (Lit updates, lazy chunks, a frame for styles).
  for (let i = 0; i < 3; i++) {
    const panel = page.querySelector('porthole-chat')?.shadowRoot?.querySelector('porthole-panel');
    await panel?.updateComplete;
    await frame();
  }
  return page;
}

describe('axe finds nothing in any Storybook state', () => {
  before(async () => {
    configurePanel({ transportFactory: storyTransportFactory, clock: systemClock, storage: null });
    // The markdown chunk is lazy: loaded first, so every story is checked as rendered with it, not as the plain
    // text shown while it loads (which depended on how busy the machine was).
    await loadMarkdown();
  });
  after(() => configurePanel());

  it('the check sees inside the widget: a nameless button in the panel is found', async () => {
    const page = await play(conversation.default, conversation.Open);
    try {
      const panel = page.querySelector('porthole-chat')!.shadowRoot!.querySelector('porthole-panel')!;
      panel.shadowRoot!.append(document.createElement('button'));
      const result = await axe().run(page, { resultTypes: ['violations'] });
      expect(result.violations.map((v) => v.id)).to.include('button-name');
    } finally {
      page.remove();
    }
  });

  for (const [file, module] of Object.entries(STORY_FILES)) {
    const meta = module.default as { title: string; args?: Partial<ChatArgs> };
    for (const [name, story] of Object.entries(module)) {
      if (name === 'default' || typeof (story as ChatStory)?.render !== 'function') continue;
      // A story that shows a deliberate failure (Theme and locale / LowContrastAccent) opts out, as in Storybook's a11y addon.
      if ((story as ChatStory).parameters?.a11y?.test === 'off') continue;
      it(`${meta.title} / ${name} (${file}.stories.ts)`, async function () {
        (this as { timeout(ms: number): void }).timeout(PLAY_MS + 10_000);
        const page = await play(meta, story as ChatStory);
        try {
          const result = await axe().run(page, { resultTypes: ['violations'] });
          const found = result.violations.map(
            (v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
          );
          expect(found, `axe violations in ${meta.title} / ${name}`).to.deep.equal([]);
        } finally {
          page.remove();
        }
      });
    }
  }
});
