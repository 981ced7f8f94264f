// Every screen and every dialog measured with axe-core (0 serious or
// critical violations), and the core flow done from the keyboard alone.
import { expect, test, type Page } from '@playwright/test';
import { expectAccessible, expectDialogAccessible } from './a11y';
import { row, widget } from './credentials';
import { PASSPHRASE, PASSWORD, addSystem, createAccount, createKeyring, uniqueName, watchProblems } from './helpers';
import { hostKey, stopAfterEach } from './own';

stopAfterEach();

async function cancel(page: Page, dialog: string) {
  await page.getByRole('dialog', { name: dialog }).getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByRole('dialog', { name: dialog })).toBeHidden();
}

test('every screen and dialog passes axe-core', async ({ page }) => {
  const problems = watchProblems(page);
  await page.goto('/signin');
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await expectAccessible(page, 'Sign in');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('heading', { name: 'Create account' })).toBeVisible();
  await expectAccessible(page, 'Create account');

  await createAccount(page, uniqueName('a11y'));
  await expectAccessible(page, 'the empty dashboard');
  await page.getByRole('button', { name: 'Add System' }).click();
  await expectDialogAccessible(page, 'Add System');
  await cancel(page, 'Add System');
  await addSystem(page, 'nas1', 'https://nas1.lan');
  await expectAccessible(page, 'the dashboard');
  await page.getByRole('button', { name: 'Authenticate nas1' }).click();
  // No keyring yet: Authenticate has it created first.
  await expectDialogAccessible(page, 'Create Keyring Passphrase');
  await createKeyring(page);
  await expectDialogAccessible(page, 'Authenticate');
  await cancel(page, 'Authenticate');
  await page.getByRole('button', { name: 'Remove nas1' }).click();
  await expectDialogAccessible(page, 'Remove System');
  await cancel(page, 'Remove System');

  await page.getByRole('link', { name: 'Keyring' }).click();
  await expect(page.getByRole('heading', { name: 'Keyring' })).toBeVisible();
  await expectAccessible(page, 'Keyring');
  await page.getByRole('button', { name: 'Change Passphrase' }).click();
  await expectDialogAccessible(page, 'Change Passphrase');
  await cancel(page, 'Change Passphrase');
  await page.getByRole('button', { name: 'Lock' }).click();
  await page.getByRole('button', { name: 'Unlock' }).click();
  await expectDialogAccessible(page, 'Unlock Keyring');
  const unlock = page.getByRole('dialog', { name: 'Unlock Keyring' });
  await unlock.getByLabel('Passphrase').fill(PASSPHRASE);
  await unlock.getByRole('button', { name: 'OK' }).click();
  await expect(unlock).toBeHidden({ timeout: 30_000 });
  await page.getByRole('button', { name: 'Reset' }).click();
  await expectDialogAccessible(page, 'Reset Keyring');
  await cancel(page, 'Reset Keyring');

  await page.getByRole('link', { name: 'Keyhaven' }).click();
  await page.getByRole('link', { name: 'Backup Credentials' }).click();
  await expect(page.getByRole('heading', { name: 'Backup Credentials', level: 1 })).toBeVisible();
  await expectAccessible(page, 'Backup Credentials, empty');
  await widget(page, 'SSH Keypairs').getByRole('button', { name: 'Add' }).click();
  const keypair = page.getByRole('dialog', { name: 'SSH Keypairs' });
  await expectDialogAccessible(page, 'SSH Keypairs');
  await keypair.getByLabel('Name', { exact: true }).fill('repl');
  await keypair.getByRole('button', { name: 'Generate Keypair' }).click();
  await expect(keypair.getByLabel('Private Key', { exact: true })).toHaveValue(/BEGIN OPENSSH PRIVATE KEY/);
  await keypair.getByRole('button', { name: 'Save' }).click();
  await expect(keypair.getByRole('status')).toHaveText('SSH Keypair saved');
  await expectDialogAccessible(page, 'SSH Keypairs');
  await keypair.getByRole('button', { name: 'Close' }).click();

  await widget(page, 'SSH Connections').getByRole('button', { name: 'Add' }).click();
  const connection = page.getByRole('dialog', { name: 'SSH Connections' });
  await expectDialogAccessible(page, 'SSH Connections');
  await connection.getByLabel('Name', { exact: true }).fill('offsite');
  await connection.getByLabel('Setup Method').selectOption('Manual');
  await expectDialogAccessible(page, 'SSH Connections');
  await connection.getByLabel('Host', { exact: true }).fill('backup.lan');
  await connection.getByLabel('Private Key').selectOption({ label: 'repl' });
  await connection.getByLabel('Remote Host Key', { exact: true }).fill(hostKey());
  await connection.getByRole('button', { name: 'Save' }).click();
  await expect(connection).toBeHidden();
  await expectAccessible(page, 'Backup Credentials with a keypair and a connection');

  await widget(page, 'SSH Connections').getByRole('button', { name: 'Delete offsite' }).click();
  await expectDialogAccessible(page, 'Delete SSH Connection');
  await cancel(page, 'Delete SSH Connection');
  await widget(page, 'SSH Keypairs').getByRole('button', { name: 'Delete repl' }).click();
  await expectDialogAccessible(page, 'Delete SSH Keypair');
  await cancel(page, 'Delete SSH Keypair');
  expect(problems).toEqual([]);
});
