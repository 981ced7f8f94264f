// What a test starts of its own — Keyhaven servers (to kill, restart or
// edit the database of), simulators, browser contexts, scratch folders —
// and the steps the sync and hostile-server specs share. Everything is
// stopped after each test: call `stopAfterEach()` once in a spec file.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { widget } from './credentials';
import { createAccount, createKeyring, signIn, uniqueName } from './helpers';
import { startServer, type Server, type ServerOptions } from './server';
import { startSim, type Sim } from './sim';

const cleanups: (() => Promise<void> | void)[] = [];

export function stopAfterEach() {
  test.afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
}

export function later(cleanup: () => Promise<void> | void) {
  cleanups.push(cleanup);
}

export async function server(options: ServerOptions = {}): Promise<Server> {
  const started = await startServer(options);
  later(async () => {
    await started.kill();
    rmSync(started.dataDir, { recursive: true, force: true });
  });
  return started;
}

export async function sim(args: string[]): Promise<Sim> {
  const started = await startSim(args);
  later(() => started.stop());
  return started;
}

export async function context(browser: Browser, baseURL?: string): Promise<BrowserContext> {
  const created = await browser.newContext(baseURL ? { baseURL } : {});
  later(() => created.close());
  return created;
}

export function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'keyhaven-e2e-scratch-'));
  later(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A new SSH public key line (any valid key will do: a host key, or an
 * attacker's key). */
export function hostKey(): string {
  const dir = scratch();
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'key')]);
  return readFileSync(join(dir, 'key.pub'), 'utf8').trim();
}

/** What the browser does when the user comes back to the window (headless
 * windows never get the focus event on their own). */
export async function comeBack(page: Page) {
  await page.evaluate(() => window.dispatchEvent(new Event('focus')));
}

export async function synced(page: Page) {
  await expect(page.getByText(/^Synced \d/)).toBeVisible();
}

export async function openBackupCredentials(page: Page) {
  await page.getByRole('link', { name: 'Backup Credentials' }).click();
  await expect(page.getByRole('heading', { name: 'Backup Credentials', level: 1 })).toBeVisible();
}

/** A new account with a keyring, on Backup Credentials. */
export async function startAccount(page: Page, prefix = 'sync'): Promise<string> {
  const user = uniqueName(prefix);
  await createAccount(page, user);
  await openBackupCredentials(page);
  await widget(page, 'SSH Keypairs').getByRole('button', { name: 'Add' }).click();
  await createKeyring(page);
  await keepKeypairDialogClosed(page);
  return user;
}

/** Signs in a second browser, leaving the keyring locked, on Backup Credentials. */
export async function secondBrowser(browser: Browser, user: string, baseURL?: string): Promise<Page> {
  const page = await (await context(browser, baseURL)).newPage();
  await signIn(page, user);
  await page.getByRole('dialog', { name: 'Unlock Keyring' }).getByRole('button', { name: 'Cancel' }).click();
  await openBackupCredentials(page);
  return page;
}

export async function keepKeypairDialogClosed(page: Page) {
  const form = page.getByRole('dialog', { name: 'SSH Keypairs' });
  await form.getByRole('button', { name: 'Close' }).click();
  await expect(form).toBeHidden();
}
