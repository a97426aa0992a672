/**
 * The OAuth 2.0 consent flow as a person meets it: `connector connect --no-browser` prints the
 * authorization URL, and headless Chromium opens it, signs in on the provider's real login
 * page, approves or cancels on its consent page, and lands on the CLI's loopback page. Skipped, with the
 * reason printed, where Chromium is not installed.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { startCli } from '../cli/connect-support.js';
import { chromiumMissingReason, launchChromium, saveScreenshot, type BrowserSession } from '../support/browser.js';
import { runCli, temporaryFolder } from '../support/cli.js';
import { startOidcProvider, type OidcTestProvider } from '../support/oidc-provider.js';

const missing = chromiumMissingReason();
if (missing !== undefined) console.warn(`Skipping the OAuth 2.0 browser tests: ${missing}.`);

/** The line the CLI prints with the authorization URL. */
const AUTHORIZATION_URL = /^(http:\/\/127\.0\.0\.1:\d+\/auth\?\S+)$/m;
/** The loopback redirect URI of the CLI, with the provider's response in its query. */
const CALLBACK_URL = /^http:\/\/127\.0\.0\.1:\d+\/callback\/zylker_files\?/;

describe.skipIf(missing !== undefined)('OAuth 2.0 consent in Chromium', () => {
  let provider: OidcTestProvider;
  let browser: BrowserSession;
  beforeAll(async () => {
    provider = await startOidcProvider();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await provider?.close();
  });

  let folder: { path: string; remove: () => void };
  beforeEach(async () => {
    folder = temporaryFolder();
    writeConnector();
    await browser.clearCookies();
  });
  afterEach(() => folder.remove());

  /** Writes a Ready connector for the provider's public native client, with the provider as its base URL. */
  function writeConnector(): void {
    const lines = [
      'schemaVersion: 1',
      'name: Zylker Files',
      'linkName: zylker_files',
      'stage: ready',
      `baseUrl: ${provider.issuer}`,
      'auth:',
      '  type: oauth2',
      '  grantType: authorizationCode',
      `  clientId: ${provider.clients.nativeApp.clientId}`,
      `  authorizationUrl: ${provider.endpoints.authorization}`,
      `  tokenUrl: ${provider.endpoints.token}`,
      `  revokeTokenUrl: ${provider.endpoints.revocation}`,
      'scopes:',
      '  delimiter: space',
      '  items:',
      '    - { name: Sign in, value: openid }',
      '    - { name: Your name, value: profile }',
      '    - { name: Your email address, value: email }',
      '',
    ];
    writeFileSync(join(folder.path, 'connector.yaml'), lines.join('\n'));
  }

  /** Starts `connector connect --no-browser`, opens the printed URL in Chromium and signs in as `user`. */
  async function openConsentPage(user: string) {
    const running = startCli(['connect', '--no-input', '--no-browser', '--insecure-storage'], { cwd: folder.path });
    const [, url = ''] = await running.waitForStderr(AUTHORIZATION_URL);

    const page = await browser.newPage();
    await page.goto(url);
    await page.fill('input[name="login"]', user);
    await page.fill('input[name="password"]', 'any password');
    await page.click('button:has-text("Sign-in")');
    await page.waitForSelector('button:has-text("Continue")');
    return { running, page };
  }

  it('approves consent and lands on the success page', async () => {
    const { running, page } = await openConsentPage('alice');
    const consentText = await page.textContent('body');

    await Promise.all([page.waitForURL(CALLBACK_URL), page.click('button:has-text("Continue")')]);
    const successText = await page.textContent('body');
    await saveScreenshot(page, 'browser-oauth2-approved');
    await page.close();
    const result = await running.result;

    expect(consentText).toContain('profile');
    expect(consentText).toContain('email');
    expect(successText).toContain('Authorization complete');
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('Created connection default of zylker_files');

    const userinfo = await runCli(['request', '/me', '--insecure-storage'], { cwd: folder.path });
    expect(userinfo.code).toBe(0);
    expect(JSON.parse(userinfo.stdout)).toEqual({ sub: 'alice', name: 'alice', email: 'alice@example.test' });

    const token = await runCli(['token', '--insecure-storage'], { cwd: folder.path });
    const direct = await fetch(provider.endpoints.userinfo, { headers: { Authorization: `Bearer ${token.stdout.trim()}` } });
    expect(direct.status).toBe(200);
    await direct.body?.cancel();

    expect(browser.blocked).toEqual([]);
  });

  it('cancels consent and lands on the failure page', async () => {
    const { running, page } = await openConsentPage('bob');

    await Promise.all([page.waitForURL(CALLBACK_URL), page.click('a:has-text("Cancel")')]);
    const landedAt = Date.now();
    const failureText = await page.textContent('body');
    await saveScreenshot(page, 'browser-oauth2-cancelled');
    await page.close();
    const result = await running.result;

    expect(failureText).toContain('Authorization failed');
    expect(failureText).toContain('error: access_denied');
    expect(failureText).toContain('error_description: End-User aborted interaction');
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('Access was denied at the provider (access_denied');
    // The CLI must stop as soon as the redirect arrives, not wait for its timeout.
    expect(Date.now() - landedAt).toBeLessThan(5_000);

    const list = await runCli(['connections', '--json', '--insecure-storage'], { cwd: folder.path });
    expect(JSON.parse(list.stdout)).toEqual([]);
    expect(browser.blocked).toEqual([]);
  });
});
