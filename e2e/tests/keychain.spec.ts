// Backup Credentials on the systems themselves: each system's own keychain
// managed through its stored API key, Keyhaven credentials installed onto
// systems, and a system's credentials saved into Keyhaven.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { downloads, generateKeypair, row, widget } from './credentials';
import { expectAccessible, expectDialogAccessible } from './a11y';
import { fleet, keychainOf, ME, ROOT_PASSWORD, scope, system } from './fleet';
import { watchProblems } from './helpers';
import { scratch, stopAfterEach } from './own';
import { API_VERSIONS, simCall, totp } from './sim';
import { keyLines, keyscan } from './sshd';

const TOTP_SECRET = 'JBSWY3DPEHPK3PXP';

stopAfterEach();

// Every flow against the oldest and the newest release Keyhaven knows; the
// simulator checks every call against that release's own schemas.
for (const apiVersion of API_VERSIONS) test.describe(`TrueNAS ${apiVersion}`, () => {

test('install a Keyhaven keypair and connection on a system: its copy logs in to the other system with the host keys stored there', async ({ page }) => {
  const problems = watchProblems(page);
  const a = await system('nasA', apiVersion);
  const b = await system('nasB', apiVersion);
  await fleet(page, [['nasA', a.sim], ['nasB', b.sim]]);

  // A keypair, and a connection to B made by the semi-automatic setup (B
  // authorizes the key), both in Keyhaven.
  const keyForm = await generateKeypair(page, 'repl', 'Ed25519');
  await keyForm.getByRole('button', { name: 'Close' }).click();
  await widget(page, 'SSH Connections').getByRole('button', { name: 'Add' }).click();
  const form = page.getByRole('dialog', { name: 'SSH Connections' });
  await form.getByLabel('Name', { exact: true }).fill('to-nasB');
  await form.getByLabel('TrueNAS URL').fill(b.sim.url);
  await form.getByLabel('Admin Password').fill(ROOT_PASSWORD);
  await form.getByLabel('Username', { exact: true }).fill(ME);
  await form.getByLabel('Private Key').selectOption({ label: 'repl' });
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(form).toBeHidden({ timeout: 30_000 });

  // Install the connection (and with it its keypair) on A: the plan first.
  await row(page, 'SSH Connections', 'to-nasB').getByRole('button', { name: 'Install to-nasB on systems' }).click();
  const install = page.getByRole('dialog', { name: 'Install on Systems' });
  await install.getByLabel('nasA').check();
  await install.getByRole('button', { name: 'Review' }).click();
  await expect(install.getByRole('listitem').filter({ hasText: 'nasA' })).toContainText('SSH keypair “repl”: will be created');
  await expect(install.getByRole('listitem').filter({ hasText: 'nasA' })).toContainText('SSH connection “to-nasB”: will be created');
  await expectDialogAccessible(page, 'Install on Systems');
  await install.getByRole('button', { name: 'Install' }).click();
  await expect(install.getByRole('listitem').filter({ hasText: 'nasA' })).toContainText('Installed', { timeout: 30_000 });
  await install.getByRole('button', { name: 'Close' }).click();

  // A's own keychain, read over its API, holds both; the connection points
  // at the keypair's id there.
  const onA = await keychainOf(page, a.sim);
  const keypair = onA.find((c) => c.type === 'SSH_KEY_PAIR' && c.name === 'repl');
  const connection = onA.find((c) => c.type === 'SSH_CREDENTIALS' && c.name === 'to-nasB');
  expect(keypair.attributes.private_key).toContain('BEGIN OPENSSH PRIVATE KEY');
  expect(connection.attributes.private_key).toBe(keypair.id);
  expect(connection.attributes.port).toBe(b.sshd.port);
  expect(keyLines(connection.attributes.remote_host_key.split('\n'))).toEqual(keyscan(b.sshd.port));

  // The private key read back from A logs in to B's sshd, trusting only the
  // host keys A stores.
  const dir = scratch();
  const privatePath = join(dir, 'id_repl');
  writeFileSync(privatePath, keypair.attributes.private_key, { mode: 0o600 });
  chmodSync(privatePath, 0o600);
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, connection.attributes.remote_host_key.split('\n').map((k: string) => `[127.0.0.1]:${b.sshd.port} ${k}`).join('\n') + '\n');
  const ssh = spawnSync('ssh', [
    '-i', privatePath, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes',
    '-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${knownHosts}`,
    '-p', String(b.sshd.port), `${ME}@${connection.attributes.host}`, 'echo replication-ready',
  ]);
  expect(ssh.stderr.toString()).not.toContain('Permission denied');
  expect(ssh.stdout.toString().trim()).toBe('replication-ready');

  // A name taken on A by another credential is reported, and nothing there
  // is overwritten.
  const other = join(dir, 'other');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'theirs', '-f', other]);
  const theirs = execFileSync('ssh-keygen', ['-y', '-f', other]).toString().trim();
  await simCall(page, a.sim, ROOT_PASSWORD, 'keychaincredential.create', [{ name: 'clash', type: 'SSH_KEY_PAIR', attributes: { public_key: theirs } }]);
  const clashForm = await generateKeypair(page, 'clash', 'Ed25519');
  await clashForm.getByRole('button', { name: 'Close' }).click();
  await row(page, 'SSH Keypairs', 'clash').getByRole('button', { name: 'Install clash on systems' }).click();
  await install.getByLabel('nasA').check();
  await install.getByRole('button', { name: 'Review' }).click();
  await expect(install.getByRole('listitem').filter({ hasText: 'nasA' })).toContainText('the name is taken by another credential there');
  await expect(install.getByRole('button', { name: 'Install' })).toBeDisabled();
  await install.getByRole('button', { name: 'Close' }).click();
  const clash = (await keychainOf(page, a.sim)).find((c) => c.name === 'clash');
  expect(clash.attributes.public_key).toBe(theirs);

  // Where each credential lives: repl and to-nasB are on nasA.
  await expect(row(page, 'SSH Keypairs', 'repl')).toContainText('On nasA');
  await expect(row(page, 'SSH Connections', 'to-nasB')).toContainText('On nasA');

  // The copy on A changed there: the difference shows, and installing again
  // brings A's copy in line with Keyhaven's.
  await simCall(page, a.sim, ROOT_PASSWORD, 'keychaincredential.update', [connection.id, { attributes: { ...connection.attributes, port: 2222 } }]);
  await page.getByRole('link', { name: 'Back to the dashboard' }).click();
  await page.getByRole('link', { name: 'Backup Credentials' }).click();
  await expect(row(page, 'SSH Connections', 'to-nasB')).toContainText('On nasA (Port differs)');
  await row(page, 'SSH Connections', 'to-nasB').getByRole('button', { name: 'Install to-nasB on systems' }).click();
  await install.getByLabel('nasA').check();
  await install.getByRole('button', { name: 'Review' }).click();
  await expect(install.getByRole('listitem').filter({ hasText: 'nasA' })).toContainText('SSH connection “to-nasB”: will be updated (Port as in Keyhaven)');
  await install.getByRole('button', { name: 'Install' }).click();
  await expect(install.getByRole('listitem').filter({ hasText: 'nasA' })).toContainText('Installed', { timeout: 30_000 });
  await install.getByRole('button', { name: 'Close' }).click();
  const updated = (await keychainOf(page, a.sim)).find((c) => c.name === 'to-nasB');
  expect(updated.attributes.port).toBe(b.sshd.port);
  expect(problems).toEqual([]);
});

test('a system\'s own credentials: semi-automatic and discovery run by the system, save to Keyhaven, delete with what uses it', async ({ page }) => {
  const problems = watchProblems(page);
  const a = await system('nasA', apiVersion);
  const b = await system('nasB', apiVersion);
  // Not in the keyring, with two-factor: A logs in to it with the admin's password.
  const c = await system('nasC', apiVersion, TOTP_SECRET);
  await fleet(page, [['nasA', a.sim], ['nasB', b.sim]]);

  await scope(page).selectOption({ label: 'nasA' });
  await expect(widget(page, 'SSH Keypairs')).toContainText('No SSH keypairs yet.');
  await expectAccessible(page, 'Backup Credentials on a system');

  // A keypair generated here, created on A.
  await widget(page, 'SSH Keypairs').getByRole('button', { name: 'Add' }).click();
  const keyForm = page.getByRole('dialog', { name: 'SSH Keypairs' });
  await expectDialogAccessible(page, 'SSH Keypairs');
  await keyForm.getByLabel('Name', { exact: true }).fill('a-key');
  await keyForm.getByRole('button', { name: 'Generate Keypair' }).click();
  await expect(keyForm.getByLabel('Private Key', { exact: true })).toHaveValue(/BEGIN OPENSSH PRIVATE KEY/);
  await keyForm.getByRole('button', { name: 'Save' }).click();
  await expect(keyForm).toBeHidden();
  await expect(row(page, 'SSH Keypairs', 'a-key')).toBeVisible();

  // Semi-automatic, run by A against C (two-factor): the OTP field is there
  // up front, and A logs in to C itself.
  await widget(page, 'SSH Connections').getByRole('button', { name: 'Add' }).click();
  const form = page.getByRole('dialog', { name: 'SSH Connections' });
  await expectDialogAccessible(page, 'SSH Connections');
  await form.getByLabel('Name', { exact: true }).fill('a-to-c');
  await form.getByLabel('TrueNAS URL').fill(c.sim.url);
  await form.getByLabel('Admin Password').fill(ROOT_PASSWORD);
  await form.getByLabel('One-Time Password (if necessary)').fill(totp(TOTP_SECRET));
  await form.getByLabel('Username', { exact: true }).fill(ME);
  await form.getByLabel('Private Key').selectOption({ label: 'a-key' });
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(form).toBeHidden({ timeout: 30_000 });
  await expect(row(page, 'SSH Connections', 'a-to-c')).toContainText(`${ME}@127.0.0.1:${c.sshd.port}`);
  const aKey = (await keychainOf(page, a.sim)).find((k) => k.name === 'a-key');
  expect(readFileSync(c.sshd.authorizedKeys, 'utf8')).toContain(aKey.attributes.public_key.split(' ')[1]);

  // Semi-automatic against B, which is in the keyring: no admin password;
  // B authorizes the key logged in with its stored key.
  await widget(page, 'SSH Connections').getByRole('button', { name: 'Add' }).click();
  await form.getByLabel('Name', { exact: true }).fill('a-to-b');
  await form.getByLabel('TrueNAS URL').fill(b.sim.url);
  await expect(form.getByRole('status')).toContainText('nasB is in your keyring');
  await expect(form.getByLabel('Admin Password')).toHaveCount(0);
  await form.getByLabel('Username', { exact: true }).fill(ME);
  await form.getByLabel('Private Key').selectOption({ label: 'a-key' });
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(form).toBeHidden({ timeout: 30_000 });
  await expect(row(page, 'SSH Connections', 'a-to-b')).toContainText(`${ME}@127.0.0.1:${b.sshd.port}`);
  expect(readFileSync(b.sshd.authorizedKeys, 'utf8')).toContain(aKey.attributes.public_key.split(' ')[1]);

  // Manual, with Discover Remote Host Key run by A: what ssh-keyscan sees.
  await widget(page, 'SSH Connections').getByRole('button', { name: 'Add' }).click();
  await form.getByLabel('Name', { exact: true }).fill('a-manual');
  await form.getByLabel('Setup Method').selectOption('Manual');
  await form.getByLabel('Host', { exact: true }).fill('127.0.0.1');
  await form.getByLabel('Port').fill(String(b.sshd.port));
  await form.getByLabel('Private Key').selectOption({ label: 'a-key' });
  await form.getByRole('button', { name: 'Discover Remote Host Key' }).click();
  await expect(form.getByLabel('Remote Host Key', { exact: true })).not.toHaveValue('', { timeout: 30_000 });
  const discovered = (await form.getByLabel('Remote Host Key', { exact: true }).inputValue()).split('\n');
  expect(keyLines(discovered)).toEqual(keyscan(b.sshd.port));
  // A name taken on the system lands on the Name field.
  await form.getByLabel('Name', { exact: true }).fill('a-to-b');
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(form.getByRole('alert')).toContainText('Name: Object with this name already exists');
  // … and under the Name field itself.
  await expect(form.locator('label:has-text("Name") + .field-error')).toHaveText('Object with this name already exists');
  await form.getByLabel('Name', { exact: true }).fill('a-manual');
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(form).toBeHidden();

  // Save A's keypair to Keyhaven, then download it there.
  await row(page, 'SSH Keypairs', 'a-key').getByRole('button', { name: 'Save a-key to Keyhaven' }).click();
  await expect(page.getByRole('status')).toContainText('Saved to Keyhaven');
  await scope(page).selectOption({ label: 'Keyhaven' });
  const files = await downloads(page, 2, () =>
    widget(page, 'SSH Keypairs').getByRole('button', { name: 'Download a-key' }).click(),
  );
  const dir = scratch();
  const privatePath = join(dir, 'a-key');
  await files.find((f) => f.suggestedFilename().includes('private'))!.saveAs(privatePath);
  chmodSync(privatePath, 0o600);
  const derived = execFileSync('ssh-keygen', ['-y', '-f', privatePath]).toString().trim();
  const onA = (await keychainOf(page, a.sim)).find((c) => c.name === 'a-key');
  expect(derived.split(' ').slice(0, 2)).toEqual(onA.attributes.public_key.split(' ').slice(0, 2));

  // Delete the keypair on A: the dialog lists what uses it, and cascades.
  await scope(page).selectOption({ label: 'nasA' });
  await row(page, 'SSH Keypairs', 'a-key').getByRole('button', { name: 'Delete a-key' }).click();
  const del = page.getByRole('dialog', { name: 'Delete SSH Keypair' });
  await expect(del).toContainText('SSH credentials a-to-b');
  await expect(del).toContainText('SSH credentials a-to-c');
  await expect(del).toContainText('SSH credentials a-manual');
  await expectDialogAccessible(page, 'Delete SSH Keypair');
  await del.getByLabel('Confirm').check();
  await del.getByRole('button', { name: 'Delete' }).click();
  await expect(del).toBeHidden();
  await expect(widget(page, 'SSH Keypairs')).toContainText('No SSH keypairs yet.');
  await expect(widget(page, 'SSH Connections')).toContainText('No SSH connections yet.');
  expect(await keychainOf(page, a.sim)).toEqual([]);

  // Offline, the systems can't be chosen (the reason says why), and the
  // screen is back on Keyhaven's credentials: nothing waits for a system.
  await page.context().setOffline(true);
  await expect(scope(page)).toHaveValue('');
  await expect(scope(page).getByRole('option', { name: 'nasA' })).toBeDisabled();
  await expect(page.getByText("Offline: a system's own credentials need the network.")).toBeVisible();
  await page.context().setOffline(false);
  await expect(scope(page).getByRole('option', { name: 'nasA' })).toBeEnabled();
  expect(problems).toEqual([]);
});

});
