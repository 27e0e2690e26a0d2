// Headless Chromium for the page tests: Debian's /usr/bin/chromium (`.ci/run` installs it),
// driven through playwright-core; Playwright gives each launch a fresh profile, and the flags
// keep the browser off the network.
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}
