// The browser tests' stand-in for 'storybook/actions' (web-test-runner.config.mjs maps the import here):
// Storybook's own module pulls CommonJS test helpers the test runner does not load. Actions only log.

/** Like Storybook's `action(name)`: returns a handler, which does nothing outside Storybook. */
export const action =
  (_name: string) =>
  (..._args: unknown[]): void => {};
