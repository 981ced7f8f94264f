// Every screen and every dialog measured with axe-core (0 serious or
// critical violations), and the core flow done from the keyboard alone.
import { expect, test, type Locator, type Page } from '@playwright/test';
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

/** Presses Tab until `target` has the focus (the keyboard's way there). */
async function tabTo(page: Page, target: Locator, most = 60) {
  for (let i = 0; i < most; i += 1) {
    if (await target.evaluate((element) => element === document.activeElement).catch(() => false)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached ${target}`);
}

/** Tabs to a control and presses Enter on it. */
async function activate(page: Page, target: Locator) {
  await tabTo(page, target);
  await page.keyboard.press('Enter');
}

test('the core flow from the keyboard alone; dialogs keep the focus and give it back', async ({ page }) => {
  const problems = watchProblems(page);
  await page.goto('/signin');
  await activate(page, page.getByRole('button', { name: 'Create account' }));
  await tabTo(page, page.getByLabel('User name'));
  await page.keyboard.type(uniqueName('keys'));
  await page.keyboard.press('Tab');
  await page.keyboard.type(PASSWORD);
  await tabTo(page, page.getByLabel('Confirm password'));
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: 'Dashboard' })).toBeVisible();

  // Add System: the dialog opens on its first field, Enter saves, and the
  // focus is back on the button that opened it.
  const addSystem = page.getByRole('button', { name: 'Add System' });
  await activate(page, addSystem);
  const systemDialog = page.getByRole('dialog', { name: 'Add System' });
  await expect(systemDialog.getByLabel('Name')).toBeFocused();
  await page.keyboard.type('nas1');
  await page.keyboard.press('Tab');
  await page.keyboard.type('https://nas1.lan');
  await page.keyboard.press('Enter');
  await expect(systemDialog).toBeHidden();
  await expect(page.getByRole('row').filter({ hasText: 'nas1' })).toHaveCount(1);
  await expect(addSystem).toBeFocused();

  // Tab stays inside an open dialog; Escape closes it and gives the focus back.
  await activate(page, addSystem);
  for (let i = 0; i < 12; i += 1) {
    await page.keyboard.press(i % 3 === 2 ? 'Shift+Tab' : 'Tab');
    expect(await systemDialog.evaluate((dialog) => dialog.contains(document.activeElement))).toBe(true);
  }
  await page.keyboard.press('Escape');
  await expect(systemDialog).toBeHidden();
  await expect(addSystem).toBeFocused();

  await activate(page, page.getByRole('link', { name: 'Keyring' }));
  await expect(page.getByRole('heading', { name: 'Keyring' })).toBeVisible();
  await activate(page, page.getByRole('button', { name: 'Create Keyring' }));
  const create = page.getByRole('dialog', { name: 'Create Keyring Passphrase' });
  await expect(create.getByLabel('Name')).toBeFocused();
  await page.keyboard.type('fleet');
  await page.keyboard.press('Tab');
  await page.keyboard.type(PASSPHRASE);
  await tabTo(page, create.getByLabel('Confirm'));
  await page.keyboard.type(PASSPHRASE);
  await page.keyboard.press('Enter');
  const recovery = page.getByRole('dialog', { name: 'Recovery Code' });
  await expect(recovery.getByLabel('Recovery code')).toHaveText(/-/, { timeout: 30_000 });
  await activate(page, recovery.getByRole('button', { name: 'Done' }));
  await expect(page.getByText('Keyring “fleet” is unlocked.')).toBeVisible();

  await activate(page, page.getByRole('link', { name: 'Keyhaven' }));
  await activate(page, page.getByRole('link', { name: 'Backup Credentials' }));
  await expect(page.getByRole('heading', { name: 'Backup Credentials', level: 1 })).toBeVisible();
  const addKeypair = widget(page, 'SSH Keypairs').getByRole('button', { name: 'Add' });
  await activate(page, addKeypair);
  const form = page.getByRole('dialog', { name: 'SSH Keypairs' });
  await tabTo(page, form.getByLabel('Name', { exact: true }));
  await page.keyboard.type('replication');
  await activate(page, form.getByRole('button', { name: 'Generate Keypair' }));
  await expect(form.getByLabel('Private Key', { exact: true })).toHaveValue(/BEGIN OPENSSH PRIVATE KEY/, { timeout: 30_000 });
  await activate(page, form.getByRole('button', { name: 'Save' }));
  await expect(form.getByRole('status')).toHaveText('SSH Keypair saved');
  await activate(page, form.getByRole('button', { name: 'Close' }));
  await expect(form).toBeHidden();
  await expect(addKeypair).toBeFocused();
  await expect(row(page, 'SSH Keypairs', 'replication')).toBeVisible();

  await activate(page, widget(page, 'SSH Keypairs').getByRole('button', { name: 'Delete replication' }));
  const confirm = page.getByRole('dialog', { name: 'Delete SSH Keypair' });
  await tabTo(page, confirm.getByLabel('Confirm'));
  await page.keyboard.press('Space');
  await activate(page, confirm.getByRole('button', { name: 'Delete' }));
  await expect(confirm).toBeHidden();
  await expect(row(page, 'SSH Keypairs', 'replication')).toHaveCount(0);
  expect(problems).toEqual([]);
});
