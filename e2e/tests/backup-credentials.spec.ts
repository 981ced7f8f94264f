import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Download, type Page } from '@playwright/test';
import { addManualConnection, downloads, generateKeypair, row, unlock, widget } from './credentials';
import { createAccount, createKeyring, uniqueName, watchProblems } from './helpers';
import { simCall, startSim, totp, type Sim } from './sim';
import { fingerprintOf, fingerprints, freePort, keyLines, keyscan, startSshd, type Sshd } from './sshd';

const ROOT_PASSWORD = 'root-password-on-the-nas';
const TOTP_SECRET = 'JBSWY3DPEHPK3PXP';
// The sshd logs in the user running the tests; the simulator knows it too.
const ME = userInfo().username;

const cleanups: (() => Promise<void> | void)[] = [];
test.afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'keyhaven-e2e-keys-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function sshd(): Promise<Sshd> {
  const server = await startSshd();
  cleanups.push(() => server.stop());
  return server;
}

async function sim(args: string[]): Promise<Sim> {
  const started = await startSim(args);
  cleanups.push(() => started.stop());
  return started;
}

/** A fresh account with a keyring, on the Backup Credentials screen. */
async function start(page: Page) {
  await createAccount(page, uniqueName('repl'));
  await page.getByRole('link', { name: 'Backup Credentials' }).click();
  await expect(page.getByRole('heading', { name: 'Backup Credentials', level: 1 })).toBeVisible();
  // No keyring yet: Add opens Create Keyring Passphrase first.
  await widget(page, 'SSH Keypairs').getByRole('button', { name: 'Add' }).click();
  await createKeyring(page);
  const form = page.getByRole('dialog', { name: 'SSH Keypairs' });
  await form.getByRole('button', { name: 'Close' }).click();
  await expect(form).toBeHidden();
}

async function save(download: Download, dir: string): Promise<string> {
  const path = join(dir, download.suggestedFilename());
  await download.saveAs(path);
  chmodSync(path, 0o600); // ssh refuses private keys others can read
  return path;
}

test('semi-automatic with Generate New on a two-factor system: the key logs in to the real sshd', async ({ page }) => {
  const problems = watchProblems(page);
  const server = await sshd();
  const users = ME === 'root' ? [`root:${ROOT_PASSWORD}:${TOTP_SECRET}`] : [`root:${ROOT_PASSWORD}:${TOTP_SECRET}`, `${ME}:unused`];
  const nas = await sim([
    '--hostname', 'nas2',
    ...users.flatMap((u) => ['--user', u]),
    '--ssh-port', String(server.port),
    ...server.hostKeyFiles.flatMap((f) => ['--host-key', f]),
    '--authorized-keys', server.authorizedKeys,
  ]);
  await start(page);

  await widget(page, 'SSH Connections').getByRole('button', { name: 'Add' }).click();
  const form = page.getByRole('dialog', { name: 'SSH Connections' });
  await expect(form.getByLabel('Setup Method')).toHaveValue('Semi-automatic (TrueNAS only)');
  await expect(form.getByLabel('Admin Username')).toHaveValue('root');
  await expect(form.getByLabel('Username', { exact: true })).toHaveValue('root');
  await expect(form.getByLabel('Private Key')).toHaveValue('new');
  await form.getByLabel('Name', { exact: true }).fill('nas2-repl');
  await form.getByLabel('TrueNAS URL').fill(nas.url);
  await form.getByLabel('Username', { exact: true }).fill(ME);
  await form.getByText('More Options').click();
  await expect(form.getByLabel('Connect Timeout')).toHaveValue('10');

  // A wrong password: refused, and the generated keypair is removed again.
  await form.getByLabel('Admin Password').fill('not the password');
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(form.getByRole('alert')).toHaveText('Wrong Admin Username or Admin Password.');
  await expect(widget(page, 'SSH Keypairs')).not.toContainText('nas2-repl Key');

  // The right password, the one-time password left empty (the field is
  // there from the start, as seed 000 lists it): the system asks for it.
  await expect(form.getByLabel('One-Time Password (if necessary)')).toBeVisible();
  await form.getByLabel('Admin Password').fill(ROOT_PASSWORD);
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(form.getByRole('alert')).toContainText('two-factor authentication');
  await form.getByLabel('One-Time Password (if necessary)').fill(totp(TOTP_SECRET));
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(form).toBeHidden();
  await expect(page.getByRole('status')).toHaveText('SSH Connection saved');
  await expect(row(page, 'SSH Connections', 'nas2-repl')).toContainText(`${ME}@127.0.0.1:${server.port}`);
  await expect(widget(page, 'SSH Keypairs')).toContainText('nas2-repl Key');

  // The stored host keys are the sshd's own.
  await widget(page, 'SSH Connections').getByRole('button', { name: 'nas2-repl', exact: true }).click();
  const edit = page.getByRole('dialog', { name: 'SSH Connections' });
  await expect(edit.getByLabel('Setup Method')).toHaveCount(0); // editing is Manual
  await expect(edit.getByLabel('Host', { exact: true })).toHaveValue('127.0.0.1');
  await expect(edit.getByLabel('Port')).toHaveValue(String(server.port));
  const stored = (await edit.getByLabel('Remote Host Key', { exact: true }).inputValue()).split('\n');
  expect(keyLines(stored)).toEqual(keyscan(server.port));
  await edit.getByRole('button', { name: 'Cancel' }).click();

  // Download the keypair and log in with it, trusting only the stored host keys.
  const dir = scratch();
  const files = await downloads(page, 2, () =>
    widget(page, 'SSH Keypairs').getByRole('button', { name: 'Download nas2-repl Key' }).click(),
  );
  const names = files.map((f) => f.suggestedFilename()).sort();
  expect(names).toEqual(['nas2-repl Key_private_key_ed25519', 'nas2-repl Key_public_key_ed25519']);
  const privateKey = await save(files.find((f) => f.suggestedFilename().includes('private'))!, dir);
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, stored.map((k) => `[127.0.0.1]:${server.port} ${k}`).join('\n') + '\n');
  const ssh = spawnSync('ssh', [
    '-i', privateKey, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes',
    '-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${knownHosts}`,
    '-p', String(server.port), `${ME}@127.0.0.1`, 'echo replication-ready',
  ]);
  expect(ssh.stderr.toString()).not.toContain('Permission denied');
  expect(ssh.stdout.toString().trim()).toBe('replication-ready');
  expect(problems).toEqual([]);
});

/** A user on a simulator, read over its own API. */
async function simUser(page: Page, nas: Sim, username: string): Promise<{ shell: string; sudo_commands_nopasswd: string[] }> {
  return (await simCall(page, nas, ROOT_PASSWORD, 'user.query', [[['username', '=', username]]]))[0];
}

test('semi-automatic: remote errors in plain words; the remote user gets a shell and zfs sudo', async ({ page }) => {
  const problems = watchProblems(page);
  const server = await sshd();
  const nas = await sim([
    '--hostname', 'nas3',
    '--user', `root:${ROOT_PASSWORD}`, '--user', 'svc:x', '--user', 'nohome:x', '--no-home', 'nohome',
    '--ssh-port', String(server.port),
    ...server.hostKeyFiles.flatMap((f) => ['--host-key', f]),
  ]);
  await start(page);
  await generateKeypair(page, 'repl-key', 'Ed25519');
  await page.getByRole('dialog', { name: 'SSH Keypairs' }).getByRole('button', { name: 'Close' }).click();

  await widget(page, 'SSH Connections').getByRole('button', { name: 'Add' }).click();
  const form = page.getByRole('dialog', { name: 'SSH Connections' });
  await form.getByLabel('Name', { exact: true }).fill('nas3-repl');
  await form.getByLabel('Private Key').selectOption({ label: 'repl-key' });
  await form.getByLabel('Admin Password').fill(ROOT_PASSWORD);
  const alert = form.getByRole('alert');

  // Nothing listens there (the browser logs the failed WebSocket itself).
  const closed = await freePort();
  await form.getByLabel('TrueNAS URL').fill(`http://127.0.0.1:${closed}`);
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(alert).toContainText('unreachable');
  const expected = `WebSocket connection to 'ws://127.0.0.1:${closed}/api/current' failed`;

  await form.getByLabel('TrueNAS URL').fill(nas.url);
  await form.getByLabel('Username', { exact: true }).fill('ghost');
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(alert).toContainText('User ghost does not exist');
  await expect(alert).toContainText('Check Username');

  await form.getByLabel('Username', { exact: true }).fill('nohome');
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(alert).toContainText('Home directory /var/empty does not exist');

  // A user other than root: the sudo option appears; shell and sudo are fixed on the remote.
  await expect(form.getByLabel('Enable passwordless sudo for zfs commands')).toHaveCount(1);
  await form.getByLabel('Username', { exact: true }).fill('svc');
  await form.getByLabel('Enable passwordless sudo for zfs commands').check();
  expect((await simUser(page, nas, 'svc')).shell).toBe('/usr/sbin/nologin');
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(form).toBeHidden();
  const svc = await simUser(page, nas, 'svc');
  expect(svc.shell).toBe('/usr/bin/bash');
  expect(svc.sudo_commands_nopasswd).toEqual(['/usr/sbin/zfs']);
  await expect(row(page, 'SSH Connections', 'nas3-repl')).toContainText(`svc@127.0.0.1:${server.port}`);
  // The admin password was used once and is stored nowhere.
  await widget(page, 'SSH Connections').getByRole('button', { name: 'nas3-repl', exact: true }).click();
  await expect(form.getByLabel('Admin Password')).toHaveCount(0);
  expect(problems.filter((p) => !p.includes(expected))).toEqual([]);
});

test('manual with Discover Remote Host Key, then a changed host key is shown and replaced on confirmation', async ({ page }) => {
  const problems = watchProblems(page);
  const server = await sshd();
  await start(page);
  await generateKeypair(page, 'backup-key', 'Ed25519');
  await page.getByRole('dialog', { name: 'SSH Keypairs' }).getByRole('button', { name: 'Close' }).click();

  await widget(page, 'SSH Connections').getByRole('button', { name: 'Add' }).click();
  const form = page.getByRole('dialog', { name: 'SSH Connections' });
  await form.getByLabel('Name', { exact: true }).fill('offsite');
  await form.getByLabel('Setup Method').selectOption('Manual');
  await expect(form.getByLabel('Port')).toHaveValue('22');
  await expect(form.getByLabel('TrueNAS URL')).toHaveCount(0);
  await form.getByLabel('Host', { exact: true }).fill('127.0.0.1');
  await form.getByLabel('Port').fill(String(server.port));
  await form.getByLabel('Private Key').selectOption({ label: 'backup-key' });
  // Save without host keys says what to do.
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(form.getByRole('alert')).toContainText('Remote Host Key is required');

  // Offline, discovery (which needs the server) is disabled and says why.
  await page.context().setOffline(true);
  await expect(form.getByRole('button', { name: 'Discover Remote Host Key' })).toBeDisabled();
  await expect(form.getByText('Offline: discovering host keys needs the network.')).toBeVisible();
  await page.context().setOffline(false);
  await form.getByRole('button', { name: 'Discover Remote Host Key' }).click();
  const original = keyscan(server.port);
  await expect.poll(async () => keyLines((await form.getByLabel('Remote Host Key', { exact: true }).inputValue()).split('\n'))).toEqual(original);
  const listed = form.getByRole('list', { name: 'Remote Host Key fingerprints' });
  for (const fp of fingerprints(original)) await expect(listed).toContainText(fp);
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(form).toBeHidden();
  await expect(row(page, 'SSH Connections', 'offsite')).toContainText(`root@127.0.0.1:${server.port}`);

  // The remote is reinstalled: new host keys. Discovering again shows both.
  await server.regenerateHostKeys();
  const renewed = keyscan(server.port);
  expect(renewed).not.toEqual(original);
  await widget(page, 'SSH Connections').getByRole('button', { name: 'offsite', exact: true }).click();
  await form.getByRole('button', { name: 'Discover Remote Host Key' }).click();
  const warning = form.getByRole('alert').filter({ hasText: 'The remote host key changed.' });
  await expect(warning).toBeVisible();
  const before = warning.getByRole('list', { name: 'Stored host keys' });
  const after = warning.getByRole('list', { name: 'Discovered host keys' });
  for (const fp of fingerprints(original)) await expect(before).toContainText(fp);
  for (const fp of fingerprints(renewed)) await expect(after).toContainText(fp);
  // Nothing is replaced before the user says so.
  expect(keyLines((await form.getByLabel('Remote Host Key', { exact: true }).inputValue()).split('\n'))).toEqual(original);
  await warning.getByRole('button', { name: 'Replace Remote Host Key' }).click();
  await expect(warning).toBeHidden();
  expect(keyLines((await form.getByLabel('Remote Host Key', { exact: true }).inputValue()).split('\n'))).toEqual(renewed);
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(form).toBeHidden();

  await page.reload();
  await page.getByRole('dialog', { name: 'Unlock Keyring' }).getByRole('button', { name: 'Cancel' }).click();
  await widget(page, 'SSH Connections').getByRole('button', { name: 'offsite', exact: true }).click();
  expect(keyLines((await form.getByLabel('Remote Host Key', { exact: true }).inputValue()).split('\n'))).toEqual(renewed);
  expect(problems).toEqual([]);
});

test('a keypair of each type: the downloads pass ssh-keygen and match the listed fingerprint', async ({ page }) => {
  const problems = watchProblems(page);
  await start(page);
  const dir = scratch();
  for (const [type, file] of [['Ed25519', 'ed25519'], ['ECDSA', 'ecdsa'], ['RSA 3072', 'rsa'], ['RSA 4096', 'rsa']]) {
    const name = `key-${type.replace(' ', '')}`;
    const form = await generateKeypair(page, name, type);
    const [privateFile] = await downloads(page, 1, () => form.getByRole('button', { name: 'Download Private Key' }).click());
    const [publicFile] = await downloads(page, 1, () => form.getByRole('button', { name: 'Download Public Key' }).click());
    expect(privateFile.suggestedFilename()).toBe(`${name}_private_key_${file}`);
    expect(publicFile.suggestedFilename()).toBe(`${name}_public_key_${file}`);
    const privatePath = await save(privateFile, dir);
    const publicPath = await save(publicFile, dir);
    const derived = execFileSync('ssh-keygen', ['-y', '-f', privatePath]).toString();
    expect(keyLines([derived])).toEqual(keyLines([readFileSync(publicPath, 'utf8')]));
    await form.getByRole('button', { name: 'Close' }).click();
    const listed = row(page, 'SSH Keypairs', name);
    await expect(listed).toContainText(fingerprintOf(publicPath));
    await expect(listed).toContainText(type === 'ECDSA' ? 'ECDSA P-256' : type);
  }
  expect(problems).toEqual([]);
});

test('import: an encrypted key needs its passphrase; mismatched keys, duplicate and empty names are refused', async ({ page }) => {
  const problems = watchProblems(page);
  await start(page);
  const dir = scratch();
  const encrypted = join(dir, 'encrypted');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'key passphrase', '-C', 'imported', '-f', encrypted]);
  const other = join(dir, 'other');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);

  await widget(page, 'SSH Keypairs').getByRole('button', { name: 'Add' }).click();
  const form = page.getByRole('dialog', { name: 'SSH Keypairs' });
  await expect(form.getByRole('button', { name: 'Save' })).toBeDisabled(); // Name is required
  await form.getByLabel('Name', { exact: true }).fill('imported');
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(form.getByRole('alert')).toHaveText('You must specify a key');

  await form.getByLabel('Import Private Key from a file').setInputFiles(encrypted);
  const passphrase = form.getByLabel('Private Key Passphrase');
  await expect(passphrase).toBeVisible();
  await passphrase.fill('wrong passphrase');
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(form.getByRole('alert')).toContainText('Wrong passphrase for this private key');

  await passphrase.fill('key passphrase');
  await form.getByLabel('Public Key', { exact: true }).fill(readFileSync(`${other}.pub`, 'utf8'));
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(form.getByRole('alert')).toHaveText('Private key and public key do not match');

  await form.getByLabel('Import Public Key from a file').setInputFiles(`${encrypted}.pub`);
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(form.getByRole('status')).toHaveText('SSH Keypair saved');
  // Stored decrypted inside the keyring: the download has no passphrase.
  const [file] = await downloads(page, 1, () => form.getByRole('button', { name: 'Download Private Key' }).click());
  const path = await save(file, dir);
  const derived = execFileSync('ssh-keygen', ['-y', '-P', '', '-f', path]).toString();
  expect(keyLines([derived])).toEqual(keyLines([readFileSync(`${encrypted}.pub`, 'utf8')]));
  await form.getByRole('button', { name: 'Close' }).click();
  await expect(row(page, 'SSH Keypairs', 'imported')).toContainText(
    fingerprintOf(`${encrypted}.pub`),
  );

  // Names are unique among keypairs and connections.
  await widget(page, 'SSH Keypairs').getByRole('button', { name: 'Add' }).click();
  await form.getByLabel('Name', { exact: true }).fill('imported');
  await form.getByLabel('Private Key', { exact: true }).fill(readFileSync(other, 'utf8'));
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(form.getByRole('alert')).toHaveText('Is already in use by another Keychain Credential');
  expect(problems).toEqual([]);
});

test('deleting a keypair in use removes its connections after the warning; reload keeps the rest', async ({ page }) => {
  const problems = watchProblems(page);
  const server = await sshd();
  const hostKey = keyscan(server.port)[0];
  await start(page);
  for (const name of ['shared-key', 'spare-key']) {
    await generateKeypair(page, name, 'Ed25519');
    await page.getByRole('dialog', { name: 'SSH Keypairs' }).getByRole('button', { name: 'Close' }).click();
  }
  for (const [name, key] of [['pull-a', 'shared-key'], ['pull-b', 'shared-key'], ['keep-me', 'spare-key']]) {
    await addManualConnection(page, name, key, '127.0.0.1', server.port, hostKey);
  }

  await widget(page, 'SSH Keypairs').getByRole('button', { name: 'Delete shared-key' }).click();
  const confirm = page.getByRole('dialog', { name: 'Delete SSH Keypair' });
  await expect(confirm.getByRole('alert')).toHaveText(
    'The SSH Keypair shared-key is being used by SSH Connections. Deleting it will also delete all associated SSH Connections.',
  );
  await expect(confirm.getByRole('list', { name: 'Associated SSH Connections' })).toHaveText(/pull-a\s*pull-b/);
  await expect(confirm.getByRole('button', { name: 'Delete' })).toBeDisabled();
  await confirm.getByLabel('Confirm').check();
  await confirm.getByRole('button', { name: 'Delete' }).click();
  await expect(confirm).toBeHidden();
  await expect(widget(page, 'SSH Connections')).not.toContainText('pull-a');
  await expect(widget(page, 'SSH Connections')).not.toContainText('pull-b');

  // Deleting a connection can take its keypair along.
  await widget(page, 'SSH Connections').getByRole('button', { name: 'Delete keep-me' }).click();
  const confirmConnection = page.getByRole('dialog', { name: 'Delete SSH Connection' });
  await expect(confirmConnection.getByLabel('Delete associated SSH Keypair')).not.toBeChecked();
  await confirmConnection.getByRole('button', { name: 'Cancel' }).click();

  // Reload: locked, the lists (names, types, fingerprints) still show.
  await page.reload();
  await page.getByRole('dialog', { name: 'Unlock Keyring' }).getByRole('button', { name: 'Cancel' }).click();
  await expect(widget(page, 'SSH Connections')).toContainText('keep-me');
  await expect(widget(page, 'SSH Connections')).not.toContainText('pull-');
  await expect(widget(page, 'SSH Keypairs')).toContainText('spare-key');
  await expect(widget(page, 'SSH Keypairs')).toContainText('SHA256:');
  await expect(widget(page, 'SSH Keypairs')).not.toContainText('shared-key');

  // Downloading a private key needs the keyring unlocked.
  await widget(page, 'SSH Keypairs').getByRole('button', { name: 'Download spare-key' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'The keyring is locked' })).toBeVisible();
  await unlock(page);

  await widget(page, 'SSH Connections').getByRole('button', { name: 'Delete keep-me' }).click();
  await confirmConnection.getByLabel('Delete associated SSH Keypair').check();
  await confirmConnection.getByLabel('Confirm').check();
  await confirmConnection.getByRole('button', { name: 'Delete' }).click();
  await expect(confirmConnection).toBeHidden();
  await expect(widget(page, 'SSH Keypairs')).not.toContainText('spare-key');
  await page.reload();
  await page.getByRole('dialog', { name: 'Unlock Keyring' }).getByRole('button', { name: 'Cancel' }).click();
  await expect(widget(page, 'SSH Connections')).toContainText('No SSH connections yet.');
  await expect(widget(page, 'SSH Keypairs')).toContainText('No SSH keypairs yet.');
  expect(problems).toEqual([]);
});
