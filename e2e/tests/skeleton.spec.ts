import { expect, test } from '@playwright/test';

// The whole chain: the server serves the built app, boot.js starts the wasm
// under the strict CSP, and the router renders real routes, also after a
// reload on a deep link.
test('the app renders from wasm and deep links survive a reload', async ({ page, request }) => {
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });

  // What the server sends has none of the screen's words: they come from wasm.
  const html = await (await request.get('/keyring')).text();
  expect(html).toContain('<title>Keyhaven</title>');
  expect(html).not.toContain('Backup Credentials');

  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Dashboard' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Backup Credentials' })).toBeVisible();
  await expect(page).toHaveTitle('Keyhaven');

  await page.getByRole('link', { name: 'Keyring' }).click();
  await expect(page).toHaveURL(/\/keyring$/);
  await expect(page.getByRole('heading', { name: 'Keyring' })).toBeVisible();

  await page.goto('/keyring');
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Keyring' })).toBeVisible();
  await page.getByRole('link', { name: 'Back to Dashboard' }).click();
  await expect(page.getByRole('heading', { name: 'Dashboard' })).toBeVisible();

  await page.goto('/credentials/backup');
  await expect(page.getByRole('heading', { name: 'Backup Credentials' })).toBeVisible();

  expect(problems).toEqual([]);
});

test('an unknown address shows the app\'s not-found page', async ({ page }) => {
  await page.goto('/no/such/screen');
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
});
