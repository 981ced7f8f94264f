import { expect, test } from '@playwright/test';
import { addSystem, createAccount, PASSWORD, signIn, uniqueName, watchProblems } from './helpers';

test('create an account, add systems, sign out and back in', async ({ page }) => {
  const problems = watchProblems(page);
  const user = uniqueName('ana');
  await createAccount(page, user);
  await expect(page.getByText(user)).toBeVisible();
  await expect(page.getByText('No systems yet')).toBeVisible();

  // A URL without a scheme gets the page's, as TrueNAS does.
  await addSystem(page, 'nas1', '10.0.0.5');
  await addSystem(page, 'nas2', 'HTTPS://NAS2.example.lan:443/ui/');
  const rows = page.getByRole('row');
  await expect(rows.filter({ hasText: 'nas1' })).toContainText('http://10.0.0.5');
  await expect(rows.filter({ hasText: 'nas2' })).toContainText('https://nas2.example.lan');

  // Deep links and reloads keep the signed-in state and the data.
  await page.goto('/keyring');
  await expect(page.getByRole('heading', { name: 'Keyring' })).toBeVisible();
  await page.goto('/');
  await page.reload();
  await expect(rows.filter({ hasText: 'nas2' })).toBeVisible();

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await page.goto('/');
  await expect(page).toHaveURL(/\/signin$/);

  await signIn(page, user, 'not the password');
  await expect(page.getByRole('alert')).toHaveText('Wrong user name or password.');
  await signIn(page, user.toUpperCase(), PASSWORD);
  await expect(page.getByRole('heading', { name: 'Dashboard' })).toBeVisible();
  await expect(rows.filter({ hasText: 'nas1' })).toBeVisible();
  expect(problems).toEqual([]);
});

test('add system validates like TrueNAS and cancels cleanly', async ({ page }) => {
  await createAccount(page, uniqueName('bo'));
  await addSystem(page, 'nas1', 'https://nas1.lan');

  await page.getByRole('button', { name: 'Add System' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add System' });
  // Save stays disabled until both fields are filled.
  await expect(dialog.getByRole('button', { name: 'Save' })).toBeDisabled();
  await dialog.getByLabel('Name').fill('nas1');
  await dialog.getByLabel('TrueNAS URL').fill('https://other.lan');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await expect(dialog.getByRole('alert')).toHaveText('A system with this name is already registered.');
  await dialog.getByLabel('Name').fill('nas3');
  await dialog.getByLabel('TrueNAS URL').fill('ftp://nas3.lan');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await expect(dialog.getByRole('alert')).toContainText('Use a valid URL scheme');
  // Escape cancels: nothing was added.
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(page.getByRole('row').filter({ hasText: 'nas3' })).toHaveCount(0);
});

test('removing a system asks first and holds after a reload', async ({ page }) => {
  await createAccount(page, uniqueName('cy'));
  await addSystem(page, 'keep', 'https://keep.lan');
  await addSystem(page, 'drop', 'https://drop.lan');
  await page.getByRole('button', { name: 'Remove drop' }).click();
  const dialog = page.getByRole('dialog', { name: 'Remove System' });
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByRole('row').filter({ hasText: 'drop' })).toHaveCount(1);
  await page.getByRole('button', { name: 'Remove drop' }).click();
  await dialog.getByRole('button', { name: 'Remove' }).click();
  await expect(page.getByRole('row').filter({ hasText: 'drop' })).toHaveCount(0);
  await page.reload();
  await expect(page.getByRole('row').filter({ hasText: 'keep' })).toHaveCount(1);
  await expect(page.getByRole('row').filter({ hasText: 'drop' })).toHaveCount(0);
});

test("another account sees none of the first account's systems", async ({ browser }) => {
  const first = await browser.newPage();
  await createAccount(first, uniqueName('dee'));
  await addSystem(first, 'private-nas', 'https://private.lan');
  const second = await (await browser.newContext()).newPage();
  await createAccount(second, uniqueName('eve'));
  await expect(second.getByText('No systems yet')).toBeVisible();
  await expect(second.getByText('private-nas')).toHaveCount(0);
});

test('create account checks the confirmation and shows server errors', async ({ page }) => {
  await page.goto('/signin');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByLabel('User name').fill(uniqueName('fay'));
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Confirm password').fill('something else');
  await expect(page.getByText('The passwords do not match.')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Create account' })).toBeDisabled();
  await page.getByLabel('Password', { exact: true }).fill('short');
  await page.getByLabel('Confirm password').fill('short');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('alert')).toHaveText('Use a password of at least 10 characters.');
});
