import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { addSystem, createAccount, createKeyring, signIn, submitCreateKeyring, uniqueName, watchProblems } from './helpers';
import { unlock } from './credentials';

// Keyhaven's server makes the app cross-origin isolated (COOP + COEP) so
// Argon2id's lanes can share one memory between workers. These tests hold
// both sides: isolated, the passphrase is stretched on several threads and
// what isolation could break still works; not isolated (a proxy that drops
// COEP), the same keyring unlocks on one thread.

/** The worker's note of how many threads the last Argon2id used. */
function argonThreads(page: Page): number[] {
  const threads: number[] = [];
  page.on('console', (message) => {
    const found = /Argon2id ran on (\d+) thread/.exec(message.text());
    if (found) threads.push(Number(found[1]));
  });
  return threads;
}

/** Every response without its Cross-Origin-Embedder-Policy, as behind a
 * proxy that drops it (the service worker is blocked so it can't answer
 * from its cache instead). */
async function withoutIsolation(context: BrowserContext) {
  await context.route('**/*', async (route) => {
    const response = await route.fetch();
    const headers = { ...response.headers() };
    delete headers['cross-origin-embedder-policy'];
    await route.fulfill({ response, headers });
  });
}

test('isolated: Argon2id runs on parallel lanes, online and offline; links to systems and downloads still work', async ({ page, context }) => {
  const problems = watchProblems(page);
  const threads = argonThreads(page);
  const user = uniqueName('iso');
  await createAccount(page, user);
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);

  // A system's URL on the dashboard opens in a new tab, cross-origin
  // (localhost is another origin than 127.0.0.1).
  const other = new URL(page.url());
  other.hostname = 'localhost';
  other.pathname = '/signin';
  await addSystem(page, 'nas1', other.origin);
  const opened = context.waitForEvent('page');
  await page.getByRole('link', { name: other.origin }).click();
  const tab = await opened;
  await tab.waitForLoadState();
  expect(new URL(tab.url()).origin).toBe(other.origin);
  await expect(tab.getByRole('button', { name: 'Sign in' })).toBeVisible();
  await tab.close();

  await page.goto('/keyring');
  await page.getByRole('button', { name: 'Create Keyring' }).click();
  await submitCreateKeyring(page);
  // A download (a Blob URL) under COEP: the recovery code's file.
  const recovery = page.getByRole('dialog', { name: 'Recovery Code' });
  const code = await recovery.getByLabel('Recovery code').textContent({ timeout: 30_000 });
  const download = page.waitForEvent('download');
  await recovery.getByRole('button', { name: 'Download' }).click();
  const file = await (await download).createReadStream();
  let text = '';
  for await (const chunk of file) text += chunk;
  expect(text).toContain(code!);
  await recovery.getByRole('button', { name: 'Done' }).click();
  await expect.poll(() => threads.at(-1)).toBeGreaterThanOrEqual(2);

  // Lock and unlock: parallel again, and the key is the same.
  await page.getByRole('button', { name: 'Lock' }).click();
  const before = threads.length;
  await page.reload();
  await unlock(page);
  await expect.poll(() => threads.length).toBeGreaterThan(before);
  expect(threads.every((n) => n >= 2)).toBe(true);
  expect(problems).toEqual([]);

  // Offline, the service worker serves the release with the headers it was
  // fetched with: still isolated, the helpers' script is in its cache, and
  // the lanes still run in parallel.
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  await page.getByRole('button', { name: 'Lock' }).click();
  await context.setOffline(true);
  const online = threads.length;
  await page.reload();
  await expect(page.getByText("You're offline.")).toBeVisible();
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  await unlock(page);
  await expect.poll(() => threads.length).toBeGreaterThan(online);
  expect(threads.at(-1)).toBeGreaterThanOrEqual(2);
  await context.setOffline(false);
});

test('not isolated: the app still works, and Argon2id runs on one thread with the same result', async ({ browser }) => {
  const user = uniqueName('noiso');
  // The keyring is made where the app is isolated (parallel lanes)…
  {
    const context = await browser.newContext();
    const page = await context.newPage();
    const threads = argonThreads(page);
    await createAccount(page, user);
    await page.goto('/keyring');
    await page.getByRole('button', { name: 'Create Keyring' }).click();
    await createKeyring(page);
    await expect.poll(() => threads.at(-1)).toBeGreaterThanOrEqual(2);
    await context.close();
  }
  // …and unlocked where it isn't.
  const context = await browser.newContext({ serviceWorkers: 'block' });
  await withoutIsolation(context);
  const page = await context.newPage();
  const problems = watchProblems(page);
  const threads = argonThreads(page);
  await signIn(page, user);
  await expect(page.getByRole('heading', { name: 'Dashboard' })).toBeVisible();
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
  await page.goto('/keyring');
  await unlock(page);
  await expect.poll(() => threads.at(-1)).toBe(1);
  await expect(page.getByText('Keyring “fleet” is unlocked.')).toBeVisible();
  expect(problems).toEqual([]);
  // The live-sync stream is still open: let it end unrouted.
  await context.unrouteAll({ behavior: 'ignoreErrors' });
  await context.close();
});
