// A fleet on the Keyring screen: its Connected column checks at most 16
// systems at once against systems that answer slowly, shows each result as
// it comes, and leaving the screen stops what has not started.
import { execFileSync } from 'node:child_process';
import { expect, test, type Page } from '@playwright/test';
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

/** Opens a screen from the dashboard. It renders every item at once (all
 * 4,000 keypairs and connections: seconds, not yet in slices), so it is
 * given a minute. */
async function openScreen(page: Page, name: string) {
  await page.getByRole('link', { name }).click();
  await expect(page.getByRole('heading', { name, level: 1 })).toBeVisible({ timeout: 60_000 });
}

/** Bytes of the metadata's blobs `page` sends (`up`) and receives (`down`)
 * from now on. */
function metadataTraffic(page: Page) {
  const seen = { up: 0, down: 0 };
  page.on('request', (request) => {
    if (request.method() === 'PUT' && /\/api\/v1\/blobs\/metadata/.test(request.url())) {
      seen.up += request.postDataBuffer()?.length ?? 0;
    }
  });
  page.on('response', async (response) => {
    if (response.request().method() === 'GET' && /\/api\/v1\/blobs\/metadata/.test(response.url())) {
      seen.down += (await response.body()).length;
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
  await signIn(page, user);
  const systems = page.getByRole('region', { name: 'TrueNAS Systems' }).getByRole('row');
  await expect(systems).toHaveCount(FLEET + 1, { timeout: 120_000 });
  await expect(systems.filter({ hasText: 'nas1000' })).toHaveCount(1);
  await unlock(page);
  await synced(page);

  await page.getByRole('link', { name: 'Keyring' }).click();
  const keys = page.getByRole('row').filter({ hasText: 'Stored' });
  await expect(keys).toHaveCount(FLEET, { timeout: 60_000 });
  await page.getByRole('link', { name: 'Back to Dashboard' }).click();

  await openScreen(page, 'Backup Credentials');
  await expect(widget(page, 'SSH Keypairs').getByRole('listitem')).toHaveCount(2 * FLEET, { timeout: 60_000 });
  await expect(widget(page, 'SSH Connections').getByRole('listitem')).toHaveCount(2 * FLEET, { timeout: 60_000 });

  // The whole document as stored: the top and every part.
  const listed: { name: string; size: number }[] = await (await page.request.get('/api/v1/blobs')).json();
  const whole = listed.filter((b) => b.name.startsWith('metadata')).reduce((sum, b) => sum + b.size, 0);
  expect(whole).toBeGreaterThan(5_000_000);

  const other = await (await context(browser, keyhaven.url)).newPage();
  await signIn(other, user);
  await unlock(other);
  await openScreen(other, 'Backup Credentials');
  await expect(widget(other, 'SSH Connections').getByRole('listitem')).toHaveCount(2 * FLEET, { timeout: 120_000 });
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
  await expect(row(other, 'SSH Connections', 'renamed-at-scale')).toHaveCount(1, { timeout: 30_000 });
  await expect(row(other, 'SSH Connections', 'nas0001-to-nas0002-1')).toHaveCount(0);
  // Under 1 % of the document each way.
  expect(sent.up).toBeGreaterThan(0);
  expect(sent.up).toBeLessThan(whole / 100);
  expect(received.down).toBeGreaterThan(0);
  expect(received.down).toBeLessThan(whole / 100);
  console.log(`one edit at ${FLEET} systems: ${sent.up} bytes up, ${received.down} bytes down, of ${whole}`);
});
