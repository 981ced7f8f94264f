// Live sync: an edit in one browser appears in another signed in to the
// same account within seconds — no focus change, no reload, long before
// the 30 s pull — on one server, and across two servers sharing one
// PostgreSQL.
import { expect, test, type Page } from '@playwright/test';
import { addSystem, createAccount, signIn, uniqueName } from './helpers';
import { context, server, stopAfterEach } from './own';

stopAfterEach();

async function dashboard(page: Page) {
  await expect(page.getByRole('heading', { name: 'Dashboard' })).toBeVisible();
}

/** Two browsers of one account, on `first` and `second` (URLs). */
async function twoBrowsers(browser: import('@playwright/test').Browser, first: string, second: string) {
  const page = await (await context(browser, first)).newPage();
  const user = uniqueName('live');
  await createAccount(page, user);
  const other = await (await context(browser, second)).newPage();
  await signIn(other, user);
  await dashboard(other);
  return { page, other };
}

test('an edit in one browser appears in another within seconds, with no focus change or reload', async ({ browser }) => {
  const keyhaven = await server();
  const { page, other } = await twoBrowsers(browser, keyhaven.url, keyhaven.url);
  await addSystem(page, 'live-nas', 'https://live-nas.example');
  await expect(other.getByText('live-nas', { exact: true })).toBeVisible({ timeout: 5_000 });
  // And back the other way.
  await addSystem(other, 'second-nas', 'https://second-nas.example');
  await expect(page.getByText('second-nas', { exact: true })).toBeVisible({ timeout: 5_000 });

  // The server restarts: the streams come back by themselves, and an edit
  // made after it still reaches the other browser without a reload.
  await keyhaven.kill();
  await keyhaven.restart();
  await expect(page.getByText(/^Synced \d/)).toBeVisible();
  await addSystem(page, 'after-restart', 'https://after-restart.example');
  await expect(other.getByText('after-restart', { exact: true })).toBeVisible({ timeout: 10_000 });
});

test('two servers on one PostgreSQL: an edit through one appears in a browser on the other', async ({ browser }) => {
  const database = process.env.KEYHAVEN_E2E_POSTGRES;
  if (!database) throw new Error('KEYHAVEN_E2E_POSTGRES is not set: run the e2e suite with `cargo xtask test`.');
  const one = await server({ args: ['--database-url', database] });
  const two = await server({ args: ['--database-url', database] });
  const { page, other } = await twoBrowsers(browser, one.url, two.url);
  await addSystem(page, 'pg-nas', 'https://pg-nas.example');
  await expect(other.getByText('pg-nas', { exact: true })).toBeVisible({ timeout: 5_000 });
});
