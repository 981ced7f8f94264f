// Scale benchmark for `cargo xtask bench`: generated fleets (`cargo xtask
// fleet-account`, every system's URL one simulator that answers late) opened
// in headless Chromium. For each fleet, several visits in a fresh browser
// profile (sign-in, unlock, the Keyring screen and its Connected checks,
// Backup Credentials), then edits seen by a second browser. Prints one JSON
// object on its last line: per fleet, arrays of samples (milliseconds,
// bytes).
//
// Env: KEYHAVEN_URL, BENCH_FLEETS (JSON: [{ "systems": N, "user": "…" }]),
// BENCH_PASSWORD, BENCH_PASSPHRASE, BENCH_SIM_PORT, BENCH_RUNS, BENCH_EDITS,
// KEYHAVEN_CHROMIUM_ARGS.
import { chromium } from '@playwright/test';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run with \`cargo xtask bench\``);
  return value;
};
const url = env('KEYHAVEN_URL');
const fleets = JSON.parse(env('BENCH_FLEETS'));
const simPort = env('BENCH_SIM_PORT');
const runs = Number(process.env.BENCH_RUNS ?? 3);
const edits = Number(process.env.BENCH_EDITS ?? 5);
const PAGE = 50;

const browser = await chromium.launch({
  executablePath: process.env.KEYHAVEN_CHROMIUM ?? '/usr/bin/chromium',
  args: (process.env.KEYHAVEN_CHROMIUM_ARGS ?? '--no-sandbox').split(' ').filter(Boolean),
});

// In every page: its long tasks (≥ 50 ms on the main thread), and each
// IndexedDB write timed from `put` to its transaction's commit (the app
// stores its whole copy in one put).
function instrument() {
  window.__longTasks = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) window.__longTasks.push([entry.startTime, entry.duration]);
  }).observe({ type: 'longtask', buffered: true });
  window.__saves = [];
  const put = IDBObjectStore.prototype.put;
  IDBObjectStore.prototype.put = function (...args) {
    const start = performance.now();
    this.transaction.addEventListener('complete', () => window.__saves.push(performance.now() - start));
    return put.apply(this, args);
  };
}

/** The longest task that started at or after `from` (page time). */
const longestSince = (page, from) =>
  page.evaluate((a) => Math.max(0, ...window.__longTasks.filter(([start]) => start >= a).map(([, d]) => d)), from);

/** Clicks `label` (a link or button, by its text or accessible name) from a
 * task of the page's own, so the long-task observer sees its handler;
 * returns the page time of the click. */
const click = (page, label) =>
  page.evaluate(
    (label) =>
      new Promise((resolve) =>
        setTimeout(() => {
          const target = [...document.querySelectorAll('a, button')].find(
            (e) => e.textContent.trim() === label || e.getAttribute('aria-label') === label,
          );
          if (!target) throw new Error(`no ${label}`);
          const at = performance.now();
          target.click();
          resolve(at);
        }, 0),
      ),
    label,
  );

/** The page time at which `predicate(arg)` first holds, checked every
 * frame: a predicate answers `performance.now()` when it holds. */
async function when(page, predicate, arg) {
  const handle = await page.waitForFunction(predicate, arg, { polling: 'raf', timeout: 300_000 });
  return handle.jsonValue();
}

// The rows a card's table lists (its heading names it), and those of the
// Keyring screen's table that have a key stored.
const cardRows = ([title, n]) =>
  ([...document.querySelectorAll('section')].find((s) => s.querySelector('h2')?.textContent.trim() === title)?.querySelectorAll('tbody tr')
    .length ?? 0) >= n && performance.now();
const storedRows = (n) =>
  [...document.querySelectorAll('main tbody tr')].filter((r) => r.cells[1]?.textContent === 'Stored').length >= n && performance.now();
const connectedResult = () =>
  [...document.querySelectorAll('main tbody tr')].some((r) => /^(True|False)/.test(r.cells[2]?.textContent ?? '')) && performance.now();
/** Both Backup Credentials widgets list `n` items. */
const widgetItems = (n) =>
  ['SSH Keypairs', 'SSH Connections'].every(
    (title) =>
      ([...document.querySelectorAll('section')].find((s) => s.querySelector('h2')?.textContent.trim() === title)?.querySelectorAll('li')
        .length ?? 0) >= n,
  ) && performance.now();

/** The WebSockets `page` opens to the simulator from now on; `all(n)`
 * resolves once `n` have opened and every one has closed, with the wall
 * time of the last close (a Connected check opens one). */
function sockets(page) {
  let opened = 0;
  let closed = 0;
  let settle = () => {};
  const finished = new Promise((resolve) => { settle = resolve; });
  let wanted = Infinity;
  page.on('websocket', (ws) => {
    if (!ws.url().includes(`:${simPort}/`)) return;
    opened += 1;
    ws.on('close', () => {
      closed += 1;
      if (opened >= wanted && closed === opened) settle(Date.now());
    });
  });
  return {
    all: (n) => {
      wanted = n;
      return finished;
    },
  };
}

async function signedIn(user) {
  const context = await browser.newContext();
  await context.addInitScript(instrument);
  const response = await context.request.post(`${url}/api/v1/session`, {
    data: { username: user, password: env('BENCH_PASSWORD') },
  });
  if (!response.ok()) throw new Error(`sign-in failed: ${response.status()}`);
  return context.newPage();
}

/** Answers the Unlock Keyring dialog; returns [OK clicked, dialog gone]
 * (page time). The passphrase is typed as a person types it: the key
 * worker warms up meanwhile, as it does for people. */
async function unlock(page) {
  const dialog = page.getByRole('dialog', { name: 'Unlock Keyring' });
  await dialog.getByLabel('Passphrase').pressSequentially(env('BENCH_PASSPHRASE'), { delay: 35 });
  const start = await click(page, 'OK');
  const end = await when(page, () => !document.querySelector('[aria-labelledby="dialog-unlock-keyring"]') && performance.now());
  return [start, end];
}

const synced = (page) =>
  when(page, () => [...document.querySelectorAll('*')].some((e) => e.children.length === 0 && /^Synced \d/.test(e.textContent)) && performance.now());

/** One visit in a fresh profile: every step's time and its longest task. */
async function visit(systems, user, out) {
  const page = await signedIn(user);
  const listed = Math.min(systems, PAGE);
  await page.goto(`${url}/`);
  // From navigation: the app's load, the document's parts fetched and taken in.
  out.signin.push(await when(page, cardRows, ['TrueNAS Systems', listed]));
  out.signin_task.push(await longestSince(page, 0));

  const [ok, gone] = await unlock(page);
  await synced(page);
  out.unlock.push(gone - ok);
  out.unlock_task.push(await longestSince(page, ok));

  const checks = sockets(page);
  const origin = await page.evaluate(() => performance.timeOrigin);
  const keyringAt = await click(page, 'Keyring');
  out.keyring.push((await when(page, storedRows, listed)) - keyringAt);
  out.connected_first.push((await when(page, connectedResult)) - keyringAt);
  out.connected_last.push((await checks.all(systems)) - (origin + keyringAt));
  out.keyring_task.push(await longestSince(page, keyringAt));

  await click(page, 'Back to Dashboard');
  await when(page, cardRows, ['TrueNAS Systems', listed]);
  const backupAt = await click(page, 'Backup Credentials');
  const items = Math.min(2 * systems, PAGE);
  out.backup.push((await when(page, widgetItems, items)) - backupAt);
  // The placements ("On nas…") read keychains after the first render.
  await page.waitForTimeout(1000); // a fixed observation window, not a wait for a condition
  out.backup_task.push(await longestSince(page, backupAt));
  out.idb_save.push(await page.evaluate(() => Math.max(0, ...window.__saves)));
  return page;
}

/** Bytes of the metadata's blobs `page` sends and receives from now on. */
function traffic(page) {
  const reading = [];
  const seen = { up: 0, down: 0, read: () => Promise.all(reading) };
  page.on('request', (request) => {
    if (request.method() === 'PUT' && /\/api\/v1\/blobs\/metadata/.test(request.url())) seen.up += request.postDataBuffer()?.length ?? 0;
  });
  page.on('response', (response) => {
    if (response.request().method() === 'GET' && /\/api\/v1\/blobs\/metadata/.test(response.url())) {
      reading.push(response.body().then((body) => { seen.down += body.length; }));
    }
  });
  return seen;
}

/** Types `text` into a widget's Search box, if it has one (lists of more
 * than a page). */
async function search(page, title, text) {
  const box = page.getByRole('region', { name: title }).getByRole('searchbox');
  if (await box.count()) await box.fill(text);
}

/** Renames a connection in `page` and times it to `other`'s screen. */
async function edit(page, other, from, to, out) {
  await search(page, 'SSH Connections', from);
  await search(other, 'SSH Connections', to);
  const sent = traffic(page);
  const received = traffic(other);
  await page.getByRole('region', { name: 'SSH Connections' }).getByRole('button', { name: from, exact: true }).click();
  const form = page.getByRole('dialog', { name: 'SSH Connections' });
  await form.getByLabel('Name', { exact: true }).fill(to);
  const seen = other.evaluate(
    (wanted) =>
      new Promise((resolve) => {
        const found = () => [...document.querySelectorAll('li button')].some((e) => e.textContent.trim() === wanted);
        new MutationObserver((_, observer) => {
          if (found()) {
            observer.disconnect();
            resolve(performance.timeOrigin + performance.now());
          }
        }).observe(document, { childList: true, subtree: true, characterData: true });
      }),
    to,
  );
  const saved = await page.evaluate(() => {
    const save = [...document.querySelectorAll('[role="dialog"] button')].find((b) => b.textContent.trim() === 'Save');
    const at = performance.timeOrigin + performance.now();
    save.click();
    return at;
  });
  out.edit_latency.push((await seen) - saved);
  await form.waitFor({ state: 'hidden' });
  await received.read();
  out.edit_up.push(sent.up);
  out.edit_down.push(received.down);
}

const results = [];
for (const { systems, user } of fleets) {
  const out = {
    systems, signin: [], signin_task: [], unlock: [], unlock_task: [], keyring: [], keyring_task: [],
    connected_first: [], connected_last: [], backup: [], backup_task: [], idb_save: [],
    edit_up: [], edit_down: [], edit_latency: [],
  };
  let page;
  for (let i = 0; i < runs; i++) {
    if (page) await page.context().close();
    page = await visit(systems, user, out);
    console.error(`    ${systems} systems, visit ${i + 1}: ${JSON.stringify(Object.fromEntries(Object.entries(out).map(([k, v]) => [k, Array.isArray(v) ? v.at(-1) : v])))}`);
  }
  const other = await signedIn(user);
  await other.goto(`${url}/`);
  await unlock(other);
  await click(other, 'Backup Credentials');
  await when(other, widgetItems, 1);
  await synced(other);
  let name = 'nas0001-to-nas0002-1';
  for (let i = 0; i < edits; i++) {
    const to = `scale-edit-${i}`;
    await edit(page, other, name, to, out);
    name = to;
  }
  console.error(`    ${systems} systems, edits: ${JSON.stringify({ up: out.edit_up, down: out.edit_down, latency: out.edit_latency })}`);
  await page.context().close();
  await other.context().close();
  results.push(out);
}
await browser.close();
console.log(JSON.stringify({ fleets: results }));
