// Debian's Chromium, which every browser tool of the project uses (none may download its own):
// the test runner, playwright-core in the end-to-end suites, Lighthouse and the benchmarks.

/** Path of the browser binary (`CHROME_PATH` overrides it). */
export const CHROMIUM = process.env.CHROME_PATH ?? '/usr/bin/chromium';

/**
 * Flags for it: as root it needs --no-sandbox, and without the background-networking flags it
 * keeps trying hosts this machine cannot reach.
 */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];
