// A fleet on the Keyring screen: its Connected column checks at most 16
// systems at once against systems that answer slowly, shows each result as
// it comes, and leaving the screen stops what has not started.
import { execFileSync } from 'node:child_process';
import { expect, test, type Locator, type Page } from '@playwright/test';
import { expectAccessible } from './a11y';
import { row, unlock, widget } from './credentials';
import { addSystem, createAccount, createKeyring, PASSPHRASE, PASSWORD, signIn, uniqueName } from './helpers';
import { context, server, sim, stopAfterEach, synced } from './own';

stopAfterEach();

const ROOT_PASSWORD = 'root-password-on-the-nas';
/** More than two rounds of 16, so leaving after the first result stops a third. */
const SYSTEMS = 36;

/** The page's WebSockets to `port`: how many are open now and how many
 * were opened, and `most()`: the most checks at work at once, a check
 * counting from its socket's opening to the last answer it received (not
 * to the end of the closing handshake, which the app doesn't wait for). */
function sockets(page: Page, port: number) {
  let clock = 0;
  const spans: { from: number; to: number }[] = [];
  const seen = {
    open: 0,
    opened: 0,
    most: () => {
      const edges = spans.flatMap(({ from, to }) => [[from, 1], [to, -1]]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      let now = 0;
      let most = 0;
      for (const [, step] of edges) {
        now += step;
        most = Math.max(most, now);
      }
      return most;
    },
  };
  page.on('websocket', (ws) => {
    if (!ws.url().includes(`:${port}/`)) return;
    const span = { from: ++clock, to: clock };
    spans.push(span);
    seen.open += 1;
    seen.opened += 1;
    ws.on('framereceived', () => { span.to = ++clock; });
    ws.on('close', () => { seen.open -= 1; });
  });
  return seen;
}

test(`Connected on a fleet of ${SYSTEMS}: at most 16 systems at once, results as they come, and leaving the screen stops the rest`, async ({ browser }) => {
  test.setTimeout(240_000);
  const keyhaven = await server();
  // Each answer takes 150 ms, as from systems across a WAN.
  const nas = await sim(['--hostname', 'fleet', '--user', `root:${ROOT_PASSWORD}`, '--latency-ms', '150']);
  const page = await (await context(browser, keyhaven.url)).newPage();
  await createAccount(page, uniqueName('fleet'));
  const names = Array.from({ length: SYSTEMS }, (_, i) => `nas${String(i + 1).padStart(2, '0')}`);
  const authenticate = page.getByRole('dialog', { name: 'Authenticate' });
  for (const [i, name] of names.entries()) {
    await addSystem(page, name, nas.url);
    await page.getByRole('button', { name: `Authenticate ${name}` }).click();
    if (i === 0) await createKeyring(page);
    await authenticate.getByLabel('Admin Password').fill(ROOT_PASSWORD);
    await authenticate.getByRole('button', { name: 'Authenticate' }).click();
    await expect(authenticate).toBeHidden({ timeout: 30_000 });
  }

  const checks = sockets(page, nas.port);
  await page.getByRole('link', { name: 'Keyring' }).click();
  const connected = page.getByRole('row').getByRole('cell', { name: 'True', exact: true });
  await expect(connected.first()).toBeVisible();
  await expect(connected).toHaveCount(SYSTEMS, { timeout: 60_000 });
  expect(checks.most()).toBeLessThanOrEqual(16);
  expect(checks.most()).toBeGreaterThan(1);

  // Again, leaving as soon as the first result is in: what had not started
  // is never started.
  await page.getByRole('link', { name: 'Back to Dashboard' }).click();
  await expect.poll(() => checks.open).toBe(0);
  const again = sockets(page, nas.port);
  await page.getByRole('link', { name: 'Keyring' }).click();
  await expect(connected.first()).toBeVisible();
  await page.getByRole('link', { name: 'Back to Dashboard' }).click();
  await expect.poll(() => again.open, { timeout: 30_000 }).toBe(0);
  expect(again.opened).toBeGreaterThan(0);
  expect(again.opened).toBeLessThan(SYSTEMS);
});

/** The largest fleet: 1,000 systems, 2,000 keypairs, 2,000
 * connections (`cargo xtask fleet-account`, from core's `fleet`). */
const FLEET = 1000;

/** Opens a screen from the dashboard. */
async function openScreen(page: Page, name: string) {
  await page.getByRole('link', { name }).click();
  await expect(page.getByRole('heading', { name, level: 1 })).toBeVisible({ timeout: 60_000 });
}

/** Records the page's longest main-thread task (Chromium's Long Tasks
 * API: tasks over 50 ms) since the last `longest()` call. Reported, not
 * asserted: a timed assertion would fail on a slower machine. */
async function longTasks(page: Page) {
  await page.addInitScript(() => {
    const w = window as unknown as { longest: number };
    w.longest = 0;
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) w.longest = Math.max(w.longest, entry.duration);
    }).observe({ type: 'longtask', buffered: true });
  });
  return async () => page.evaluate(() => {
    const w = window as unknown as { longest: number };
    const longest = w.longest;
    w.longest = 0;
    return Math.round(longest);
  });
}

/** A list of `total` items shown in pages (`scope` holds its Search box,
 * its rows and its pager): the first page is 50 rows under "1 – 50 of
 * total", the last page ends at `total`, and a search finds `last` (the
 * last name in order) alone. Leaves the list on its first page, unsearched. */
async function listsAll(scope: Locator, rows: Locator, search: string, total: number, last: string) {
  await expect(scope.getByText(`1 – 50 of ${total}`)).toBeVisible({ timeout: 60_000 });
  await expect(rows).toHaveCount(50);
  await scope.getByRole('button', { name: 'Last page' }).click();
  await expect(scope.getByText(`${total - 49} – ${total} of ${total}`)).toBeVisible();
  await expect(rows.filter({ hasText: last })).toHaveCount(1);
  await scope.getByRole('searchbox', { name: search }).fill(last);
  await expect(rows).toHaveCount(1);
  await expect(rows.filter({ hasText: last })).toHaveCount(1);
  await scope.getByRole('searchbox', { name: search }).fill('');
  await expect(scope.getByText(`1 – 50 of ${total}`)).toBeVisible();
}

/** Bytes of the metadata's blobs `page` sends (`up`) and receives (`down`)
 * from now on; `read()` waits for the bodies received so far. */
function metadataTraffic(page: Page) {
  const reading: Promise<void>[] = [];
  const seen = { up: 0, down: 0, read: () => Promise.all(reading) };
  page.on('request', (request) => {
    if (request.method() === 'PUT' && /\/api\/v1\/blobs\/metadata/.test(request.url())) {
      seen.up += request.postDataBuffer()?.length ?? 0;
    }
  });
  page.on('response', (response) => {
    if (response.request().method() === 'GET' && /\/api\/v1\/blobs\/metadata/.test(response.url())) {
      reading.push(response.body().then((body) => { seen.down += body.length; }));
    }
  });
  return seen;
}

test(`a fleet of ${FLEET} systems: every screen lists everything, and one edit reaches a second browser as one part of the document`, async ({ browser }) => {
  test.setTimeout(300_000);
  const keyhaven = await server();
  const user = uniqueName('fleet');
  execFileSync(process.env.KEYHAVEN_XTASK!, ['fleet-account', new URL(keyhaven.url).host, user, PASSWORD, PASSPHRASE, String(FLEET)], { stdio: 'inherit' });

  const page = await (await context(browser, keyhaven.url)).newPage();
  const longest = await longTasks(page);
  const tasks: Record<string, number> = {};
  await signIn(page, user);
  const card = page.getByRole('region', { name: 'TrueNAS Systems' });
  await expect(card.getByText(`1 – 50 of ${FLEET}`)).toBeVisible({ timeout: 120_000 });
  tasks['sign-in to dashboard'] = await longest();
  await unlock(page);
  await synced(page);
  tasks.unlock = await longest();
  // Header row and rows; the search names systems, so "nas1000" is one.
  await listsAll(card, card.getByRole('row').filter({ hasNot: page.getByRole('columnheader') }), 'Search systems', FLEET, 'nas1000');
  tasks['dashboard pages and search'] = await longest();
  await expectAccessible(page, 'the dashboard with a Search box and pages');

  await page.getByRole('link', { name: 'Keyring' }).click();
  const keyring = page.getByRole('main');
  await expect(keyring.getByRole('row').filter({ hasText: 'Stored' })).toHaveCount(50, { timeout: 60_000 });
  tasks['Keyring screen'] = await longest();
  await listsAll(keyring, keyring.getByRole('row').filter({ hasText: 'Stored' }), 'Search systems', FLEET, 'nas1000');
  await page.getByRole('link', { name: 'Back to Dashboard' }).click();
  await longest();

  await openScreen(page, 'Backup Credentials');
  const keypairs = widget(page, 'SSH Keypairs');
  const connections = widget(page, 'SSH Connections');
  await expect(keypairs.getByRole('listitem')).toHaveCount(50, { timeout: 60_000 });
  tasks['Backup Credentials screen'] = await longest();
  await listsAll(keypairs, keypairs.getByRole('listitem'), 'Search SSH Keypairs', 2 * FLEET, 'nas1000-repl2');
  await listsAll(connections, connections.getByRole('listitem'), 'Search SSH Connections', 2 * FLEET, 'nas1000-to-nas0001-2');
  await expectAccessible(page, 'Backup Credentials with Search boxes and pages');
  console.log(`longest main-thread task at ${FLEET} systems (ms): ${JSON.stringify(tasks)}`);

  // The whole document as stored: the top and every part.
  const listed: { name: string; size: number }[] = await (await page.request.get('/api/v1/blobs')).json();
  const whole = listed.filter((b) => b.name.startsWith('metadata')).reduce((sum, b) => sum + b.size, 0);
  expect(whole).toBeGreaterThan(5_000_000);

  const other = await (await context(browser, keyhaven.url)).newPage();
  await signIn(other, user);
  await unlock(other);
  await openScreen(other, 'Backup Credentials');
  await expect(widget(other, 'SSH Connections').getByText(`1 – 50 of ${2 * FLEET}`)).toBeVisible({ timeout: 120_000 });
  await synced(other);

  // One edit: a connection renamed here, seen there.
  const sent = metadataTraffic(page);
  const received = metadataTraffic(other);
  await row(page, 'SSH Connections', 'nas0001-to-nas0002-1').getByRole('button', { name: 'nas0001-to-nas0002-1', exact: true }).click();
  const form = page.getByRole('dialog', { name: 'SSH Connections' });
  await form.getByLabel('Name', { exact: true }).fill('renamed-at-scale');
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(form).toBeHidden();
  await synced(page);
  // The new name sorts last: the search finds it, and the old one is gone.
  const search = widget(other, 'SSH Connections').getByRole('searchbox', { name: 'Search SSH Connections' });
  await search.fill('renamed-at-scale');
  await expect(row(other, 'SSH Connections', 'renamed-at-scale')).toHaveCount(1, { timeout: 30_000 });
  await search.fill('nas0001-to-nas0002-1');
  await expect(widget(other, 'SSH Connections').getByText('Nothing matches the search.')).toBeVisible();
  // Under 1 % of the document each way (once every body received is read).
  await received.read();
  expect(sent.up).toBeGreaterThan(0);
  expect(sent.up).toBeLessThan(whole / 100);
  expect(received.down).toBeGreaterThan(0);
  expect(received.down).toBeLessThan(whole / 100);
  console.log(`one edit at ${FLEET} systems: ${sent.up} bytes up, ${received.down} bytes down, of ${whole}`);
});
