// Offline use and sync between browsers: the service worker, this
// browser's copy in IndexedDB, queued edits, per-item merges on conflict,
// a server restart and a rolled-back keyring.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { addManualConnection, downloads, generateKeypair, row, unlock, widget } from './credentials';
import { addSystem, createAccount, PASSPHRASE, signIn, uniqueName } from './helpers';
import {
  comeBack, context, hostKey, keepKeypairDialogClosed, later, openBackupCredentials, secondBrowser, server, startAccount,
  stopAfterEach, synced,
} from './own';
import { sql } from './server';

stopAfterEach();

async function openDashboard(page: Page) {
  await page.getByRole('link', { name: 'Back to the dashboard' }).click();
  await expect(page.getByRole('heading', { name: 'Dashboard' })).toBeVisible();
}

test('offline: the app reloads, unlocks, generates and downloads; the edit reaches another browser once online', async ({ page, context: first, browser }) => {
  const user = await startAccount(page);
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  await synced(page);

  await first.setOffline(true);
  await page.reload();
  await expect(page.getByText("You're offline.")).toBeVisible();
  await unlock(page);
  await expect(widget(page, 'SSH Keypairs')).toBeVisible();

  // What needs the network says so.
  await widget(page, 'SSH Connections').getByRole('button', { name: 'Add' }).click();
  const connection = page.getByRole('dialog', { name: 'SSH Connections' });
  await expect(connection.getByRole('button', { name: 'Save' })).toBeDisabled();
  await expect(connection.getByText('Offline: the semi-automatic setup talks to the remote system.')).toBeVisible();
  await connection.getByLabel('Setup Method').selectOption('Manual');
  await expect(connection.getByRole('button', { name: 'Discover Remote Host Key' })).toBeDisabled();
  await connection.getByRole('button', { name: 'Cancel' }).click();

  const form = await generateKeypair(page, 'made-offline', 'Ed25519');
  const [privateFile] = await downloads(page, 1, () => form.getByRole('button', { name: 'Download Private Key' }).click());
  const privateKey = readFileSync((await privateFile.path())!, 'utf8');
  expect(privateKey).toContain('BEGIN OPENSSH PRIVATE KEY');
  await keepKeypairDialogClosed(page);
  await expect(page.getByText('Changes not synced yet')).toBeVisible();
  // The queued change outlives a reload (it is in IndexedDB).
  await page.reload();
  await page.getByRole('dialog', { name: 'Unlock Keyring' }).getByRole('button', { name: 'Cancel' }).click();
  await expect(row(page, 'SSH Keypairs', 'made-offline')).toHaveCount(1);
  await expect(page.getByText('Changes not synced yet')).toBeVisible();

  // Another browser doesn't have it yet; it signs in and unlocks now.
  const other = await (await context(browser)).newPage();
  await signIn(other, user);
  await unlock(other);
  await openBackupCredentials(other);
  await expect(row(other, 'SSH Keypairs', 'made-offline')).toHaveCount(0);

  await first.setOffline(false);
  await synced(page);
  await comeBack(other);
  await expect(row(other, 'SSH Keypairs', 'made-offline')).toHaveCount(1);
  // The private key came along in the keyring.
  const files = await downloads(other, 2, () => widget(other, 'SSH Keypairs').getByRole('button', { name: 'Download made-offline' }).click());
  const otherPrivate = files.find((f) => f.suggestedFilename().includes('private'))!;
  expect(readFileSync((await otherPrivate.path())!, 'utf8')).toBe(privateKey);

  // Signing out takes this browser's copy of the account with it.
  expect(await savedCopies(page)).toBe(1);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  expect(await savedCopies(page)).toBe(0);
});

/** How many accounts this browser keeps a copy of (IndexedDB). */
function savedCopies(page: Page): Promise<number> {
  return page.evaluate(
    () =>
      new Promise<number>((resolve, reject) => {
        const open = indexedDB.open('keyhaven');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const count = open.result.transaction('account').objectStore('account').count();
          count.onsuccess = () => resolve(count.result);
          count.onerror = () => reject(count.error);
        };
      }),
  );
}

test('two browsers adding systems, keypairs and connections in turn for 20 rounds: both, and a fresh sign-in, see everything', async ({ page, browser }) => {
  test.setTimeout(300_000);
  const key = hostKey();
  const user = await startAccount(page);
  const other = await (await context(browser)).newPage();
  await signIn(other, user);
  await unlock(other);
  const browsers: [string, Page][] = [['a', page], ['b', other]];
  const added = { systems: [] as string[], keypairs: [] as string[], connections: [] as string[] };
  const lastKeypair: Record<string, string> = {};
  await openDashboard(page);

  for (let round = 0; round < 20; round++) {
    for (const [who, p] of browsers) {
      const name = `${who}${round}`;
      const onDashboard = await p.getByRole('heading', { name: 'Dashboard' }).isVisible();
      if (round % 3 === 0) {
        if (!onDashboard) await openDashboard(p);
        await addSystem(p, name, `https://${name}.lan`);
        added.systems.push(name);
      } else {
        if (onDashboard) await openBackupCredentials(p);
        if (round % 3 === 1) {
          await generateKeypair(p, name, 'Ed25519');
          await keepKeypairDialogClosed(p);
          lastKeypair[who] = name;
          added.keypairs.push(name);
        } else {
          await addManualConnection(p, name, lastKeypair[who], `10.0.${round}.1`, 22, key);
          added.connections.push(name);
        }
      }
    }
  }

  const fresh = await (await context(browser)).newPage();
  await signIn(fresh, user);
  await unlock(fresh);
  for (const p of [page, other, fresh]) {
    await comeBack(p);
    if (!(await p.getByRole('heading', { name: 'Dashboard' }).isVisible())) await openDashboard(p);
    const systems = p.getByRole('region', { name: 'TrueNAS Systems' }).getByRole('row');
    await expect(systems).toHaveCount(added.systems.length + 1); // and the header
    for (const name of added.systems) await expect(systems.filter({ hasText: `${name}.lan` })).toHaveCount(1);
    await openBackupCredentials(p);
    await expect(widget(p, 'SSH Keypairs').getByRole('listitem')).toHaveCount(added.keypairs.length);
    await expect(widget(p, 'SSH Connections').getByRole('listitem')).toHaveCount(added.connections.length);
    for (const name of added.keypairs) await expect(row(p, 'SSH Keypairs', name)).toHaveCount(1);
    for (const name of added.connections) await expect(row(p, 'SSH Connections', name)).toHaveCount(1);
  }
  // Both browsers' private keys reached the keyring the fresh sign-in unlocked.
  for (const name of [lastKeypair.a, lastKeypair.b]) {
    const files = await downloads(fresh, 2, () => widget(fresh, 'SSH Keypairs').getByRole('button', { name: `Download ${name}` }).click());
    const privateFile = files.find((f) => f.suggestedFilename().includes('private'))!;
    expect(readFileSync((await privateFile.path())!, 'utf8')).toContain('BEGIN OPENSSH PRIVATE KEY');
  }
});

test('the same connection edited in two browsers: the later edit wins and the other browser says so', async ({ page, browser }) => {
  const user = await startAccount(page);
  await generateKeypair(page, 'k', 'Ed25519');
  await keepKeypairDialogClosed(page);
  await addManualConnection(page, 'shared', 'k', '10.0.0.1', 22, hostKey());
  await synced(page);
  const other = await secondBrowser(browser, user);
  await expect(row(other, 'SSH Connections', 'shared')).toContainText('10.0.0.1:22');

  // The other browser opens the connection first: its form holds port 22.
  // (Live sync brings it the edit below at once, but not into an open form.)
  await row(other, 'SSH Connections', 'shared').getByRole('button', { name: 'shared', exact: true }).click();
  const otherForm = other.getByRole('dialog', { name: 'SSH Connections' });
  await expect(otherForm.getByLabel('Port')).toHaveValue('22');

  // First edit: the port, here.
  await row(page, 'SSH Connections', 'shared').getByRole('button', { name: 'shared', exact: true }).click();
  const form = page.getByRole('dialog', { name: 'SSH Connections' });
  await form.getByLabel('Port').fill('2201');
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(form).toBeHidden();
  await synced(page);

  // Later edit: the host, in the other browser's form opened before the first.
  await otherForm.getByLabel('Host', { exact: true }).fill('10.0.0.9');
  await otherForm.getByRole('button', { name: 'Save' }).click();
  await expect(otherForm).toBeHidden();
  await synced(other);

  await comeBack(page);
  const replaced = page.getByRole('alert').filter({ hasText: 'Your edit to' });
  // The other browser's keyring is locked: its edit is not listed in a
  // manifest, so it is not called "a later edit made on another device".
  await expect(replaced).toHaveText(/Your edit to SSH Connection “shared” was replaced by a later version your keyring doesn't confirm/);
  await expect(row(page, 'SSH Connections', 'shared')).toContainText('10.0.0.9:22');
  await expect(row(other, 'SSH Connections', 'shared')).toContainText('10.0.0.9:22');
  await expect(other.getByRole('alert')).toHaveCount(0);
  await replaced.getByRole('button', { name: 'Dismiss' }).click();
  // Here it is shown beside this browser's verified version (Restore mine
  // is offered) until that browser unlocks and seals it.
  const changed = page.getByRole('alert').filter({ hasText: 'SSH Connection “shared” was changed outside your keyring' });
  await expect(changed).toContainText('Host: 10.0.0.1 → 10.0.0.9');
  await expect(changed.getByRole('button', { name: 'Restore mine' })).toBeVisible();
  await other.reload();
  await unlock(other);
  await synced(other);
  await comeBack(page);
  await expect(page.getByRole('alert')).toHaveCount(0);
});

test('a delete in one browser while the other edits another item: the delete holds and the edit survives', async ({ page, browser }) => {
  const user = await startAccount(page);
  for (const name of ['gone', 'kept']) {
    await generateKeypair(page, name, 'Ed25519');
    await keepKeypairDialogClosed(page);
  }
  await synced(page);
  const other = await secondBrowser(browser, user);
  await expect(row(other, 'SSH Keypairs', 'gone')).toHaveCount(1);

  await widget(page, 'SSH Keypairs').getByRole('button', { name: 'Delete gone' }).click();
  const confirm = page.getByRole('dialog', { name: 'Delete SSH Keypair' });
  await confirm.getByLabel('Confirm').check();
  await confirm.getByRole('button', { name: 'Delete' }).click();
  await expect(confirm).toBeHidden();
  await synced(page);

  // The other browser still lists "gone" and renames "kept".
  await row(other, 'SSH Keypairs', 'kept').getByRole('button', { name: 'kept', exact: true }).click();
  const form = other.getByRole('dialog', { name: 'SSH Keypairs' });
  await form.getByLabel('Name', { exact: true }).fill('kept-renamed');
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(form.getByRole('status')).toHaveText('SSH Keypair saved');
  await keepKeypairDialogClosed(other);
  await synced(other);

  for (const p of [page, other]) {
    await comeBack(p);
    await expect(row(p, 'SSH Keypairs', 'kept-renamed')).toHaveCount(1);
    await expect(row(p, 'SSH Keypairs', 'gone')).toHaveCount(0);
    await expect(row(p, 'SSH Keypairs', 'kept')).toHaveCount(0);
  }
});

test('the server restarted mid-test, even killed right after a write: nothing acknowledged is lost', async ({ browser }) => {
  const keyhaven = await server();
  const page = await (await context(browser, keyhaven.url)).newPage();
  const user = uniqueName('restart');
  await createAccount(page, user);
  await addSystem(page, 's1', 'https://s1.lan');
  await addSystem(page, 's2', 'https://s2.lan');
  await synced(page);
  await keyhaven.kill();

  // The server is gone (the browser still thinks it is online).
  await addSystem(page, 's3', 'https://s3.lan');
  await expect(page.getByText('Changes not synced yet')).toBeVisible();
  await expect(page.getByText("The Keyhaven server can't be reached.")).toBeVisible();
  await keyhaven.restart();
  await synced(page); // retried on its own
  await expect(page.getByText("The Keyhaven server can't be reached.")).toHaveCount(0);
  await keyhaven.kill();
  await keyhaven.restart();

  const fresh = await (await context(browser, keyhaven.url)).newPage();
  await signIn(fresh, user);
  const systems = fresh.getByRole('region', { name: 'TrueNAS Systems' });
  for (const name of ['s1', 's2', 's3']) await expect(systems.getByRole('row').filter({ hasText: `${name}.lan` })).toHaveCount(1);
});

test("the passphrase changed on another browser while this one had a change offline: unlocking the server's keyring carries it over", async ({ page, context: first, browser }) => {
  const user = await startAccount(page);
  await synced(page);
  const other = await secondBrowser(browser, user);
  await other.reload();
  await unlock(other);

  // This browser makes a keypair offline; the other changes the passphrase.
  await first.setOffline(true);
  await generateKeypair(page, 'made-offline', 'Ed25519');
  await keepKeypairDialogClosed(page);
  const NEW = 'a passphrase changed elsewhere';
  await other.getByRole('link', { name: 'Back to the dashboard' }).click();
  await other.getByRole('link', { name: 'Keyring' }).click();
  await other.getByRole('button', { name: 'Change Passphrase' }).click();
  const change = other.getByRole('dialog', { name: 'Change Passphrase' });
  await change.getByLabel('New Passphrase').fill(NEW);
  await change.getByLabel('Confirm').fill(NEW);
  await change.getByRole('button', { name: 'Ok' }).click();
  await other.getByRole('dialog', { name: 'Recovery Code' }).getByRole('button', { name: 'Done' }).click({ timeout: 30_000 });
  await synced(other);

  // Back online: the server's keyring is under a key this browser lacks.
  await first.setOffline(false);
  const replaced = page.getByRole('alert').filter({ hasText: 'Keyring replaced on the server' });
  await expect(replaced).toBeVisible();
  await replaced.getByRole('button', { name: "Unlock the server's keyring" }).click();
  const dialog = page.getByRole('dialog', { name: "Unlock the server's keyring" });
  await dialog.getByLabel('Passphrase').fill(PASSPHRASE);
  await dialog.getByRole('button', { name: 'OK' }).click();
  await expect(dialog.getByRole('alert')).toContainText('Wrong passphrase', { timeout: 30_000 });
  await dialog.getByLabel('Passphrase').fill(NEW);
  await dialog.getByRole('button', { name: 'OK' }).click();
  await expect(dialog).toBeHidden({ timeout: 30_000 });
  await expect(replaced).toHaveCount(0);
  await synced(page);

  // The other browser gets the keypair made offline, verified, and its
  // private key; neither browser has anything to warn about.
  await other.getByRole('link', { name: 'Back to Dashboard' }).click();
  await openBackupCredentials(other);
  await comeBack(other);
  await expect(row(other, 'SSH Keypairs', 'made-offline')).toHaveCount(1);
  await downloads(other, 2, () => widget(other, 'SSH Keypairs').getByRole('button', { name: 'Download made-offline' }).click());
  await expect(other.getByRole('alert')).toHaveCount(0);
  await expect(page.getByRole('alert')).toHaveCount(0);

  // A fresh sign-in: only the new passphrase opens the keyring.
  const fresh = await (await context(browser)).newPage();
  await signIn(fresh, user);
  const prompt = fresh.getByRole('dialog', { name: 'Unlock Keyring' });
  await prompt.getByLabel('Passphrase').fill(PASSPHRASE);
  await prompt.getByRole('button', { name: 'OK' }).click();
  await expect(prompt.getByRole('alert')).toContainText('Wrong passphrase', { timeout: 30_000 });
  await unlock(fresh, NEW);
});

test("two tabs offline: neither writes over the other's unsynced edit, and closing one loses nothing", async ({ browser }) => {
  const keyhaven = await server();
  const tabs = await context(browser, keyhaven.url);
  const a = await tabs.newPage();
  const user = uniqueName('tabs');
  await createAccount(a, user);
  const b = await tabs.newPage();
  await b.goto('/'); // the same browser: already signed in
  await expect(b.getByRole('heading', { name: 'Dashboard' })).toBeVisible();
  for (const tab of [a, b]) await tab.waitForFunction(() => navigator.serviceWorker.controller !== null);

  await tabs.setOffline(true);
  await addSystem(a, 'from-a', 'https://a.lan');
  await addSystem(b, 'from-b', 'https://b.lan');
  const listed = (tab: Page, name: string) =>
    tab.getByRole('region', { name: 'TrueNAS Systems' }).getByRole('row').filter({ hasText: `${name}.lan` });
  // Each tab takes the other's edit in at once.
  await expect(listed(a, 'b')).toHaveCount(1);
  await expect(listed(b, 'a')).toHaveCount(1);

  // The tab that made the first edit closes before anything synced.
  await a.close();
  await b.reload();
  for (const name of ['a', 'b']) await expect(listed(b, name)).toHaveCount(1);
  await expect(b.getByText('Changes not synced yet')).toBeVisible();

  await tabs.setOffline(false);
  await synced(b);
  const fresh = await (await context(browser, keyhaven.url)).newPage();
  await signIn(fresh, user);
  for (const name of ['a', 'b']) await expect(listed(fresh, name)).toHaveCount(1);
});

test('an older keyring replayed into the server database is refused with a warning; the newer copy is kept', async ({ browser }) => {
  const keyhaven = await server();
  const page = await (await context(browser, keyhaven.url)).newPage();
  await startAccount(page);
  await generateKeypair(page, 'first', 'Ed25519');
  await keepKeypairDialogClosed(page);
  await synced(page);
  const old = sql(keyhaven, "SELECT hex(data) || '|' || tag FROM blobs WHERE name = 'keyring'");
  await generateKeypair(page, 'second', 'Ed25519');
  await keepKeypairDialogClosed(page);
  await synced(page);

  const [data, tag] = old.split('|');
  sql(keyhaven, `UPDATE blobs SET data = X'${data}', tag = '${tag}' WHERE name = 'keyring'`);
  await comeBack(page);
  const warning = page.getByRole('alert').filter({ hasText: 'Possible rollback' });
  await expect(warning).toContainText(/older keyring \(revision \d+\) than this browser has already seen/);

  // Reloaded, the app still refuses it, unlocks its own newer copy, and
  // the newer keypair's private key is there.
  await page.reload();
  await unlock(page);
  await expect(warning).toBeVisible();
  const files = await downloads(page, 2, () => widget(page, 'SSH Keypairs').getByRole('button', { name: 'Download second' }).click());
  expect(files.map((f) => f.suggestedFilename()).sort()).toEqual(['second_private_key_ed25519', 'second_public_key_ed25519']);
  // Nothing was written over the replayed copy either.
  expect(sql(keyhaven, "SELECT hex(data) || '|' || tag FROM blobs WHERE name = 'keyring'")).toBe(old);
});

test('a new release: the user is told, the page moves to it only when they agree, and a tab still on the old release keeps working', async ({ browser }) => {
  const dist = mkdtempSync(join(tmpdir(), 'keyhaven-e2e-dist-'));
  later(() => rmSync(dist, { recursive: true, force: true }));
  cpSync(process.env.KEYHAVEN_DIST!, dist, { recursive: true });
  const keyhaven = await server({ dist });
  const browserContext = await context(browser, keyhaven.url);
  const page = await browserContext.newPage();
  await createAccount(page, uniqueName('release'));
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  const cacheNames = async () => (await page.evaluate(() => caches.keys())).sort();
  const [current] = await cacheNames();
  expect(current).toMatch(/^keyhaven-[0-9a-f]{16}$/);
  // Another tab on this release, whose Add System dialog (a piece of its
  // own, loaded when first opened) has not been opened yet.
  const oldTab = await browserContext.newPage();
  await oldTab.goto('/');
  await expect(oldTab.getByRole('heading', { name: 'Dashboard' })).toBeVisible();

  // Release a new version: a changed service worker, and pieces under new
  // names (content-hashed): the old Add System piece is gone from the server.
  const worker = join(dist, 'sw.js');
  const piece = readdirSync(dist).find((f) => /^split_add_system_dialog-[0-9a-f]{16}\.wasm$/.test(f))!;
  expect(piece).toBeTruthy();
  let releases = 0;
  const release = (from: string, to: string, dropped = '') => {
    writeFileSync(worker, readFileSync(worker, 'utf8').replace(`const VERSION = "${from}";`, `const VERSION = "${to}";`).replace(dropped, ''));
    rmSync(`${worker}.br`, { force: true });
    rmSync(`${worker}.gz`, { force: true });
    // Last-Modified has one-second resolution, and this copy may be less
    // than a second old; a real release lands later than the one it replaces.
    releases += 1;
    const releasedAt = new Date(Date.now() + releases * 5_000);
    utimesSync(worker, releasedAt, releasedAt);
  };
  const version = current.replace('keyhaven-', '');
  release(version, `${version}-next`, `"/${piece}",`);
  for (const gone of [piece, `${piece}.br`, `${piece}.gz`]) rmSync(join(dist, gone), { force: true });
  expect((await fetch(`${keyhaven.url}/${piece}`)).status).toBe(404);
  // The browser's HTTP cache may still hold it (the service worker's install
  // fetched every file), but nothing makes it keep it.
  await (await browserContext.newCDPSession(page)).send('Network.clearBrowserCache');

  await page.reload();
  const banner = page.getByText('A new version of Keyhaven is ready.');
  await expect(banner).toBeVisible();
  // Still on the old release, which stays cached until the user agrees.
  expect(await cacheNames()).toEqual([current, `${current}-next`].sort());
  await Promise.all([page.waitForEvent('load'), banner.getByRole('button', { name: 'Reload' }).click()]);
  await expect(page.getByRole('heading', { name: 'Dashboard' })).toBeVisible();
  await expect(page.getByText('A new version of Keyhaven is ready.')).toHaveCount(0);
  // The replaced release's cache stays for tabs still running it ...
  expect(await cacheNames()).toEqual([current, `${current}-next`].sort());
  // ... such as this one: its Add System comes from that cache.
  await addSystem(oldTab, 'from the old tab', 'https://old-tab.example');
  await expect(oldTab.getByRole('cell', { name: 'from the old tab', exact: true })).toBeVisible();

  // The release after that drops it.
  release(`${version}-next`, `${version}-next-next`);
  await page.reload();
  await Promise.all([page.waitForEvent('load'), page.getByText('A new version of Keyhaven is ready.').getByRole('button', { name: 'Reload' }).click()]);
  await expect.poll(cacheNames).toEqual([`${current}-next`, `${current}-next-next`].sort());
});
