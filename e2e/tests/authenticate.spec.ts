import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { addSystem, createAccount, createKeyring, PASSPHRASE, PASSWORD, uniqueName, watchProblems } from './helpers';
import { API_VERSIONS, PINNED_ENDPOINT, RELEASE_SHOWN, simCall, startSim, totp, type Sim } from './sim';

const ROOT_PASSWORD = 'root-password-on-the-nas';
const TOTP_SECRET = 'JBSWY3DPEHPK3PXP';

const sims: Sim[] = [];
test.afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.stop()));
});

/** How many API keys a simulator holds. */
async function keysOn(page: Page, sim: Sim): Promise<number> {
  return (await simCall(page, sim, ROOT_PASSWORD, 'api_key.query', [])).length;
}

function connected(page: Page, system: string) {
  return page.getByRole('row').filter({ hasText: system }).getByRole('cell').nth(2);
}

for (const apiVersion of API_VERSIONS) test(`TrueNAS ${apiVersion}: authenticate two systems (one with two-factor), then Connected tells the truth`, async ({ page }) => {
  const problems = watchProblems(page);
  const opened: string[] = [];
  page.on('websocket', (ws) => opened.push(ws.url()));
  // Keys the systems hand out, seen on the wire, to search the database for.
  const apiKeys: string[] = [];
  page.on('websocket', (ws) =>
    ws.on('framereceived', ({ payload }) => {
      const key = /"key":"(\d+-[A-Za-z0-9]{64})"/.exec(String(payload));
      if (key) apiKeys.push(key[1]);
    }),
  );
  const nas1 = await startSim(['--api-version', apiVersion, '--hostname', 'nas1', '--user', `root:${ROOT_PASSWORD}`]);
  const nas2 = await startSim(['--api-version', apiVersion, '--hostname', 'nas2', '--user', `root:${ROOT_PASSWORD}:${TOTP_SECRET}`]);
  sims.push(nas1, nas2);

  await createAccount(page, uniqueName('ops'));
  await addSystem(page, 'nas1', nas1.url);
  await addSystem(page, 'nas2', nas2.url);
  await addSystem(page, 'plain-lan', 'http://10.1.2.3');

  // There is no keyring yet: Authenticate has it created first.
  const dialog = page.getByRole('dialog', { name: 'Authenticate' });
  await page.getByRole('button', { name: 'Authenticate plain-lan' }).click();
  await createKeyring(page);
  // An http:// system that is not this machine is refused before any traffic.
  await dialog.getByLabel('Admin Password').fill(ROOT_PASSWORD);
  await dialog.getByRole('button', { name: 'Authenticate' }).click();
  await expect(dialog.getByRole('alert')).toContainText('TrueNAS revokes an API key sent without TLS');
  await dialog.getByRole('button', { name: 'Cancel' }).click();

  await page.getByRole('button', { name: 'Authenticate nas1' }).click();
  await expect(dialog.getByLabel('Admin Username')).toHaveValue('root');
  await expect(dialog.getByLabel('One-Time Password (if necessary)')).toHaveCount(0);
  await dialog.getByLabel('Admin Password').fill('wrong password');
  await dialog.getByRole('button', { name: 'Authenticate' }).click();
  await expect(dialog.getByRole('alert')).toHaveText('Wrong Admin Username or Admin Password.');
  await dialog.getByLabel('Admin Password').fill(ROOT_PASSWORD);
  await dialog.getByRole('button', { name: 'Authenticate' }).click();
  await expect(dialog).toBeHidden();

  // Two-factor: the one-time password is asked for only when the system wants it.
  await page.getByRole('button', { name: 'Authenticate nas2' }).click();
  await dialog.getByLabel('Admin Password').fill(ROOT_PASSWORD);
  await dialog.getByRole('button', { name: 'Authenticate' }).click();
  const otp = dialog.getByLabel('One-Time Password (if necessary)');
  await expect(otp).toBeVisible();
  await otp.fill(totp(TOTP_SECRET));
  await dialog.getByRole('button', { name: 'Authenticate' }).click();
  await expect(dialog).toBeHidden();

  await page.getByRole('link', { name: 'Keyring' }).click();
  const key = (system: string) => page.getByRole('row').filter({ hasText: system }).getByRole('cell').nth(1);
  await expect(key('nas1')).toHaveText('Stored');
  await expect(key('nas2')).toHaveText('Stored');
  await expect(key('plain-lan')).toHaveText('');
  await expect(connected(page, 'nas1')).toHaveText('True');
  await expect(connected(page, 'nas2')).toHaveText('True');
  // Authenticate met each system at /api/current and learned its release;
  // from then on Keyhaven pins that release's endpoint.
  expect(opened).toContain(`ws://127.0.0.1:${nas1.port}/api/current`);
  expect(opened).toContain(`ws://127.0.0.1:${nas1.port}${PINNED_ENDPOINT[apiVersion]}`);
  expect(opened).toContain(`ws://127.0.0.1:${nas2.port}${PINNED_ENDPOINT[apiVersion]}`);

  // The dashboard shows each system's release, as it reported it.
  await page.getByRole('link', { name: 'Back to Dashboard' }).click();
  const versionOf = (name: string) => page.getByRole('row').filter({ hasText: name }).getByRole('cell').nth(2);
  await expect(versionOf('nas1')).toHaveText(RELEASE_SHOWN[apiVersion]);
  await expect(versionOf('nas2')).toHaveText(RELEASE_SHOWN[apiVersion]);
  await expect(versionOf('plain-lan')).toHaveText('');
  await page.getByRole('link', { name: 'Keyring' }).click();

  // Removing a reachable system offers to delete its key there too.
  const nas3 = await startSim(['--api-version', apiVersion, '--hostname', 'nas3', '--user', `root:${ROOT_PASSWORD}`]);
  sims.push(nas3);
  await page.getByRole('link', { name: 'Back to Dashboard' }).click();
  await addSystem(page, 'nas3', nas3.url);
  await page.getByRole('button', { name: 'Authenticate nas3' }).click();
  await dialog.getByLabel('Admin Password').fill(ROOT_PASSWORD);
  await dialog.getByRole('button', { name: 'Authenticate' }).click();
  await expect(dialog).toBeHidden();
  expect(await keysOn(page, nas3)).toBe(1);
  await page.getByRole('button', { name: 'Remove nas3' }).click();
  const remove = page.getByRole('dialog', { name: 'Remove System' });
  await expect(remove.getByLabel('Also delete its API key on the system')).toBeChecked();
  // A double click removes once (the button is disabled while it works).
  await remove.getByRole('button', { name: 'Remove' }).dblclick();
  await expect(remove).toBeHidden();
  await expect(page.getByRole('alert')).toHaveCount(0);
  expect(await keysOn(page, nas3)).toBe(0);
  await page.getByRole('link', { name: 'Keyring' }).click();

  // nas1 goes away; nas2 forgets every key (as if deleted on the system).
  await nas1.stop();
  await nas2.stop();
  const nas2Again = await startSim(['--api-version', apiVersion, '--listen', `127.0.0.1:${nas2.port}`, '--hostname', 'nas2', '--user', `root:${ROOT_PASSWORD}`]);
  sims.push(nas2Again);
  await page.reload();
  const unlock = page.getByRole('dialog', { name: 'Unlock Keyring' });
  await unlock.getByLabel('Passphrase').fill(PASSPHRASE);
  await unlock.getByRole('button', { name: 'OK' }).click();
  await expect(connected(page, 'nas1')).toHaveText('False (unreachable)', { timeout: 30_000 });
  await expect(connected(page, 'nas2')).toHaveText(/^False \(key rejected or revoked/);
  await expect(key('nas1')).toHaveText('Stored');

  // Removing a system takes its key out of the keyring. nas1 is down, so
  // deleting the key there fails, says so, and can be skipped.
  await page.getByRole('link', { name: 'Back to Dashboard' }).click();
  await page.getByRole('button', { name: 'Remove nas1' }).click();
  await remove.getByRole('button', { name: 'Remove' }).click();
  await expect(remove.getByRole('alert')).toContainText('could not be deleted on the system', { timeout: 30_000 });
  await remove.getByLabel('Also delete its API key on the system').uncheck();
  await remove.getByRole('button', { name: 'Remove' }).click();
  await expect(remove).toBeHidden();
  await page.getByRole('link', { name: 'Keyring' }).click();
  await expect(page.getByRole('row').filter({ hasText: 'nas1' })).toHaveCount(0);

  // Reset: every Key cell turns blank; the systems stay.
  await page.getByRole('button', { name: 'Reset' }).click();
  await page.getByRole('dialog', { name: 'Reset Keyring' }).getByRole('button', { name: 'Ok' }).click();
  await expect(key('nas2')).toHaveText('');
  await expect(connected(page, 'nas2')).toHaveText('False (no key stored)');

  // Nothing secret reached the server's database.
  expect(apiKeys.length).toBe(3);
  const dir = process.env.KEYHAVEN_DATA_DIR!;
  const files = readdirSync(dir).filter((f) => f.startsWith('keyhaven.sqlite3'));
  const bytes = Buffer.concat(files.map((f) => readFileSync(join(dir, f))));
  for (const secret of [...apiKeys, ROOT_PASSWORD, PASSPHRASE, PASSWORD]) {
    expect(bytes.includes(Buffer.from(secret)), `${secret.slice(0, 6)}… is in the database`).toBe(false);
  }
  expect(problems.filter((p) => !/WebSocket/.test(p))).toEqual([]);
});
