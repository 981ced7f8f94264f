// The Backup Credentials screen, as the tests drive it: its two widgets,
// their rows, and the steps several tests share.
import { expect, type Download, type Locator, type Page } from '@playwright/test';
import { PASSPHRASE } from './helpers';

export function widget(page: Page, name: 'SSH Connections' | 'SSH Keypairs'): Locator {
  return page.getByRole('region', { name });
}

/** The list item of a widget that names `item`. */
export function row(page: Page, name: 'SSH Connections' | 'SSH Keypairs', item: string): Locator {
  return widget(page, name).getByRole('listitem').filter({ has: page.getByRole('button', { name: item, exact: true }) });
}

/** Runs `action` and returns the `count` downloads it started. */
export async function downloads(page: Page, count: number, action: () => Promise<void>): Promise<Download[]> {
  const seen: Download[] = [];
  const listener = (d: Download) => seen.push(d);
  page.on('download', listener);
  await action();
  await expect.poll(() => seen.length).toBe(count);
  page.off('download', listener);
  return seen;
}

export async function generateKeypair(page: Page, name: string, type: string) {
  await widget(page, 'SSH Keypairs').getByRole('button', { name: 'Add' }).click();
  const form = page.getByRole('dialog', { name: 'SSH Keypairs' });
  await form.getByLabel('Name', { exact: true }).fill(name);
  await form.getByLabel('Key Type').selectOption(type);
  await form.getByRole('button', { name: 'Generate Keypair' }).click();
  await expect(form.getByLabel('Private Key', { exact: true })).toHaveValue(/BEGIN OPENSSH PRIVATE KEY/, { timeout: 30_000 });
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(form.getByRole('status')).toHaveText('SSH Keypair saved');
  return form;
}

/** A manual SSH connection using a saved keypair. */
export async function addManualConnection(page: Page, name: string, key: string, host: string, port: number, hostKey: string) {
  await widget(page, 'SSH Connections').getByRole('button', { name: 'Add' }).click();
  const form = page.getByRole('dialog', { name: 'SSH Connections' });
  await form.getByLabel('Name', { exact: true }).fill(name);
  await form.getByLabel('Setup Method').selectOption('Manual');
  await form.getByLabel('Host', { exact: true }).fill(host);
  await form.getByLabel('Port').fill(String(port));
  await form.getByLabel('Private Key').selectOption({ label: key });
  await form.getByLabel('Remote Host Key', { exact: true }).fill(hostKey);
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(form).toBeHidden();
}

/** Answers the Unlock Keyring dialog (already open). */
export async function unlock(page: Page, passphrase = PASSPHRASE) {
  const dialog = page.getByRole('dialog', { name: 'Unlock Keyring' });
  await dialog.getByLabel('Passphrase').fill(passphrase);
  await dialog.getByRole('button', { name: 'OK' }).click();
  await expect(dialog).toBeHidden({ timeout: 30_000 });
}
