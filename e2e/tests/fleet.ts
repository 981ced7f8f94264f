// A fleet of simulated TrueNAS systems, each with a real sshd, in an
// account whose keyring holds an API key for each: what the specs of
// systems' own credentials share.
import { userInfo } from 'node:os';
import { expect, type Page } from '@playwright/test';
import { addSystem, createAccount, createKeyring, uniqueName } from './helpers';
import { later } from './own';
import { type ApiVersion, simCall, startSim, totp, type Sim } from './sim';
import { type HostKeySizes, startSshd, type Sshd } from './sshd';

export const ROOT_PASSWORD = 'root-password-on-the-nas';
// The sshds log in the user running the tests; the simulators know it too.
export const ME = userInfo().username;

/** A simulated TrueNAS system of a release, with a real sshd of its own. */
export async function system(
  hostname: string,
  apiVersion: ApiVersion,
  totpSecret?: string,
  sizes: HostKeySizes = 'default',
): Promise<{ sim: Sim; sshd: Sshd }> {
  const sshd = await startSshd(sizes);
  later(() => sshd.stop());
  const root = totpSecret ? `root:${ROOT_PASSWORD}:${totpSecret}` : `root:${ROOT_PASSWORD}`;
  const users = ME === 'root' ? [root] : [root, `${ME}:unused`];
  const sim = await startSim([
    '--api-version', apiVersion,
    '--hostname', hostname,
    ...users.flatMap((u) => ['--user', u]),
    '--ssh-port', String(sshd.port),
    ...sshd.hostKeyFiles.flatMap((f) => ['--host-key', f]),
    '--authorized-keys', sshd.authorizedKeys,
  ]);
  later(() => sim.stop());
  return { sim, sshd };
}

/** Authenticates a system of the keyring on the dashboard. */
export async function authenticate(page: Page, name: string, otpSecret?: string) {
  await page.getByRole('button', { name: `Authenticate ${name}` }).click();
  const dialog = page.getByRole('dialog', { name: 'Authenticate' });
  await dialog.getByLabel('Admin Password').fill(ROOT_PASSWORD);
  await dialog.getByRole('button', { name: 'Authenticate' }).click();
  if (otpSecret) {
    await dialog.getByLabel('One-Time Password (if necessary)').fill(totp(otpSecret));
    await dialog.getByRole('button', { name: 'Authenticate' }).click();
  }
  await expect(dialog).toBeHidden({ timeout: 30_000 });
}

/** An account with a keyring and the systems, each authenticated; ends on
 * Backup Credentials. */
export async function fleet(page: Page, systems: [string, Sim, string?][]) {
  await createAccount(page, uniqueName('fleet'));
  for (const [name, sim] of systems) await addSystem(page, name, sim.url);
  await page.getByRole('button', { name: `Authenticate ${systems[0][0]}` }).click();
  await createKeyring(page);
  await page.getByRole('dialog', { name: 'Authenticate' }).getByRole('button', { name: 'Cancel' }).click();
  for (const [name, , otp] of systems) await authenticate(page, name, otp);
  await page.getByRole('link', { name: 'Backup Credentials' }).click();
  await expect(page.getByRole('heading', { name: 'Backup Credentials', level: 1 })).toBeVisible();
}

/** A system's keychain, read over its own API. */
export async function keychainOf(page: Page, sim: Sim): Promise<any[]> {
  return simCall(page, sim, ROOT_PASSWORD, 'keychaincredential.query', [[]]);
}

/** The "Credentials on" scope of Backup Credentials. */
export function scope(page: Page) {
  return page.getByLabel('Credentials on');
}
