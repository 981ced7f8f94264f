// Live-sync benchmark for `cargo xtask bench`: two browser contexts signed
// in to one account (on one server, or on two servers sharing a database);
// each edit is timed from Save in the first to the new name showing in the
// second — no focus change, no reload. Prints one JSON object (milliseconds)
// on its last line.
//
// Env: KEYHAVEN_URL, KEYHAVEN_URL_2 (default: the first), BENCH_EDITS,
// KEYHAVEN_CHROMIUM_ARGS.
import { chromium, expect } from '@playwright/test';

const first = process.env.KEYHAVEN_URL;
if (!first) throw new Error('KEYHAVEN_URL is not set: run with `cargo xtask bench`');
const second = process.env.KEYHAVEN_URL_2 ?? first;
const edits = Number(process.env.BENCH_EDITS ?? 30);

const browser = await chromium.launch({
  executablePath: process.env.KEYHAVEN_CHROMIUM ?? '/usr/bin/chromium',
  args: (process.env.KEYHAVEN_CHROMIUM_ARGS ?? '--no-sandbox').split(' ').filter(Boolean),
});
const user = `live-${Date.now().toString(36)}`;
const password = 'benchmark account password';

async function signedIn(url, create) {
  const context = await browser.newContext();
  const response = await context.request.post(`${url}/api/v1/${create ? 'accounts' : 'session'}`, {
    data: { username: user, password },
  });
  if (!response.ok()) throw new Error(`sign-in failed: ${response.status()}`);
  const page = await context.newPage();
  await page.goto(`${url}/`);
  await expect(page.getByRole('heading', { name: 'Dashboard' })).toBeVisible();
  return page;
}

const page = await signedIn(first, true);
const other = await signedIn(second, false);
const latencies = [];
for (let i = 0; i < edits; i++) {
  const name = `live-${i}`;
  await page.getByRole('button', { name: 'Add System' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add System' });
  await dialog.getByLabel('Name').fill(name);
  await dialog.getByLabel('TrueNAS URL').fill(`https://${name}.example`);
  // The second browser notes the moment the name shows (wall clock: both
  // pages run on this machine).
  const seen = other.evaluate(
    (wanted) =>
      new Promise((resolve) => {
        const found = () => [...document.querySelectorAll('td, th, span, a, button')].some((e) => e.textContent.trim() === wanted);
        new MutationObserver((_, observer) => {
          if (found()) {
            observer.disconnect();
            resolve(performance.timeOrigin + performance.now());
          }
        }).observe(document, { childList: true, subtree: true, characterData: true });
      }),
    name,
  );
  const clicked = await page.evaluate(() => {
    const save = [...document.querySelectorAll('[role="dialog"] button')].find((b) => b.textContent.trim() === 'Save');
    const at = performance.timeOrigin + performance.now();
    save.click();
    return at;
  });
  latencies.push((await seen) - clicked);
  await expect(dialog).toBeHidden();
}
await browser.close();
console.log(JSON.stringify({ latencies }));
