import { expect, type Page } from '@playwright/test';

/** Collects page errors and console errors, except the 401 a signed-out
 * session check is expected to log. */
export function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    const text = message.text();
    if (message.type() === 'error' && !/status of 401/.test(text)) {
      problems.push(`console error: ${text}`);
    }
  });
  return problems;
}

let counter = 0;
/** A user name no other test uses. */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}`;
}

export const PASSWORD = 'correct horse battery';

export async function createAccount(page: Page, username: string, password = PASSWORD) {
  await page.goto('/signin');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('heading', { name: 'Create account' })).toBeVisible();
  await page.getByLabel('User name').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel('Confirm password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('heading', { name: 'Dashboard' })).toBeVisible();
}

export async function signIn(page: Page, username: string, password = PASSWORD) {
  await page.goto('/signin');
  await page.getByLabel('User name').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

export async function addSystem(page: Page, name: string, url: string) {
  await page.getByRole('button', { name: 'Add System' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add System' });
  await dialog.getByLabel('Name').fill(name);
  await dialog.getByLabel('TrueNAS URL').fill(url);
  await dialog.getByRole('button', { name: 'Save' }).click();
  await expect(dialog).toBeHidden();
}

export const PASSPHRASE = 'keyring passphrase for the fleet';

/** Fills the Create Keyring Passphrase dialog (already open) and submits
 * it; the Recovery Code dialog comes next. */
export async function submitCreateKeyring(page: Page, passphrase = PASSPHRASE, name = 'fleet') {
  const dialog = page.getByRole('dialog', { name: 'Create Keyring Passphrase' });
  await dialog.getByLabel('Name').fill(name);
  await dialog.getByLabel('Passphrase').fill(passphrase);
  await dialog.getByLabel('Confirm').fill(passphrase);
  await dialog.getByRole('button', { name: 'Ok' }).click();
}

/** Fills the Create Keyring Passphrase dialog (already open) and closes the
 * recovery code it shows. */
export async function createKeyring(page: Page, passphrase = PASSPHRASE, name = 'fleet') {
  await submitCreateKeyring(page, passphrase, name);
  await page.getByRole('dialog', { name: 'Recovery Code' }).getByRole('button', { name: 'Done' }).click({ timeout: 30_000 });
}
