// A hostile Keyhaven server: the tests edit the server's SQLite file the
// way an attacker who controls it would, and check that the browser sends
// no secret where the user did not choose, authorizes no foreign key,
// tells the user, and never loses the keyring.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { expect, test, type Browser, type Page } from '@playwright/test';
import { addManualConnection, downloads, generateKeypair, row, unlock, widget } from './credentials';
import { addSystem, createAccount, createKeyring, signIn, uniqueName } from './helpers';
import {
  comeBack, context, hostKey, keepKeypairDialogClosed, later, openBackupCredentials, server, sim, startAccount,
  stopAfterEach, synced,
} from './own';
import { sql, type Server } from './server';
import { simCall } from './sim';
import { startSshd } from './sshd';

stopAfterEach();

const ROOT_PASSWORD = 'root-password-on-the-nas';
const ME = userInfo().username;

function accountOf(user: string): string {
  return `(SELECT id FROM accounts WHERE username = '${user}')`;
}

/** A blob as the server stores it (hex data and tag). */
function rawBlob(keyhaven: Server, user: string, name: string): string {
  return sql(keyhaven, `SELECT hex(data) || '|' || tag FROM blobs WHERE name = '${name}' AND account_id = ${accountOf(user)}`);
}

/** Writes a blob's bytes with a fresh tag, as a server serving its own
 * version would. */
function writeBlob(keyhaven: Server, user: string, name: string, hex: string) {
  const tag = `hostile${Date.now().toString(36)}${Math.random().toString(36).slice(2)}`;
  sql(keyhaven, `UPDATE blobs SET data = X'${hex}', tag = '${tag}' WHERE name = '${name}' AND account_id = ${accountOf(user)}`);
}

const KINDS = { systems: 1, keypairs: 2, connections: 3 } as const;

/** The part of the metadata an item is stored in (core's `part_of`). */
function partOf(list: keyof typeof KINDS, id: string): number {
  return createHash('sha256').update(Buffer.from([KINDS[list]])).update(id).digest()[0];
}

function blobJson(keyhaven: Server, user: string, name: string): any {
  const [hex] = rawBlob(keyhaven, user, name).split('|');
  return JSON.parse(Buffer.from(hex, 'hex').toString('utf8'));
}

/** The account's metadata document whole, assembled from its top blob and
 * its parts as the app stores them (`_parts`: each part as stored). */
function readMetadata(keyhaven: Server, user: string): any {
  const top = blobJson(keyhaven, user, 'metadata');
  const whole: any = { systems: {}, keypairs: {}, connections: {}, _top: top, _parts: {} };
  for (const [part, name] of Object.entries(top.parts as Record<string, string>)) {
    const stored = blobJson(keyhaven, user, name);
    whole._parts[part] = stored;
    // Copies: an edit must not change the part as read (compared below).
    for (const list of Object.keys(KINDS)) Object.assign(whole[list], structuredClone(stored[list] ?? {}));
  }
  return whole;
}

/** Rewrites the account's metadata document; `edit` changes it in place.
 * Each part the edit changed is stored under a new name and the top names
 * it (the top's manifest kept), as a server serving its own version would. */
function editMetadata(keyhaven: Server, user: string, edit: (metadata: any) => void) {
  const metadata = readMetadata(keyhaven, user);
  edit(metadata);
  const parts: Record<string, any> = {};
  for (const list of Object.keys(KINDS) as (keyof typeof KINDS)[]) {
    for (const [id, item] of Object.entries(metadata[list])) {
      const part = partOf(list, id);
      parts[part] ??= { systems: {}, keypairs: {}, connections: {}, manifest: metadata._parts[part]?.manifest };
      parts[part][list][id] = item;
    }
  }
  const top = metadata._top;
  for (const [part, stored] of Object.entries(parts)) {
    const before = metadata._parts[part];
    const same = before && JSON.stringify(['systems', 'keypairs', 'connections'].map((l) => before[l] ?? {}))
      === JSON.stringify(['systems', 'keypairs', 'connections'].map((l) => stored[l]));
    if (same) continue;
    if (stored.manifest === undefined) delete stored.manifest;
    const name = `metadata.${Number(part).toString(16).padStart(2, '0')}.hostile${Math.random().toString(36).slice(2, 10)}`;
    insertBlob(keyhaven, user, name, Buffer.from(JSON.stringify(stored)).toString('hex'));
    top.parts[part] = name;
  }
  writeBlob(keyhaven, user, 'metadata', Buffer.from(JSON.stringify(top)).toString('hex'));
}

/** Stores a blob the account didn't have. */
function insertBlob(keyhaven: Server, user: string, name: string, hex: string) {
  sql(keyhaven, `INSERT OR REPLACE INTO blobs (account_id, name, tag, data, updated_ms) VALUES (${accountOf(user)}, '${name}', 'hostile${Date.now().toString(36)}', X'${hex}', 0)`);
}

/** Every blob of the account's metadata (the top and its parts) as stored
 * now, for [`replayMetadata`]: a server may keep what the app deleted. */
function keepMetadata(keyhaven: Server, user: string): [string, string][] {
  const rows = sql(keyhaven, `SELECT name || '|' || hex(data) FROM blobs WHERE name LIKE 'metadata%' AND account_id = ${accountOf(user)}`);
  return rows.split('\n').map((row) => row.split('|') as [string, string]);
}

/** Serves the metadata kept by [`keepMetadata`] again. */
function replayMetadata(keyhaven: Server, user: string, kept: [string, string][]) {
  for (const [name, hex] of kept) {
    if (name === 'metadata') writeBlob(keyhaven, user, name, hex);
    else insertBlob(keyhaven, user, name, hex);
  }
}

/** The attacker marks the item called `name` deleted (no seal, since a
 * tombstone has none), later than any edit. */
function forgeDeletion(keyhaven: Server, user: string, list: 'systems' | 'keypairs' | 'connections', name: string) {
  editMetadata(keyhaven, user, (m) => {
    const found = item(m[list], name);
    delete found.value;
    delete found.seal;
    found.updated += 60_000;
  });
}

/** The item called `name` in one of the document's maps. */
function item(map: Record<string, any>, name: string): any {
  const found = Object.values(map).find((i: any) => i.value?.name === name);
  if (!found) throw new Error(`no item ${name}`);
  return found;
}

/** Whether the stored keyring (hex) holds the private key of the keypair
 * called `name` (entry ids are readable; values are not). */
function keyringHolds(keyhaven: Server, user: string, hex: string, name: string): boolean {
  const id = Object.entries(readMetadata(keyhaven, user).keypairs)
    .find(([, i]: [string, any]) => i.value?.name === name)?.[0];
  return id !== undefined && Buffer.from(hex, 'hex').includes(Buffer.from(`ssh-private/${id}`));
}

/** A new account with system "nas1" at `url`, authenticated with the
 * admin password (the keyring created on the way); returns the user. */
async function authenticatedAccount(page: Page, url: string): Promise<string> {
  const user = uniqueName('hostile');
  await createAccount(page, user);
  await addSystem(page, 'nas1', url);
  await page.getByRole('button', { name: 'Authenticate nas1' }).click();
  await createKeyring(page);
  const authenticate = page.getByRole('dialog', { name: 'Authenticate' });
  await authenticate.getByLabel('Admin Password').fill(ROOT_PASSWORD);
  await authenticate.getByRole('button', { name: 'Authenticate' }).click();
  await expect(authenticate).toBeHidden({ timeout: 30_000 });
  return user;
}

/** Every WebSocket URL the page opens to `port` (a simulator's). */
function socketsTo(page: Page, port: number): string[] {
  const seen: string[] = [];
  page.on('websocket', (ws) => {
    if (ws.url().includes(`:${port}/`)) seen.push(ws.url());
  });
  return seen;
}

function connected(page: Page, system: string) {
  return page.getByRole('row').filter({ hasText: system }).getByRole('cell').nth(2);
}

function notice(page: Page, text: string) {
  return page.getByRole('alert').filter({ hasText: text });
}

/** The key material (second field) of an OpenSSH public key line. */
function material(line: string): string {
  return line.trim().split(/\s+/)[1];
}

/** An account whose keyring was stored twice: with keypair "first"
 * (`old`), then with "second" too (`newer`, hex as stored). */
async function twoRevisions(browser: Browser) {
  const keyhaven = await server();
  const page = await (await context(browser, keyhaven.url)).newPage();
  const user = await startAccount(page, 'hostile');
  const stored = async (name: string) => {
    await generateKeypair(page, name, 'Ed25519');
    await keepKeypairDialogClosed(page);
    await synced(page);
    return rawBlob(keyhaven, user, 'keyring').split('|')[0];
  };
  const old = await stored('first');
  const newer = await stored('second');
  return { keyhaven, page, user, old, newer };
}

test('a system URL pointed at another host: no key or password goes there; the user restores theirs', async ({ browser }) => {
  const keyhaven = await server();
  const nas = await sim(['--hostname', 'nas1', '--user', `root:${ROOT_PASSWORD}`]);
  const elsewhere = await sim(['--hostname', 'attacker', '--user', `root:${ROOT_PASSWORD}`]);
  const page = await (await context(browser, keyhaven.url)).newPage();
  // Every WebSocket the page opens to the attacker's simulator.
  const toAttacker = socketsTo(page, elsewhere.port);

  const user = await authenticatedAccount(page, nas.url);
  const authenticate = page.getByRole('dialog', { name: 'Authenticate' });
  await page.getByRole('link', { name: 'Keyring' }).click();
  await expect(connected(page, 'nas1')).toHaveText('True', { timeout: 30_000 });
  await synced(page);

  // The attacker points nas1 at its own host, stamped later than any edit.
  editMetadata(keyhaven, user, (m) => {
    const system = item(m.systems, 'nas1');
    system.value.url = elsewhere.url;
    system.updated += 60_000;
  });
  await page.reload();
  await unlock(page);
  const changed = notice(page, 'TrueNAS system “nas1” was changed outside your keyring');
  await expect(changed).toContainText(`URL: ${nas.url} → ${elsewhere.url}`);
  await expect(connected(page, 'nas1')).toHaveText(/^False \(this system was changed outside your keyring/);

  // Authenticate refuses before sending the admin password anywhere.
  await page.getByRole('link', { name: 'Back to Dashboard' }).click();
  await page.getByRole('button', { name: 'Authenticate nas1' }).click();
  await expect(authenticate).toContainText(elsewhere.url);
  await authenticate.getByLabel('Admin Password').fill(ROOT_PASSWORD);
  await authenticate.getByRole('button', { name: 'Authenticate' }).click();
  await expect(authenticate.getByRole('alert')).toContainText('changed outside your keyring');
  await authenticate.getByRole('button', { name: 'Cancel' }).click();

  // Restore mine: the sealed URL comes back, as a newer edit the server gets.
  await changed.getByRole('button', { name: 'Restore mine' }).click();
  await expect(changed).toHaveCount(0);
  await page.getByRole('link', { name: 'Keyring' }).click();
  await expect(connected(page, 'nas1')).toHaveText('True', { timeout: 30_000 });
  await synced(page);
  expect(item(readMetadata(keyhaven, user).systems, 'nas1').value.url).toBe(nas.url);
  expect(toAttacker).toEqual([]);
});

test("a system URL changed and its seal stripped: shown as changed where it was verified, not confirmed elsewhere; nothing is sent for it", async ({ browser }) => {
  const keyhaven = await server();
  const nas = await sim(['--hostname', 'nas1', '--user', `root:${ROOT_PASSWORD}`]);
  const elsewhere = await sim(['--hostname', 'attacker', '--user', `root:${ROOT_PASSWORD}`]);
  const page = await (await context(browser, keyhaven.url)).newPage();
  const toAttacker = socketsTo(page, elsewhere.port);
  const user = await authenticatedAccount(page, nas.url);
  await synced(page);

  // The attacker points nas1 at its own host and removes the seal, hoping
  // the item reads as merely "not confirmed" and loses the user's values.
  editMetadata(keyhaven, user, (m) => {
    const system = item(m.systems, 'nas1');
    system.value.url = elsewhere.url;
    delete system.seal;
    system.updated += 60_000;
  });
  // Pulled while locked (after a reload), checked at unlock beside this
  // browser's verified copy: changed, with the user's URL to restore.
  await page.reload();
  await unlock(page);
  const changed = notice(page, 'TrueNAS system “nas1” was changed outside your keyring');
  await expect(changed).toContainText(`URL: ${nas.url} → ${elsewhere.url}`);
  await expect(changed.getByRole('button', { name: 'Restore mine' })).toBeVisible();

  // This browser wrote its verified seal back beside the attacker's URL;
  // the attacker strips it again. A browser that never verified the item
  // has no values of the user's to show: not confirmed, and Authenticate
  // sends nothing.
  await synced(page);
  editMetadata(keyhaven, user, (m) => {
    const system = item(m.systems, 'nas1');
    delete system.seal;
    system.updated += 60_000;
  });
  const fresh = await (await context(browser, keyhaven.url)).newPage();
  const freshToAttacker = socketsTo(fresh, elsewhere.port);
  await signIn(fresh, user);
  await unlock(fresh);
  const unconfirmed = notice(fresh, 'TrueNAS system “nas1” is not confirmed with your keyring');
  await expect(unconfirmed).toContainText(elsewhere.url);
  await expect(unconfirmed).toContainText('Keyhaven sends nothing for it until you check and confirm it');
  await fresh.getByRole('button', { name: 'Authenticate nas1' }).click();
  const authenticate = fresh.getByRole('dialog', { name: 'Authenticate' });
  await authenticate.getByLabel('Admin Password').fill(ROOT_PASSWORD);
  await authenticate.getByRole('button', { name: 'Authenticate' }).click();
  await expect(authenticate.getByRole('alert')).toContainText('is not confirmed with your keyring');
  await authenticate.getByRole('button', { name: 'Cancel' }).click();
  expect(toAttacker).toEqual([]);
  expect(freshToAttacker).toEqual([]);
});

test("a keypair's public key and a connection's host keys swapped: the remote authorizes only the user's key", async ({ browser }) => {
  const keyhaven = await server();
  const sshd = await startSshd();
  later(() => sshd.stop());
  const users = ME === 'root' ? [`root:${ROOT_PASSWORD}`] : [`root:${ROOT_PASSWORD}`, `${ME}:unused`];
  const nas = await sim([
    '--hostname', 'nas2',
    ...users.flatMap((u) => ['--user', u]),
    '--ssh-port', String(sshd.port),
    ...sshd.hostKeyFiles.flatMap((f) => ['--host-key', f]),
    '--authorized-keys', sshd.authorizedKeys,
  ]);
  const page = await (await context(browser, keyhaven.url)).newPage();
  const user = await startAccount(page, 'hostile');
  await generateKeypair(page, 'repl', 'Ed25519');
  await keepKeypairDialogClosed(page);
  const theirHostKey = hostKey();
  const ourHostKey = hostKey();
  await addManualConnection(page, 'manual', 'repl', '192.0.2.10', 22, ourHostKey);
  // The system the connection could be installed on, authenticated.
  await page.getByRole('link', { name: 'Back to the dashboard' }).click();
  await addSystem(page, 'nas2', nas.url);
  await page.getByRole('button', { name: 'Authenticate nas2' }).click();
  const authenticate = page.getByRole('dialog', { name: 'Authenticate' });
  await authenticate.getByLabel('Admin Password').fill(ROOT_PASSWORD);
  await authenticate.getByRole('button', { name: 'Authenticate' }).click();
  await expect(authenticate).toBeHidden({ timeout: 30_000 });
  await openBackupCredentials(page);
  await synced(page);
  const before = readMetadata(keyhaven, user);
  const ours = item(before.keypairs, 'repl').value.public_key;
  // As stored: one key per line, without the comment.
  const ourHostKeys = item(before.connections, 'manual').value.remote_host_keys;
  expect(material(ourHostKeys)).toBe(material(ourHostKey));

  const theirs = hostKey();
  editMetadata(keyhaven, user, (m) => {
    const keypair = item(m.keypairs, 'repl');
    keypair.value.public_key = theirs;
    keypair.updated += 60_000;
    const connection = item(m.connections, 'manual');
    connection.value.remote_host_keys = theirHostKey;
    connection.updated += 60_000;
  });
  await page.reload();
  await unlock(page);
  const keypairNotice = notice(page, 'SSH Keypair “repl” was changed outside your keyring');
  await expect(keypairNotice).toContainText(`Public key: ${ours} → ${theirs}`);
  const hostKeyNotice = notice(page, 'SSH Connection “manual” was changed outside your keyring');
  await expect(hostKeyNotice).toContainText(`Remote host keys: ${ourHostKeys} → ${theirHostKey}`);

  // Installing the changed connection on a system is refused before
  // anything is sent: a system must not be told to replicate to host keys
  // the user never chose.
  await widget(page, 'SSH Connections').getByRole('button', { name: 'Install manual on systems' }).click();
  const install = page.getByRole('dialog', { name: 'Install on Systems' });
  await install.getByLabel('nas2').check();
  await install.getByRole('button', { name: 'Review' }).click();
  await expect(install.getByRole('listitem').filter({ hasText: 'nas2' })).toContainText('this connection was changed outside your keyring');
  await expect(install.getByRole('button', { name: 'Install' })).toBeDisabled();
  await install.getByRole('button', { name: 'Close' }).click();
  expect(await simCall(page, nas, ROOT_PASSWORD, 'keychaincredential.query', [[]])).toEqual([]);

  // Semi-automatic setup with that keypair: what the remote authorizes is
  // derived from the private key, never read from the metadata.
  await widget(page, 'SSH Connections').getByRole('button', { name: 'Add' }).click();
  const form = page.getByRole('dialog', { name: 'SSH Connections' });
  await form.getByLabel('Name', { exact: true }).fill('nas2-repl');
  await form.getByLabel('TrueNAS URL').fill(nas.url);
  await form.getByLabel('Admin Password').fill(ROOT_PASSWORD);
  await form.getByLabel('Username', { exact: true }).fill(ME);
  await form.getByLabel('Private Key').selectOption({ label: 'repl' });
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(form).toBeHidden({ timeout: 30_000 });
  const authorized = readFileSync(sshd.authorizedKeys, 'utf8');
  expect(authorized).toContain(material(ours));
  expect(authorized).not.toContain(material(theirs));

  // Download hands out the key derived from the private key too, in the
  // list and in the form, never the metadata's line.
  const listed = await downloads(page, 2, () => widget(page, 'SSH Keypairs').getByRole('button', { name: 'Download repl' }).click());
  const publicFile = listed.find((f) => f.suggestedFilename().includes('_public_key_'))!;
  const handedOut = readFileSync(await publicFile.path(), 'utf8');
  expect(material(handedOut)).toBe(material(ours));
  await widget(page, 'SSH Keypairs').getByRole('button', { name: 'repl', exact: true }).click();
  const keypairForm = page.getByRole('dialog', { name: 'SSH Keypairs' });
  const [fromForm] = await downloads(page, 1, () => keypairForm.getByRole('button', { name: 'Download Public Key' }).click());
  expect(material(readFileSync(await fromForm.path(), 'utf8'))).toBe(material(ours));
  await keepKeypairDialogClosed(page);

  // Restore both: the user's own values are back.
  await keypairNotice.getByRole('button', { name: 'Restore mine' }).click();
  await hostKeyNotice.getByRole('button', { name: 'Restore mine' }).click();
  await expect(page.getByText('was changed outside your keyring')).toHaveCount(0);
  await synced(page);
  const restored = readMetadata(keyhaven, user);
  expect(item(restored.keypairs, 'repl').value.public_key).toBe(ours);
  expect(item(restored.connections, 'manual').value.remote_host_keys).toBe(ourHostKeys);
});

test('the keyring row deleted: every browser keeps its copy, and one puts it back', async ({ browser }) => {
  const keyhaven = await server();
  const page = await (await context(browser, keyhaven.url)).newPage();
  const user = await startAccount(page, 'hostile');
  await generateKeypair(page, 'kept', 'Ed25519');
  await keepKeypairDialogClosed(page);
  await synced(page);

  sql(keyhaven, `DELETE FROM blobs WHERE name = 'keyring' AND account_id = ${accountOf(user)}`);
  await comeBack(page);
  const missing = notice(page, 'Keyring missing on the server');
  await expect(missing).toBeVisible();
  // Still here, and still after a reload: unlock and download.
  await page.reload();
  await unlock(page);
  await expect(missing).toBeVisible();
  const files = await downloads(page, 2, () => widget(page, 'SSH Keypairs').getByRole('button', { name: 'Download kept' }).click());
  expect(files.map((f) => f.suggestedFilename()).sort()).toEqual(['kept_private_key_ed25519', 'kept_public_key_ed25519']);

  await missing.getByRole('button', { name: 'Restore from this browser' }).click();
  await expect(missing).toHaveCount(0);
  expect(sql(keyhaven, `SELECT count(*) FROM blobs WHERE name = 'keyring' AND account_id = ${accountOf(user)}`)).toBe('1');

  // Another browser gets the private key from the restored keyring.
  const other = await (await context(browser, keyhaven.url)).newPage();
  await signIn(other, user);
  await unlock(other);
  await openBackupCredentials(other);
  await downloads(other, 2, () => widget(other, 'SSH Keypairs').getByRole('button', { name: 'Download kept' }).click());

  // The metadata row deleted too: a browser that has it writes it back.
  sql(keyhaven, `DELETE FROM blobs WHERE name = 'metadata' AND account_id = ${accountOf(user)}`);
  await comeBack(page);
  await expect.poll(() => sql(keyhaven, `SELECT count(*) FROM blobs WHERE name = 'metadata' AND account_id = ${accountOf(user)}`)).toBe('1');
  expect(item(readMetadata(keyhaven, user).keypairs, 'kept').value.name).toBe('kept');
});

test('an older keyring restored into the database: refused across sign-out; restore or knowingly adopt', async ({ browser }) => {
  const { keyhaven, page, user, old, newer } = await twoRevisions(browser);

  writeBlob(keyhaven, user, 'keyring', old);
  await comeBack(page);
  const rollback = notice(page, 'Possible rollback');
  await expect(rollback).toContainText(/older keyring \(revision \d+\) than this browser has already seen/);
  // Restore from this browser: the newer keyring is back on the server.
  await rollback.getByRole('button', { name: 'Restore from this browser' }).click();
  await expect(rollback).toHaveCount(0);
  expect(rawBlob(keyhaven, user, 'keyring').split('|')[0]).toBe(newer);

  // Replayed again, to a browser that signed out meanwhile (its copy is
  // gone, the revision it saw is not): still refused.
  await page.getByRole('button', { name: 'Sign out' }).click();
  // Signed out for good (its copy deleted) before the page is left.
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  writeBlob(keyhaven, user, 'keyring', old);
  await signIn(page, user);
  await expect(rollback).toBeVisible();
  await expect(page.getByRole('dialog', { name: 'Unlock Keyring' })).toHaveCount(0);
  // The user knowingly takes the server's older copy: it unlocks, without
  // the newer keypair's private key.
  await rollback.getByRole('button', { name: "Use the server's copy" }).click();
  await expect(rollback).toHaveCount(0);
  await unlock(page);
  await openBackupCredentials(page);
  await downloads(page, 2, () => widget(page, 'SSH Keypairs').getByRole('button', { name: 'Download first' }).click());
  await widget(page, 'SSH Keypairs').getByRole('button', { name: 'Download second' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'private key is not in the keyring' })).toBeVisible();
});

test('a junk keyring served once, then the old one: the old one is still refused', async ({ browser }) => {
  const { keyhaven, page, user, old } = await twoRevisions(browser);

  // Junk: a valid keyring of another account, under another passphrase,
  // at a higher revision than this browser has seen.
  const stranger = await (await context(browser, keyhaven.url)).newPage();
  const strangerName = await startAccount(stranger, 'stranger');
  for (const name of ['j1', 'j2', 'j3', 'j4']) {
    await generateKeypair(stranger, name, 'Ed25519');
    await keepKeypairDialogClosed(stranger);
  }
  await synced(stranger);
  const [junk] = rawBlob(keyhaven, strangerName, 'keyring').split('|');

  writeBlob(keyhaven, user, 'keyring', junk);
  await comeBack(page);
  const replaced = notice(page, 'Keyring replaced on the server');
  await expect(replaced).toBeVisible();
  // This browser's keyring is intact.
  await downloads(page, 2, () => widget(page, 'SSH Keypairs').getByRole('button', { name: 'Download second' }).click());

  writeBlob(keyhaven, user, 'keyring', old);
  await comeBack(page);
  await expect(notice(page, 'Possible rollback')).toContainText(/older keyring \(revision \d+\)/);
  await expect(replaced).toHaveCount(0);
  // And the server still has the replayed copy: nothing was pushed over it.
  expect(rawBlob(keyhaven, user, 'keyring').split('|')[0]).toBe(old);
});

test('a forked keyring: the server hides a stored key from a second browser, then serves that browser\'s copy back; nothing is lost', async ({ browser }) => {
  const keyhaven = await server();
  const page = await (await context(browser, keyhaven.url)).newPage();
  const user = await startAccount(page, 'hostile');
  await synced(page);
  const [before] = rawBlob(keyhaven, user, 'keyring').split('|');
  await generateKeypair(page, 'mine', 'Ed25519');
  await keepKeypairDialogClosed(page);
  await synced(page);
  const [withMine] = rawBlob(keyhaven, user, 'keyring').split('|');
  expect(withMine).not.toBe(before);

  // The fork: a second browser is served the keyring from before "mine"
  // and stores its own key over it.
  writeBlob(keyhaven, user, 'keyring', before);
  const other = await (await context(browser, keyhaven.url)).newPage();
  await signIn(other, user);
  await unlock(other);
  await openBackupCredentials(other);
  await generateKeypair(other, 'theirs', 'Ed25519');
  await keepKeypairDialogClosed(other);
  await synced(other);

  // The first browser hears of the write and merges: the key it stored
  // stays, and goes back to the server with the other's.
  await comeBack(page);
  await expect.poll(() => {
    const [hex] = rawBlob(keyhaven, user, 'keyring').split('|');
    return hex !== before && hex !== withMine && keyringHolds(keyhaven, user, hex, 'mine') && keyringHolds(keyhaven, user, hex, 'theirs');
  }, { timeout: 30_000 }).toBe(true);
  await comeBack(other);
  await downloads(other, 2, () => widget(other, 'SSH Keypairs').getByRole('button', { name: 'Download mine' }).click());
});

test("two systems' names swapped: both are shown as changed, and no key is installed on either", async ({ browser }) => {
  const keyhaven = await server();
  const one = await sim(['--hostname', 'nas1', '--user', `root:${ROOT_PASSWORD}`]);
  const two = await sim(['--hostname', 'nas2', '--user', `root:${ROOT_PASSWORD}`]);
  const page = await (await context(browser, keyhaven.url)).newPage();
  const user = uniqueName('hostile');
  await createAccount(page, user);
  await addSystem(page, 'nas1', one.url);
  await addSystem(page, 'nas2', two.url);
  const authenticate = page.getByRole('dialog', { name: 'Authenticate' });
  for (const [name, first] of [['nas1', true], ['nas2', false]] as const) {
    await page.getByRole('button', { name: `Authenticate ${name}` }).click();
    if (first) await createKeyring(page);
    await authenticate.getByLabel('Admin Password').fill(ROOT_PASSWORD);
    await authenticate.getByRole('button', { name: 'Authenticate' }).click();
    await expect(authenticate).toBeHidden({ timeout: 30_000 });
  }
  await openBackupCredentials(page);
  await generateKeypair(page, 'repl', 'Ed25519');
  await keepKeypairDialogClosed(page);
  await synced(page);

  // The attacker swaps the names: "nas1" now labels the second system.
  editMetadata(keyhaven, user, (m) => {
    const first = item(m.systems, 'nas1');
    const second = item(m.systems, 'nas2');
    first.value.name = 'nas2';
    second.value.name = 'nas1';
    // Later than the user's writes, so the merge takes them.
    first.updated += 60_000;
    second.updated += 60_000;
  });
  await page.reload();
  await unlock(page);
  await expect(notice(page, 'TrueNAS system “nas1” was changed outside your keyring')).toContainText('Name: nas2 → nas1');
  await expect(notice(page, 'TrueNAS system “nas2” was changed outside your keyring')).toContainText('Name: nas1 → nas2');

  // Install on "nas1" (really the second system) is refused before anything is sent.
  await widget(page, 'SSH Keypairs').getByRole('button', { name: 'Install repl on systems' }).click();
  const install = page.getByRole('dialog', { name: 'Install on Systems' });
  await install.getByLabel('nas1').check();
  await install.getByRole('button', { name: 'Review' }).click();
  await expect(install.getByRole('listitem').filter({ hasText: 'nas1' })).toContainText('changed outside your keyring');
  await expect(install.getByRole('button', { name: 'Install' })).toBeDisabled();
  await install.getByRole('button', { name: 'Close' }).click();
  expect(await simCall(page, one, ROOT_PASSWORD, 'keychaincredential.query', [[]])).toEqual([]);
  expect(await simCall(page, two, ROOT_PASSWORD, 'keychaincredential.query', [[]])).toEqual([]);
});

test('a keypair deleted in the database while its private key is in the keyring: the user is told and restores it', async ({ browser }) => {
  const keyhaven = await server();
  const page = await (await context(browser, keyhaven.url)).newPage();
  const user = await startAccount(page, 'hostile');
  await generateKeypair(page, 'kept', 'Ed25519');
  await keepKeypairDialogClosed(page);
  await synced(page);

  forgeDeletion(keyhaven, user, 'keypairs', 'kept');
  await comeBack(page);
  const deleted = notice(page, 'SSH Keypair “kept” was deleted in the Keyhaven server\'s copy');
  await expect(deleted).toContainText('its private key is still in your keyring');
  await expect(widget(page, 'SSH Keypairs').getByRole('button', { name: 'kept', exact: true })).toHaveCount(0);
  await deleted.getByRole('button', { name: 'Restore' }).click();
  await expect(deleted).toHaveCount(0);
  await expect(widget(page, 'SSH Keypairs').getByRole('button', { name: 'kept', exact: true })).toBeVisible();
  await synced(page);
  expect(item(readMetadata(keyhaven, user).keypairs, 'kept').value.name).toBe('kept');
  await downloads(page, 2, () => widget(page, 'SSH Keypairs').getByRole('button', { name: 'Download kept' }).click());
  await expect(page.getByText('was changed outside your keyring')).toHaveCount(0);
  await expect(page.getByText('is not confirmed with your keyring')).toHaveCount(0);
});

/** An account with keypair "k" and connection "offsite" to 10.0.0.1,
 * stored; returns the user. */
async function accountWithConnection(page: Page): Promise<string> {
  const user = await startAccount(page, 'hostile');
  await generateKeypair(page, 'k', 'Ed25519');
  await keepKeypairDialogClosed(page);
  await addManualConnection(page, 'offsite', 'k', '10.0.0.1', 22, hostKey());
  await synced(page);
  return user;
}

test("a connection's older version, seal and all, served again as the newest: shown as changed with the user's to restore, never as another device's edit", async ({ browser }) => {
  const keyhaven = await server();
  const page = await (await context(browser, keyhaven.url)).newPage();
  const user = await accountWithConnection(page);
  const old = item(readMetadata(keyhaven, user).connections, 'offsite');

  // The user moves the connection to 10.0.0.2.
  await row(page, 'SSH Connections', 'offsite').getByRole('button', { name: 'offsite', exact: true }).click();
  const form = page.getByRole('dialog', { name: 'SSH Connections' });
  await form.getByLabel('Host', { exact: true }).fill('10.0.0.2');
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(form).toBeHidden();
  await synced(page);

  // The attacker serves the old version again (its seal verifies) stamped
  // later than the user's edit.
  editMetadata(keyhaven, user, (m) => {
    const [id] = Object.entries(m.connections).find(([, i]: [string, any]) => i.value?.name === 'offsite')!;
    m.connections[id] = { ...old, updated: m.connections[id].updated + 60_000 };
  });
  await comeBack(page);
  const changed = notice(page, 'SSH Connection “offsite” was changed outside your keyring');
  await expect(changed).toContainText('Host: 10.0.0.2 → 10.0.0.1');
  await expect(page.getByText('was replaced by a later edit made on another device')).toHaveCount(0);
  await changed.getByRole('button', { name: 'Restore mine' }).click();
  await expect(changed).toHaveCount(0);
  await expect(row(page, 'SSH Connections', 'offsite')).toContainText('10.0.0.2:22');
  await synced(page);
  expect(item(readMetadata(keyhaven, user).connections, 'offsite').value.host).toBe('10.0.0.2');

  // A second browser of the user's takes the restored version as verified.
  const other = await (await context(browser, keyhaven.url)).newPage();
  await signIn(other, user);
  await unlock(other);
  await openBackupCredentials(other);
  await expect(row(other, 'SSH Connections', 'offsite')).toContainText('10.0.0.2:22');
  await expect(other.getByRole('alert')).toHaveCount(0);
});

test('a connection deleted in the database: no Keyhaven listed that deletion, so the user is told and restores it', async ({ browser }) => {
  const keyhaven = await server();
  const page = await (await context(browser, keyhaven.url)).newPage();
  const user = await accountWithConnection(page);
  forgeDeletion(keyhaven, user, 'connections', 'offsite');
  await comeBack(page);
  const deleted = notice(page, 'SSH Connection “offsite” was deleted in the Keyhaven server\'s copy');
  await expect(deleted).toContainText('no browser with your keyring unlocked listed that deletion');
  await expect(row(page, 'SSH Connections', 'offsite')).toHaveCount(0);
  await deleted.getByRole('button', { name: 'Restore' }).click();
  await expect(deleted).toHaveCount(0);
  await expect(row(page, 'SSH Connections', 'offsite')).toContainText('10.0.0.1:22');
  await synced(page);
  expect(item(readMetadata(keyhaven, user).connections, 'offsite').value.host).toBe('10.0.0.1');
  await expect(page.getByText('was changed outside your keyring')).toHaveCount(0);
});

test('the whole metadata document from two writes ago, served after sign-out and in: a rollback, and nothing in it counts as verified', async ({ browser }) => {
  const keyhaven = await server();
  const page = await (await context(browser, keyhaven.url)).newPage();
  const user = await accountWithConnection(page);
  const old = keepMetadata(keyhaven, user);
  await generateKeypair(page, 'later', 'Ed25519');
  await keepKeypairDialogClosed(page);
  await synced(page);

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  replayMetadata(keyhaven, user, old);
  await signIn(page, user);
  await unlock(page);
  await expect(notice(page, 'The Keyhaven server served an older copy of your systems, keypairs and connections')).toBeVisible();
  await expect(notice(page, 'SSH Connection “offsite” is not confirmed with your keyring')).toBeVisible();
});
