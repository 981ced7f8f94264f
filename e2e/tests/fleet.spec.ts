// A fleet on the Keyring screen: its Connected column checks at most 16
// systems at once against systems that answer slowly, shows each result as
// it comes, and leaving the screen stops what has not started.
import { expect, test, type Page } from '@playwright/test';
import { addSystem, createAccount, createKeyring, uniqueName } from './helpers';
import { context, server, sim, stopAfterEach } from './own';

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
