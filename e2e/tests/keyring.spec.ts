import { expect, test } from '@playwright/test';
import { addSystem, createAccount, createKeyring, signIn, uniqueName, watchProblems } from './helpers';

const PASSPHRASE = 'a keyring passphrase, not my TrueNAS password';

test('create, lock, unlock after sign-in, and reset the keyring', async ({ page }) => {
  const problems = watchProblems(page);
  const user = uniqueName('kay');
  await createAccount(page, user);
  await addSystem(page, 'nas1', 'https://nas1.lan');
  await page.getByRole('link', { name: 'Keyring' }).click();
  await expect(page.getByRole('heading', { name: 'Keyring' })).toBeVisible();
  // The table lists every system; no key is stored yet.
  const row = page.getByRole('row').filter({ hasText: 'nas1' });
  await expect(row.getByRole('cell').nth(1)).toHaveText('');
  await expect(row).toContainText('False');

  await page.getByRole('button', { name: 'Create Keyring' }).click();
  const create = page.getByRole('dialog', { name: 'Create Keyring Passphrase' });
  await expect(create).toContainText('different from your TrueNAS user password');
  const ok = create.getByRole('button', { name: 'Ok' });
  await expect(ok).toBeDisabled();
  await create.getByLabel('Name').fill('home lab');
  await create.getByLabel('Passphrase').fill(PASSPHRASE);
  await create.getByLabel('Confirm').fill(PASSPHRASE + 'x');
  await expect(ok).toBeDisabled();
  await expect(create.getByText('The passphrases do not match.')).toBeVisible();
  await create.getByLabel('Confirm').fill(PASSPHRASE);
  await expect(ok).toBeEnabled();
  await ok.click();

  // The recovery code is shown once, in groups a person can copy.
  const recovery = page.getByRole('dialog', { name: 'Recovery Code' });
  await expect(recovery.getByLabel('Recovery code')).toHaveText(/^([0-9A-Z]{4}-){7}[0-9A-Z]{4}$/, { timeout: 30_000 });
  const code = (await recovery.getByLabel('Recovery code').textContent())!;
  const download = page.waitForEvent('download');
  await recovery.getByRole('button', { name: 'Download' }).click();
  expect((await download).suggestedFilename()).toBe('keyhaven-recovery-code.txt');
  await recovery.getByRole('button', { name: 'Done' }).click();
  await expect(page.getByText('Keyring “home lab” is unlocked.')).toBeVisible();

  await page.getByRole('button', { name: 'Lock' }).click();
  await expect(page.getByText('Keyring “home lab” is locked.')).toBeVisible();
  // Locked on purpose: no passphrase prompt until asked for.
  await expect(page.getByRole('dialog', { name: 'Unlock Keyring' })).toHaveCount(0);

  // Reload: the Unlock Keyring dialog opens; a wrong passphrase says so.
  await page.reload();
  const unlock = page.getByRole('dialog', { name: 'Unlock Keyring' });
  await expect(unlock).toBeVisible();
  await unlock.getByLabel('Passphrase').fill('wrong passphrase');
  await unlock.getByRole('button', { name: 'OK' }).click();
  await expect(unlock.getByRole('alert')).toContainText('Wrong passphrase', { timeout: 30_000 });
  await unlock.getByLabel('Passphrase').fill(PASSPHRASE);
  await unlock.getByRole('button', { name: 'OK' }).click();
  await expect(unlock).toBeHidden({ timeout: 30_000 });
  await expect(page.getByText('Keyring “home lab” is unlocked.')).toBeVisible();

  // Cancel leaves the app usable, locked; Unlock reopens the dialog.
  await page.getByRole('button', { name: 'Sign out' }).click();
  // Signed out for good (its copy deleted) before the page is left.
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await signIn(page, user);
  await expect(unlock).toBeVisible();
  await unlock.getByRole('button', { name: 'Cancel' }).click();
  await expect(unlock).toBeHidden();
  await expect(page.getByRole('heading', { name: 'Dashboard' })).toBeVisible();
  await page.getByRole('link', { name: 'Keyring' }).click();
  await expect(page.getByText('Keyring “home lab” is locked.')).toBeVisible();
  await page.getByRole('button', { name: 'Unlock' }).click();
  await expect(unlock).toBeVisible();
  await unlock.getByRole('button', { name: 'Cancel' }).click();

  // Forgot the passphrase: the recovery code (typed sloppily) unlocks and
  // sets a new one.
  const NEW = 'a brand new passphrase';
  await page.getByRole('button', { name: 'Unlock' }).click();
  await unlock.getByRole('button', { name: 'Unlock with recovery code' }).click();
  await unlock.getByLabel('Recovery Code').fill(code.toLowerCase().replaceAll('-', ' '));
  await unlock.getByLabel('New Passphrase').fill(NEW);
  await unlock.getByLabel('Confirm').fill(NEW);
  await unlock.getByRole('button', { name: 'OK' }).click();
  await expect(unlock).toBeHidden({ timeout: 30_000 });
  await expect(page.getByText('Keyring “home lab” is unlocked.')).toBeVisible();
  // The used code is spent: a new one is shown once.
  const fresh = page.getByRole('dialog', { name: 'Recovery Code' });
  const freshCode = (await fresh.getByLabel('Recovery code').textContent())!.trim();
  expect(freshCode).not.toBe(code);
  await fresh.getByRole('button', { name: 'Done' }).click();

  // Change Passphrase, then only the newest one unlocks.
  const NEWER = 'the newest passphrase';
  await page.getByRole('button', { name: 'Change Passphrase' }).click();
  const change = page.getByRole('dialog', { name: 'Change Passphrase' });
  await change.getByLabel('New Passphrase').fill(NEWER);
  await change.getByLabel('Confirm').fill(NEWER);
  await change.getByRole('button', { name: 'Ok' }).click();
  await expect(change).toBeHidden({ timeout: 30_000 });
  // The data key was rotated, so the recovery code is re-issued too.
  const reissued = (await fresh.getByLabel('Recovery code').textContent())!.trim();
  expect(reissued).not.toBe(freshCode);
  await fresh.getByRole('button', { name: 'Done' }).click();
  await page.reload();
  for (const old of [PASSPHRASE, NEW]) {
    await unlock.getByLabel('Passphrase').fill(old);
    await unlock.getByRole('button', { name: 'OK' }).click();
    await expect(unlock.getByRole('alert')).toContainText('Wrong passphrase', { timeout: 30_000 });
  }
  await unlock.getByLabel('Passphrase').fill(NEWER);
  await unlock.getByRole('button', { name: 'OK' }).click();
  await expect(unlock).toBeHidden({ timeout: 30_000 });
  await page.getByRole('button', { name: 'Lock' }).click();

  // Reset: Cancel changes nothing; Ok removes the keyring, systems stay.
  await page.getByRole('button', { name: 'Reset' }).click();
  const reset = page.getByRole('dialog', { name: 'Reset Keyring' });
  await expect(reset).toContainText('must then be authenticated again');
  await reset.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByText('Keyring “home lab” is locked.')).toBeVisible();
  await page.getByRole('button', { name: 'Reset' }).click();
  await reset.getByRole('button', { name: 'Ok' }).click();
  await expect(page.getByRole('button', { name: 'Create Keyring' })).toBeVisible();
  await page.reload();
  await expect(page.getByRole('button', { name: 'Create Keyring' })).toBeVisible();
  await expect(page.getByRole('dialog', { name: 'Unlock Keyring' })).toHaveCount(0);
  await expect(page.getByRole('row').filter({ hasText: 'nas1' })).toHaveCount(1);
  expect(problems).toEqual([]);
});

test('the keyring locks itself after the idle time the user chose', async ({ page }) => {
  await page.clock.install();
  await createAccount(page, uniqueName('idle'));
  await page.getByRole('link', { name: 'Keyring' }).click();
  await page.getByRole('button', { name: 'Create Keyring' }).click();
  await createKeyring(page, PASSPHRASE, 'idle');
  await page.getByLabel('Lock after').selectOption('5');
  await expect(page.getByText('Keyring “idle” is unlocked.')).toBeVisible();

  // Four idle minutes: still unlocked. Past five: locked, key wiped.
  await page.clock.fastForward('04:00');
  await expect(page.getByText('Keyring “idle” is unlocked.')).toBeVisible();
  await page.clock.fastForward('01:30');
  const unlock = page.getByRole('dialog', { name: 'Unlock Keyring' });
  await expect(unlock).toContainText('locked itself after the idle time');
  await expect(page.getByText('Keyring “idle” is locked.')).toBeVisible();
});
