/**
 * Headless Chromium for tests: Debian's /usr/bin/chromium driven by playwright-core (no browser
 * download), a fresh profile, flags that let it run as root and stay off the network. Every
 * request a page makes is recorded; anything but file: URLs is aborted.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = process.env.FORCEDOWN_CHROMIUM ?? '/usr/bin/chromium';
export const artifactsDir = join(import.meta.dirname, '../../test-output/browser');

export interface Browser {
  readonly context: BrowserContext;
  /** Every URL a page asked for. */
  readonly requests: string[];
  close(): Promise<void>;
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does), or set FORCEDOWN_CHROMIUM`);
  const profile = await mkdtemp(join(tmpdir(), 'fd-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1200, height: 900 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  const requests: string[] = [];
  await context.route('**/*', async (route) => {
    requests.push(route.request().url());
    if (route.request().url().startsWith('file:')) await route.continue();
    else await route.abort();
  });
  return {
    context,
    requests,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
