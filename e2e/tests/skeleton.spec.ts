import { expect, test } from '@playwright/test';
import { watchProblems } from './helpers';

// The whole chain: the server serves the built app, boot.js starts the wasm
// under the strict CSP, and the router renders real routes, also after a
// reload on a deep link.
test('the app renders from wasm and deep links survive a reload', async ({ page, request }) => {
  const problems = watchProblems(page);

  // What the server sends has none of the screens' words: they come from wasm.
  const html = await (await request.get('/keyring')).text();
  expect(html).toContain('<title>Keyhaven</title>');
  expect(html).not.toContain('Sign in');

  // Signed out, a deep link leads to the sign-in page, also after a reload.
  await page.goto('/keyring');
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await expect(page).toHaveURL(/\/signin$/);
  await expect(page).toHaveTitle('Keyhaven');
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();

  expect(problems).toEqual([]);
});

test("an unknown address shows the app's not-found page", async ({ page }) => {
  await page.goto('/no/such/screen');
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
});
