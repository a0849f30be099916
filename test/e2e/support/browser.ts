// Debian's Chromium, driven by playwright-core (which never downloads a browser of its own).
import { chromium, type Browser } from 'playwright-core';
// @ts-expect-error plain JavaScript (it runs before node_modules exists)
import { CHROMIUM, CHROMIUM_ARGS } from '../../../scripts/setup.mjs';

export { CHROMIUM_ARGS };

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}
