/**
 * The OAuth 1.0a authorization as a person meets it: `connector connect --no-browser` prints
 * the provider's authorize URL, and headless Chromium opens it, presses Allow or Deny, and
 * lands on the CLI's loopback page. Skipped, with the reason printed, where Chromium is not
 * installed.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { startCli } from '../cli/connect-support.js';
import { chromiumMissingReason, launchChromium, saveScreenshot, type BrowserSession } from '../support/browser.js';
import { runCli, temporaryFolder } from '../support/cli.js';
import { startOAuth1Provider, type OAuth1Provider } from '../support/oauth1-provider.js';

const missing = chromiumMissingReason();
if (missing !== undefined) console.warn(`Skipping the OAuth 1.0a browser tests: ${missing}.`);

const AUTHORIZE_URL = /^(http:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\?\S+)$/m;
const CALLBACK_URL = /^http:\/\/127\.0\.0\.1:\d+\/callback\/zylker_social\?/;

describe.skipIf(missing !== undefined)('OAuth 1.0a authorization in Chromium', () => {
  let browser: BrowserSession;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  let folder: { path: string; remove: () => void };
  let provider: OAuth1Provider;
  beforeEach(async () => {
    folder = temporaryFolder();
    provider = await startOAuth1Provider();
    writeConnector();
    await browser.clearCookies();
  });
  afterEach(async () => {
    await provider.close();
    folder.remove();
  });

  const env = () => ({ CONSUMER_SECRET: provider.consumer.secret });

  function writeConnector(): void {
    const lines = [
      'schemaVersion: 1',
      'name: Zylker Social',
      'linkName: zylker_social',
      'stage: ready',
      `baseUrl: ${provider.baseUrl}`,
      'auth:',
      '  type: oauth1',
      `  consumerKey: ${provider.consumer.key}`,
      '  consumerSecret: env:CONSUMER_SECRET',
      `  requestTokenUrl: ${provider.urls.requestToken}`,
      `  authorizationUrl: ${provider.urls.authorize}`,
      `  accessTokenUrl: ${provider.urls.accessToken}`,
      '  signatureMethod: HMAC-SHA1',
      '',
    ];
    writeFileSync(join(folder.path, 'connector.yaml'), lines.join('\n'));
  }

  /** Starts `connector connect --no-browser`, opens the printed URL in Chromium and presses `button`. */
  async function decide(button: 'Allow' | 'Deny') {
    const running = startCli(['connect', '--no-input', '--no-browser', '--insecure-storage'], { cwd: folder.path, env: env() });
    const [, url = ''] = await running.waitForStderr(AUTHORIZE_URL);

    const page = await browser.newPage();
    await page.goto(url);
    await Promise.all([page.waitForURL(CALLBACK_URL), page.click(`button:has-text("${button}")`)]);
    return { running, page, landedAt: Date.now() };
  }

  it('allows access and lands on the success page', async () => {
    const { running, page } = await decide('Allow');
    const successText = await page.textContent('body');
    await saveScreenshot(page, 'browser-oauth1-allowed');
    await page.close();
    const result = await running.result;

    expect(successText).toContain('Connected');
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('Created connection default of zylker_social');

    const account = await runCli(['request', '/1/account', '--insecure-storage'], { cwd: folder.path, env: env() });
    expect(account.code).toBe(0);
    expect(JSON.parse(account.stdout)).toMatchObject({ user_id: '6253282', screen_name: 'zylker_tester' });
    expect(provider.requests.every((request) => request.problem === '')).toBe(true);
    expect(browser.blocked).toEqual([]);
  });

  it('denies access and lands on the failure page', async () => {
    const { running, page, landedAt } = await decide('Deny');
    const failureText = await page.textContent('body');
    await saveScreenshot(page, 'browser-oauth1-denied');
    await page.close();
    const result = await running.result;

    expect(failureText).toContain('Access denied');
    expect(result.code).toBe(4);
    // The CLI must stop as soon as the redirect arrives, not wait for its timeout.
    expect(Date.now() - landedAt).toBeLessThan(5_000);

    const list = await runCli(['connections', '--json', '--insecure-storage'], { cwd: folder.path });
    expect(JSON.parse(list.stdout)).toEqual([]);
    expect(browser.blocked).toEqual([]);
  });
});
