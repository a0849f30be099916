// Storybook for <porthole-chat>: every state of the widget, driven by the in-memory transport
// the unit tests use (stories/support/fixture.ts). No server, no network: the build must work
// offline, so telemetry, crash reports and update notifications are off here as well as by
// STORYBOOK_DISABLE_TELEMETRY=1 / --disable-telemetry in the npm scripts.
// ESM config (.mjs): package.json must not get "type": "module" (docs/storybook.md).

/** @type {import('@storybook/web-components-vite').StorybookConfig} */
export default {
  framework: { name: '@storybook/web-components-vite', options: {} },
  stories: ['../stories/**/*.stories.ts'],
  addons: [],
  core: {
    disableTelemetry: true,
    enableCrashReports: false,
    disableWhatsNewNotifications: true,
    disableProjectJson: true,
  },
  // No autodocs pages: the API reference is docs/api.md, typedoc and custom-elements.json.
  docs: { autodocs: false },
  async viteFinal(config) {
    return {
      ...config,
      // @mattermost/client is CommonJS; pre-bundle its deep import for the dev server.
      optimizeDeps: { ...config.optimizeDeps, include: [...(config.optimizeDeps?.include ?? []), '@mattermost/client/lib/client4'] },
      build: { ...config.build, chunkSizeWarningLimit: 2000 },
    };
  },
};
