// The first load carries what sign-in and the dashboard need; the other
// screens and the dialogs behind a button are wasm modules of their own
// (app/src/lazy.rs), downloaded when first opened. A piece that can't be
// downloaded is said so, and the app goes on.
import { expect, test, type Page } from '@playwright/test';
import { addSystem, createAccount, uniqueName, watchProblems } from './helpers';
import { later, stopAfterEach } from './own';

stopAfterEach();

/** The wasm files the page has asked for so far (served by the network or
 * the service worker), by name without the content hash. */
function wasmRequests(page: Page): () => string[] {
  const seen: string[] = [];
  page.on('request', (request) => {
    const path = new URL(request.url()).pathname;
    if (path.endsWith('.wasm')) seen.push(path.slice(1).replace(/-[0-9a-f]{16}(_bg)?\.wasm$/, '$1.wasm'));
  });
  return () => [...new Set(seen)].sort();
}

test('sign-in and the dashboard load one wasm module; a screen or dialog loads its own when first opened', async ({ page }) => {
  const problems = watchProblems(page);
  const wasm = wasmRequests(page);
  await createAccount(page, uniqueName('first-load'));
  expect(wasm()).toEqual(['app_bg.wasm']);

  await addSystem(page, 'nas-a', 'https://nas-a.example');
  expect(wasm()).toContain('split_add_system_dialog.wasm');
  expect(wasm().filter((w) => w.startsWith('split_'))).toEqual(['split_add_system_dialog.wasm']);

  await page.getByRole('link', { name: 'Keyring' }).click();
  await expect(page.getByRole('heading', { name: 'Keyring' })).toBeVisible();
  await expect(page.getByRole('row', { name: /nas-a/ })).toBeVisible();
  expect(wasm()).toContain('split_keyring_page.wasm');
  expect(wasm()).not.toContain('split_backup_credentials_page.wasm');

  // A deep link loads the screen's piece at once.
  await page.goto('/credentials/backup');
  await expect(page.getByRole('heading', { name: 'Backup Credentials' })).toBeVisible();
  expect(wasm()).toContain('split_backup_credentials_page.wasm');
  expect(problems).toEqual([]);
});

test("a piece that can't be downloaded: the dialog says so, the app goes on, and the next try loads it", async ({ browser }) => {
  // Without the service worker, which would otherwise serve the piece from
  // its cache (and which Playwright can't intercept).
  const browserContext = await browser.newContext({ baseURL: process.env.KEYHAVEN_URL, serviceWorkers: 'block' });
  later(() => browserContext.close());
  const page = await browserContext.newPage();
  await createAccount(page, uniqueName('not-loaded'));
  const piece = '**/split_add_system_dialog-*.wasm';
  await page.route(piece, (route) => route.abort('internetdisconnected'));

  await page.getByRole('button', { name: 'Add System' }).click();
  const failed = page.getByRole('dialog', { name: 'Not Loaded' });
  await expect(failed.getByRole('alert')).toHaveText(
    'This part of Keyhaven could not be downloaded. Check the connection, then try again (or reload the page).',
  );
  await failed.getByRole('button', { name: 'Close' }).click();
  await expect(failed).toBeHidden();
  // Still running: the rest of the app answers.
  await page.getByRole('link', { name: 'Keyring' }).click();
  await expect(page.getByRole('heading', { name: 'Keyring' })).toBeVisible();
  await page.getByRole('link', { name: 'Back to Dashboard' }).click();

  await page.unroute(piece);
  await addSystem(page, 'nas-b', 'https://nas-b.example');
  await expect(page.getByRole('cell', { name: 'nas-b', exact: true })).toBeVisible();
});

test('offline, pieces never opened before come from the service worker', async ({ page, context }) => {
  const wasm = wasmRequests(page);
  await createAccount(page, uniqueName('offline-pieces'));
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  await context.setOffline(true);
  await page.reload();
  await expect(page.getByText("You're offline.")).toBeVisible();
  expect(wasm().filter((w) => w.startsWith('split_'))).toEqual([]);

  await addSystem(page, 'nas-c', 'https://nas-c.example');
  await page.getByRole('link', { name: 'Keyring' }).click();
  await expect(page.getByRole('row', { name: /nas-c/ })).toBeVisible();
  expect(wasm().filter((w) => w.startsWith('split_'))).toEqual(['split_add_system_dialog.wasm', 'split_keyring_page.wasm']);
});
