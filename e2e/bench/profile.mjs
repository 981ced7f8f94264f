// Where the main thread's time goes at fleet scale: a CPU profile (Chrome
// DevTools Protocol) of each step on an account `cargo xtask fleet-account`
// made, summed by function. For people chasing a long task, not part of
// `cargo xtask bench`: build with `KEYHAVEN_WASM_NAMES=1 cargo xtask build`
// so the app's functions have names, serve it, then
//
//   KEYHAVEN_URL=http://127.0.0.1:PORT BENCH_USER=… BENCH_PASSWORD=…
//   BENCH_PASSPHRASE=… node bench/profile.mjs
//
// Prints, per step, the functions with the most time of their own and the
// app's functions with the most time including what they call.
import { chromium } from '@playwright/test';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const url = env('KEYHAVEN_URL');
const TOP = Number(process.env.PROFILE_TOP ?? 25);

const browser = await chromium.launch({
  executablePath: process.env.KEYHAVEN_CHROMIUM ?? '/usr/bin/chromium',
  args: (process.env.KEYHAVEN_CHROMIUM_ARGS ?? '--no-sandbox').split(' ').filter(Boolean),
});
const context = await browser.newContext();
const response = await context.request.post(`${url}/api/v1/session`, {
  data: { username: env('BENCH_USER'), password: env('BENCH_PASSWORD') },
});
if (!response.ok()) throw new Error(`sign-in failed: ${response.status()}`);
const page = await context.newPage();
const cdp = await context.newCDPSession(page);
await cdp.send('Profiler.enable');
await cdp.send('Profiler.setSamplingInterval', { interval: 200 });

/** Profiles `action` in the page `session` belongs to; prints the
 * heaviest functions. */
async function profiled(step, action) {
  await cdp.send('Profiler.start');
  await action();
  const { profile } = await cdp.send('Profiler.stop');
  summarize(step, profile);
}

/** Prints a profile's heaviest functions. */
function summarize(step, profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfMs = new Map();
  const totalMs = new Map();
  const dt = profile.timeDeltas;
  profile.samples.forEach((id, i) => {
    const ms = (dt[i + 1] ?? 0) / 1000;
    const name = (n) => n.callFrame.functionName || `(${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber})`;
    const leaf = byId.get(id);
    selfMs.set(name(leaf), (selfMs.get(name(leaf)) ?? 0) + ms);
    // Each function once per sample, however deep the recursion.
    const seen = new Set();
    for (let n = leaf; n; n = byId.get(parent.get(n.id))) {
      const f = name(n);
      if (!seen.has(f)) {
        seen.add(f);
        totalMs.set(f, (totalMs.get(f) ?? 0) + ms);
      }
    }
  });
  const top = (map, filter = () => true) =>
    [...map].filter(([f]) => filter(f)).sort((a, b) => b[1] - a[1]).slice(0, TOP)
      .map(([f, ms]) => `  ${ms.toFixed(1).padStart(8)} ms  ${f.slice(0, 150)}`).join('\n');
  const idle = (f) => !['(idle)', '(program)', '(root)', '(garbage collector)'].includes(f);
  console.log(`\n== ${step}: self time\n${top(selfMs, idle)}`);
  console.log(`== ${step}: time including callees (the app's and core's own functions)\n${top(totalMs, (f) => /keyhaven|leptos|reactive_graph/.test(f))}`);
}

const synced = (p = page) => p.getByText(/^Synced \d/).waitFor({ timeout: 300_000 });

await profiled('sign-in to the dashboard', async () => {
  await page.goto(`${url}/`);
  await page.getByRole('dialog', { name: 'Unlock Keyring' }).waitFor({ timeout: 300_000 });
  await synced();
});
await profiled('unlock', async () => {
  const dialog = page.getByRole('dialog', { name: 'Unlock Keyring' });
  await dialog.getByLabel('Passphrase').fill(env('BENCH_PASSPHRASE'));
  await dialog.getByRole('button', { name: 'OK' }).click();
  await dialog.waitFor({ state: 'hidden', timeout: 300_000 });
  await synced();
});
await profiled('Keyring screen (every Connected check)', async () => {
  await page.getByRole('link', { name: 'Keyring' }).click();
  // Done when no row of the first page is still checking.
  await page.getByRole('cell', { name: 'Checking…' }).first().waitFor({ state: 'detached', timeout: 300_000 });
  await page.getByRole('link', { name: 'Back to Dashboard' }).click();
});
await profiled('Backup Credentials', async () => {
  await page.getByRole('link', { name: 'Backup Credentials' }).click();
  await page.getByRole('region', { name: 'SSH Connections' }).getByRole('listitem').first().waitFor({ timeout: 300_000 });
});
// A second browser, unlocked, on Backup Credentials: profiled while it
// takes in the first one's edit.
const second = await browser.newContext();
await second.request.post(`${url}/api/v1/session`, {
  data: { username: env('BENCH_USER'), password: env('BENCH_PASSWORD') },
});
const other = await second.newPage();
await other.goto(`${url}/`);
const otherDialog = other.getByRole('dialog', { name: 'Unlock Keyring' });
await otherDialog.getByLabel('Passphrase').fill(env('BENCH_PASSPHRASE'));
await otherDialog.getByRole('button', { name: 'OK' }).click();
await otherDialog.waitFor({ state: 'hidden', timeout: 300_000 });
await other.getByRole('link', { name: 'Backup Credentials' }).click();
const search = other.getByRole('region', { name: 'SSH Connections' }).getByRole('searchbox');
// (The list shows a page at a time; a fleet's has a search box, found
// once the screen has drawn.)
await other.getByRole('region', { name: 'SSH Connections' }).getByRole('listitem').first().waitFor({ timeout: 300_000 });
if (await search.count()) await search.fill('profiled-rename');
await synced(other);
const otherCdp = await second.newCDPSession(other);
await otherCdp.send('Profiler.enable');
await otherCdp.send('Profiler.setSamplingInterval', { interval: 200 });
await otherCdp.send('Profiler.start');

await profiled('rename a connection (the editing browser, to its upload)', async () => {
  const connections = page.getByRole('region', { name: 'SSH Connections' });
  await connections.getByRole('button', { name: 'nas0001-to-nas0002-1', exact: true }).click();
  const form = page.getByRole('dialog', { name: 'SSH Connections' });
  await form.getByLabel('Name', { exact: true }).fill('profiled-rename');
  const uploaded = page.waitForResponse((r) => r.request().method() === 'PUT' && /\/blobs\/metadata$/.test(r.url()), { timeout: 300_000 });
  await form.getByRole('button', { name: 'Save' }).click();
  await uploaded;
});
await other.getByRole('region', { name: 'SSH Connections' }).getByRole('button', { name: 'profiled-rename', exact: true }).waitFor({ timeout: 300_000 });
summarize('… the second browser taking it in (to the new name shown)', (await otherCdp.send('Profiler.stop')).profile);
await browser.close();
