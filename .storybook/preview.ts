// Every story's panel talks to an in-memory backend: the same MemoryTransport and the same
// configurePanel() hook the unit tests use (src/panel/porthole-panel.test.ts). Real time
// (systemClock) so backoff, typing and probes play out as a visitor would see them; no storage,
// so a story never leaves a queued message in localStorage for the next one.
import type { Preview } from '@storybook/web-components-vite';
import { systemClock } from '../src/controllers/clock.js';
import { configurePanel } from '../src/panel/porthole-panel.js';
import '../stories/support/dark-theme.css';
import { storyTransportFactory } from '../stories/support/fixture.js';
import '../stories/support/story.css';

configurePanel({ transportFactory: storyTransportFactory, clock: systemClock, storage: null });

const preview: Preview = {
  parameters: {
    layout: 'fullscreen',
    controls: { expanded: true, sort: 'none' },
    actions: { clearOnStoryChange: true },
  },
};

export default preview;
