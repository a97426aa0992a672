/**
 * A headless Chromium for end-to-end tests of the consent flow, driven by playwright-core. It
 * uses Debian's `chromium` package (no browser download) with a fresh profile, and reaches
 * 127.0.0.1 only: every other request is aborted before it leaves and recorded in `blocked`,
 * and host names do not resolve.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { chromium, type BrowserContext, type Page } from 'playwright-core';

import { root } from './cli.js';

/** Where Debian's `chromium` package installs the browser's launcher. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Screenshots of the pages the tests end on; the folder is in .gitignore. */
export const SCREENSHOT_FOLDER = join(root, 'test-output');

/** Returns why the browser tests cannot run here, or undefined when they can. */
export function chromiumMissingReason(): string | undefined {
  if (existsSync(CHROMIUM_PATH)) return undefined;
  return `Chromium is not installed at ${CHROMIUM_PATH} (apt-get install --no-install-recommends chromium)`;
}

export interface BrowserSession {
  context: BrowserContext;
  /** URLs of the requests that were aborted because they were not aimed at 127.0.0.1. */
  blocked: string[];
  newPage(): Promise<Page>;
  /** Deletes every cookie, so the provider shows its sign-in and consent pages again. */
  clearCookies(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The switches that keep Chromium from calling home: no background updates, sync, field
 * trials or QUIC, and no host name resolves, so only IP literals such as 127.0.0.1 are reachable.
 */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-default-apps',
  '--disable-domain-reliability',
  '--disable-field-trial-config',
  '--metrics-recording-only',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
];

/** Launches headless Chromium with a fresh profile in a temporary folder, removed by `close`. */
export async function launchChromium(): Promise<BrowserSession> {
  const profile = await mkdtemp(join(tmpdir(), 'connector-chromium-'));
  let context: BrowserContext;
  try {
    // A persistent context is how playwright passes --user-data-dir.
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 800, height: 600 },
    });
  } catch (error) {
    await rm(profile, { recursive: true, force: true });
    throw error;
  }

  // Shorter than the test timeout, so a missing button fails with its selector in the message.
  context.setDefaultTimeout(10_000);

  const blocked: string[] = [];
  await context.route('**/*', async (route) => {
    const url = new URL(route.request().url());
    if (url.protocol === 'data:' || (url.protocol.startsWith('http') && url.hostname === '127.0.0.1')) {
      await route.continue();
      return;
    }
    blocked.push(url.toString());
    await route.abort('blockedbyclient');
  });

  return {
    context,
    blocked,
    newPage: () => context.newPage(),
    clearCookies: () => context.clearCookies(),
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Saves a full-page screenshot as `test-output/<name>.png` and returns its path. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOT_FOLDER, { recursive: true });
  const path = join(SCREENSHOT_FOLDER, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
