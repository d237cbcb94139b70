import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

const CHROMIUM_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

/**
 * Headless Debian Chromium for UI tests. The flags keep it from reaching for the network
 * (this machine reaches none beyond loopback and package registries).
 */
export async function launchChromium(): Promise<Browser> {
  const executablePath = process.env.GANTRY_CHROMIUM ?? CHROMIUM_PATHS.find((p) => existsSync(p));
  if (!executablePath) {
    throw new Error('Chromium is not installed: run `apt-get install chromium` (.ci/run does), or set GANTRY_CHROMIUM to its path');
  }
  return chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
