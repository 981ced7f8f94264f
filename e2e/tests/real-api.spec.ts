// What a real TrueNAS would refuse or misread, against the simulator as
// strict as TrueNAS (every request checked against the release's own
// schemas): a rename that keeps the private key, host keys that fit the
// 1024-character field, and pairing two systems of the keyring through
// public methods on a pinned, versioned endpoint.
import { expect, test, type Page } from '@playwright/test';
import { generateKeypair, row, widget } from './credentials';
import { fleet, keychainOf, ME, ROOT_PASSWORD, scope, system } from './fleet';
import { watchProblems } from './helpers';
import { stopAfterEach } from './own';
import { API_VERSIONS, PINNED_ENDPOINT, simCall, type Sim } from './sim';
import { keyLines } from './sshd';

stopAfterEach();

const OTHER_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBlw2Y+hKsEBzQ2P4Y5oS6yEfT9eYbcwnRz6Ps2HLtTG laptop';

/** Generate Keypair in the SSH Keypairs form of the scope shown, and Save. */
async function generateOnSystem(page: Page, name: string) {
  await widget(page, 'SSH Keypairs').getByRole('button', { name: 'Add' }).click();
  const form = page.getByRole('dialog', { name: 'SSH Keypairs' });
  await form.getByLabel('Name', { exact: true }).fill(name);
  await form.getByRole('button', { name: 'Generate Keypair' }).click();
  await expect(form.getByLabel('Private Key', { exact: true })).toHaveValue(/BEGIN OPENSSH PRIVATE KEY/);
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(form).toBeHidden();
}

/** Has the system log in over SSH with one of its connections (the API's
 * "test connection"): the remote's datasets, or the error. */
async function listDatasets(page: Page, sim: Sim, connection: number): Promise<any> {
  return simCall(page, sim, ROOT_PASSWORD, 'replication.list_datasets', ['SSH', connection]);
}

for (const apiVersion of API_VERSIONS) test.describe(`TrueNAS ${apiVersion}`, () => {

test('renaming a keypair on a system keeps its private key; a keypair of a public key only says so', async ({ page }) => {
  const problems = watchProblems(page);
  const a = await system('nasA', apiVersion);
  await fleet(page, [['nasA', a.sim]]);
  await scope(page).selectOption({ label: 'nasA' });

  // Generated here, created on A with its private key.
  await generateOnSystem(page, 'repl');
  const form = page.getByRole('dialog', { name: 'SSH Keypairs' });
  const created = (await keychainOf(page, a.sim)).find((c) => c.name === 'repl');
  expect(created.attributes.private_key).toContain('BEGIN OPENSSH PRIVATE KEY');

  // Renamed, its Private Key field cleared: the system still holds the key.
  await widget(page, 'SSH Keypairs').getByRole('button', { name: 'repl', exact: true }).click();
  await form.getByLabel('Name', { exact: true }).fill('repl-2026');
  await form.getByLabel('Private Key', { exact: true }).fill('');
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(form).toBeHidden();
  const renamed = (await keychainOf(page, a.sim)).find((c) => c.id === created.id);
  expect(renamed.name).toBe('repl-2026');
  expect(renamed.attributes.private_key).toBe(created.attributes.private_key);
  expect(renamed.attributes.public_key).toBe(created.attributes.public_key);

  // A keypair of a public key only, made on the system: listed as such, its
  // form says so, and a rename leaves it as it was.
  await simCall(page, a.sim, ROOT_PASSWORD, 'keychaincredential.create', [
    { name: 'theirs', type: 'SSH_KEY_PAIR', attributes: { public_key: OTHER_KEY } },
  ]);
  const publicOnly = (await keychainOf(page, a.sim)).find((c) => c.name === 'theirs');
  expect(publicOnly.attributes.private_key).toBeNull();
  await scope(page).selectOption({ label: 'Keyhaven' });
  await scope(page).selectOption({ label: 'nasA' });
  await expect(row(page, 'SSH Keypairs', 'theirs')).toContainText('(public key only)');
  await widget(page, 'SSH Keypairs').getByRole('button', { name: 'theirs', exact: true }).click();
  await expect(form.getByRole('status')).toContainText('This keypair holds only a public key on nasA');
  await form.getByLabel('Name', { exact: true }).fill('theirs-renamed');
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(form).toBeHidden();
  const after = (await keychainOf(page, a.sim)).find((c) => c.id === publicOnly.id);
  expect(after.name).toBe('theirs-renamed');
  expect(after.attributes).toEqual(publicOnly.attributes);
  expect(problems).toEqual([]);
});

test('pairing two systems of the keyring: public methods on the pinned endpoint, the remote\'s other authorized keys kept, and the system logs in with it', async ({ page }) => {
  const problems = watchProblems(page);
  const opened: string[] = [];
  page.on('websocket', (ws) => opened.push(ws.url()));
  const a = await system('nasA', apiVersion);
  const b = await system('nasB', apiVersion);
  // B's user already trusts two other keys, one with options.
  const others = [
    OTHER_KEY,
    'restrict,from="10.0.0.0/8" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMt2Xmf3SGi1gTxbZFz1QTWbN3ObzMZl6wU2VKqJJX0F backup',
  ];
  const [user] = await simCall(page, b.sim, ROOT_PASSWORD, 'user.query', [[['username', '=', ME]]]);
  await simCall(page, b.sim, ROOT_PASSWORD, 'user.update', [user.id, { sshpubkey: `${others.join('\n')}\n` }]);
  await fleet(page, [['nasA', a.sim], ['nasB', b.sim]]);

  await scope(page).selectOption({ label: 'nasA' });
  await generateOnSystem(page, 'a-key');

  const before = opened.length;
  await widget(page, 'SSH Connections').getByRole('button', { name: 'Add' }).click();
  const form = page.getByRole('dialog', { name: 'SSH Connections' });
  await form.getByLabel('Name', { exact: true }).fill('a-to-b');
  await form.getByLabel('TrueNAS URL').fill(b.sim.url);
  await expect(form.getByRole('status')).toContainText('nasB is in your keyring');
  await form.getByLabel('Username', { exact: true }).fill(ME);
  await form.getByLabel('Private Key').selectOption({ label: 'a-key' });
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(form).toBeHidden({ timeout: 30_000 });

  // Both systems were spoken to on their pinned endpoint only (where the
  // private ssh_pair does not exist).
  const during = opened.slice(before);
  expect(during).toContain(`ws://127.0.0.1:${b.sim.port}${PINNED_ENDPOINT[apiVersion]}`);
  expect(during.filter((url) => url.endsWith('/api/current'))).toEqual([]);

  // B's authorized keys: the two it had, as they were, and A's key.
  const aKey = (await keychainOf(page, a.sim)).find((k) => k.name === 'a-key');
  const [paired] = await simCall(page, b.sim, ROOT_PASSWORD, 'user.query', [[['username', '=', ME]]]);
  const lines = paired.sshpubkey.trim().split('\n');
  expect(lines.slice(0, 2)).toEqual(others);
  expect(lines).toHaveLength(3);
  expect(lines[2].split(' ').slice(0, 2)).toEqual(aKey.attributes.public_key.split(' ').slice(0, 2));

  // A's connection holds B's port and host keys (seen by A, confirmed by
  // B), and A logs in to B with it over real SSH.
  const connection = (await keychainOf(page, a.sim)).find((c) => c.name === 'a-to-b');
  expect(connection.attributes.port).toBe(b.sshd.port);
  expect(keyLines(connection.attributes.remote_host_key.split('\n'))).toHaveLength(3);
  expect(await listDatasets(page, a.sim, connection.id)).toEqual(['tank', 'tank/replica']);
  expect(problems).toEqual([]);
});

});

test('a remote whose host keys exceed TrueNAS\'s 1024 characters: the keys that fit are stored, the rest named, and the connection works', async ({ page }) => {
  const problems = watchProblems(page);
  const a = await system('nasA', '25.04.2');
  // Not in the keyring: Ed25519, ECDSA P-521 and RSA 4096 host keys, 1058
  // characters as TrueNAS would store them.
  const wide = await system('nasW', '26.0', undefined, 'wide');
  await fleet(page, [['nasA', a.sim]]);
  await generateKeypair(page, 'repl', 'Ed25519');
  await page.getByRole('dialog', { name: 'SSH Keypairs' }).getByRole('button', { name: 'Close' }).click();

  // Semi-automatic from the browser: W reports its three host keys; two fit.
  await widget(page, 'SSH Connections').getByRole('button', { name: 'Add' }).click();
  const form = page.getByRole('dialog', { name: 'SSH Connections' });
  await form.getByLabel('Name', { exact: true }).fill('to-nasW');
  await form.getByLabel('TrueNAS URL').fill(wide.sim.url);
  await form.getByLabel('Admin Password').fill(ROOT_PASSWORD);
  await form.getByLabel('Username', { exact: true }).fill(ME);
  await form.getByLabel('Private Key').selectOption({ label: 'repl' });
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(form).toBeHidden({ timeout: 30_000 });
  const saved = page.getByRole('status').filter({ hasText: 'SSH Connection saved' });
  await expect(saved).toContainText("Left out to fit TrueNAS's 1024-character limit for Remote Host Key: RSA 4096 SHA256:");

  // The form's Discover says the same before anything is saved.
  await widget(page, 'SSH Connections').getByRole('button', { name: 'Add' }).click();
  await form.getByLabel('Name', { exact: true }).fill('manual-W');
  await form.getByLabel('Setup Method').selectOption('Manual');
  await form.getByLabel('Host', { exact: true }).fill('127.0.0.1');
  await form.getByLabel('Port').fill(String(wide.sshd.port));
  await form.getByRole('button', { name: 'Discover Remote Host Key' }).click();
  await expect(form.getByRole('status').filter({ hasText: 'Left out to fit' })).toContainText('RSA 4096 SHA256:', { timeout: 30_000 });
  const field = (await form.getByLabel('Remote Host Key', { exact: true }).inputValue()).split('\n');
  expect(field.map((l) => l.split(' ')[0])).toEqual(['ssh-ed25519', 'ecdsa-sha2-nistp521']);
  await form.getByRole('button', { name: 'Cancel' }).click();

  // Installed on A (which checks the 1024 characters as TrueNAS does), the
  // connection logs in to W from A over real SSH.
  await row(page, 'SSH Connections', 'to-nasW').getByRole('button', { name: 'Install to-nasW on systems' }).click();
  const install = page.getByRole('dialog', { name: 'Install on Systems' });
  await install.getByLabel('nasA').check();
  await install.getByRole('button', { name: 'Review' }).click();
  await install.getByRole('button', { name: 'Install' }).click();
  await expect(install.getByRole('listitem').filter({ hasText: 'nasA' })).toContainText('Installed', { timeout: 30_000 });
  await install.getByRole('button', { name: 'Close' }).click();
  const connection = (await keychainOf(page, a.sim)).find((c) => c.name === 'to-nasW');
  expect(connection.attributes.remote_host_key.length).toBeLessThanOrEqual(1024);
  expect(connection.attributes.remote_host_key).not.toContain('ssh-rsa');
  expect(await listDatasets(page, a.sim, connection.id)).toEqual(['tank', 'tank/replica']);
  expect(problems).toEqual([]);
});
