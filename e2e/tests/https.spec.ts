// How Keyhaven is deployed: served over HTTPS by its own single binary
// (the app built in, a self-signed certificate made on first start), the
// page is a secure context — the service worker registers and RSA keys are
// generated. Served over plain http on a LAN name, the page says what
// won't work and how to fix it, and RSA generation says why it can't.
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, expect, test, type Browser, type Page } from '@playwright/test';
import { generateKeypair, row, widget } from './credentials';
import { createAccount, createKeyring, uniqueName, watchProblems } from './helpers';
import { later, server, stopAfterEach } from './own';

stopAfterEach();

/** A name that is not this machine's to the browser, resolved to it. */
const LAN_NAME = 'keyhaven.test';

/** A Chromium of the test's own, with `keyhaven.test` pointing here and
 * any extra flags. */
async function browserWith(args: string[]): Promise<Browser> {
  const base = (process.env.KEYHAVEN_CHROMIUM_ARGS ?? '--no-sandbox').split(' ').filter(Boolean);
  const browser = await chromium.launch({
    executablePath: process.env.KEYHAVEN_CHROMIUM ?? '/usr/bin/chromium',
    args: [...base, `--host-resolver-rules=MAP ${LAN_NAME} 127.0.0.1`, ...args],
  });
  later(() => browser.close());
  return browser;
}

/** Base64 SHA-256 of a certificate's public key: what Chromium's
 * `--ignore-certificate-errors-spki-list` takes, as a user who checked
 * the printed fingerprint trusts that one certificate. */
function spkiHash(pemFile: string): string {
  const spki = new X509Certificate(readFileSync(pemFile)).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

async function startKeyring(page: Page) {
  await createAccount(page, uniqueName('tls'));
  await page.getByRole('link', { name: 'Backup Credentials' }).click();
  await widget(page, 'SSH Keypairs').getByRole('button', { name: 'Add' }).click();
  await createKeyring(page);
  const form = page.getByRole('dialog', { name: 'SSH Keypairs' });
  await form.getByRole('button', { name: 'Close' }).click();
  await expect(form).toBeHidden();
}

test('the single binary over HTTPS with a self-signed certificate: secure context, service worker, RSA keys', async () => {
  // No --dist, started where no dist/ is: the app comes from the binary.
  const keyhaven = await server({ args: ['--tls-self-signed', '--tls-name', LAN_NAME] });
  expect(keyhaven.url).toBe(`https://127.0.0.1:${keyhaven.port}`);
  const certificate = join(keyhaven.dataDir, 'tls', 'self-signed.crt');
  const browser = await browserWith([`--ignore-certificate-errors-spki-list=${spkiHash(certificate)}`]);
  const page = await (await browser.newContext({ baseURL: `https://${LAN_NAME}:${keyhaven.port}` })).newPage();
  const problems = watchProblems(page);

  await page.goto('/signin');
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  expect(await page.evaluate(() => window.isSecureContext)).toBe(true);
  await expect(page.getByText('This connection is not secure.')).toHaveCount(0);
  // The release is kept for offline use.
  await page.waitForFunction(() => navigator.serviceWorker?.controller !== null, undefined, { timeout: 30_000 });

  // An http:// address typed for the same port lands on https.
  await page.goto(`http://${LAN_NAME}:${keyhaven.port}/signin`);
  await expect(page).toHaveURL(`https://${LAN_NAME}:${keyhaven.port}/signin`);

  await startKeyring(page);
  const form = await generateKeypair(page, 'replication-rsa', 'RSA 3072');
  await form.getByRole('button', { name: 'Close' }).click();
  await expect(row(page, 'SSH Keypairs', 'replication-rsa')).toContainText('RSA 3072');
  expect(problems).toEqual([]);
});

test('over plain http on a LAN name, a banner says what will not work and how to fix it, and RSA says why', async ({ baseURL }) => {
  const port = new URL(baseURL!).port;
  const browser = await browserWith([]);
  const page = await (await browser.newContext({ baseURL: `http://${LAN_NAME}:${port}` })).newPage();

  await page.goto('/signin');
  expect(await page.evaluate(() => window.isSecureContext)).toBe(false);
  // Before signing in.
  const banner = page.getByRole('alert').filter({ hasText: 'This connection is not secure.' });
  await expect(banner).toBeVisible();
  await expect(banner).toContainText('RSA keys');
  await expect(banner).toContainText('offline use');
  await expect(banner).toContainText('Open Keyhaven over https://');
  await expect(banner).toContainText('--tls-self-signed');

  // What the browser still allows works; RSA says why it can't.
  await startKeyring(page);
  await widget(page, 'SSH Keypairs').getByRole('button', { name: 'Add' }).click();
  const form = page.getByRole('dialog', { name: 'SSH Keypairs' });
  await form.getByLabel('Name', { exact: true }).fill('replication-rsa');
  await form.getByLabel('Key Type').selectOption('RSA 3072');
  await form.getByRole('button', { name: 'Generate Keypair' }).click();
  await expect(form.getByRole('alert')).toContainText('only over https://');
  await expect(form.getByLabel('Private Key', { exact: true })).toHaveValue('');
  await form.getByLabel('Key Type').selectOption('Ed25519');
  await form.getByRole('button', { name: 'Generate Keypair' }).click();
  await expect(form.getByLabel('Private Key', { exact: true })).toHaveValue(/BEGIN OPENSSH PRIVATE KEY/);
});
