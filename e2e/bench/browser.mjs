// Browser benchmarks for `cargo xtask bench`: the app's own code paths in
// headless Chromium, each beside its anchor in the same browser. Prints one
// JSON object (milliseconds) on its last line.
//
// Env: KEYHAVEN_URL, BENCH_USER, BENCH_PASSWORD, BENCH_PASSPHRASE,
// BENCH_RUNS, BENCH_KEYGEN_RUNS, KEYHAVEN_CHROMIUM_ARGS.
import { chromium } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run with \`cargo xtask bench\``);
  return value;
};
const url = env('KEYHAVEN_URL');
const runs = Number(process.env.BENCH_RUNS ?? 7);
const keygenRuns = Number(process.env.BENCH_KEYGEN_RUNS ?? 15);

// Records every long task (≥ 50 ms on the main thread) from page start.
const observeLongTasks = () => {
  window.__longTasks = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) window.__longTasks.push([entry.startTime, entry.duration]);
  }).observe({ type: 'longtask', buffered: true });
};

// The first moment a button named `label` is in the page (from navigation start).
const watchButton = (label) => {
  const found = () => [...document.querySelectorAll('button')].some((b) => b.textContent.trim() === label);
  new MutationObserver((_, observer) => {
    if (window.__ready === undefined && found()) {
      window.__ready = performance.now();
      observer.disconnect();
    }
  }).observe(document, { childList: true, subtree: true });
};

/** The longest long task that started in [from, to]. */
const longestTask = (page, from, to) =>
  page.evaluate(
    ([a, b]) => Math.max(0, ...window.__longTasks.filter(([start]) => start >= a && start <= b).map(([, d]) => d)),
    [from, to],
  );

const browser = await chromium.launch({
  executablePath: process.env.KEYHAVEN_CHROMIUM ?? '/usr/bin/chromium',
  args: (process.env.KEYHAVEN_CHROMIUM_ARGS ?? '--no-sandbox').split(' ').filter(Boolean),
});
const result = {};

// The long-task observer must see a task it is shown, or its zeros mean nothing.
{
  const context = await browser.newContext();
  await context.addInitScript(observeLongTasks);
  const page = await context.newPage();
  await page.goto(`${url}/signin`);
  // A task of the page's own (DevTools' evaluations are not reported).
  const [start, end] = await page.evaluate(
    () =>
      new Promise((resolve) =>
        setTimeout(() => {
          const start = performance.now();
          while (performance.now() - start < 80) { /* a deliberate 80 ms task */ }
          resolve([start, performance.now()]);
        }, 0),
      ),
  );
  await page.waitForFunction(() => window.__longTasks.some(([, d]) => d >= 80));
  result.calibration_longest_task = await longestTask(page, start - 1, end);
  await context.close();
}

// App load: navigation to an interactive sign-in page, cold (a new profile),
// warm (the same profile again, once the service worker has the release)
// and offline (the service worker alone).
{
  const cold = [];
  const warm = [];
  const offline = [];
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext();
    await context.addInitScript(watchButton, 'Sign in');
    const page = await context.newPage();
    for (const into of [cold, warm, offline]) {
      await context.setOffline(into === offline);
      await page.goto(`${url}/signin`);
      await page.waitForFunction(() => window.__ready !== undefined);
      into.push(await page.evaluate(() => window.__ready));
      if (into === cold) await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    }
    await context.close();
  }
  result.load_cold = cold;
  result.load_warm = warm;
  result.load_offline = offline;
}

const context = await browser.newContext();
await context.addInitScript(observeLongTasks);
const signedIn = await context.request.post(`${url}/api/v1/session`, {
  data: { username: env('BENCH_USER'), password: env('BENCH_PASSWORD') },
});
if (!signedIn.ok()) throw new Error(`sign-in failed: ${signedIn.status()}`);
const page = await context.newPage();

// Unlock: the Unlock Keyring dialog's OK until the dialog is gone — Argon2id
// in the app's worker, then opening the keyring of 100 entries. Also which
// thread count the worker reported (its console note).
async function unlockTimes(page) {
  const threads = [];
  page.on('console', (message) => {
    const found = /Argon2id ran on (\d+) thread/.exec(message.text());
    if (found) threads.push(Number(found[1]));
  });
  const times = [];
  let longest = 0;
  for (let i = 0; i < runs; i++) {
    await page.goto(`${url}/keyring`);
    const dialog = page.getByRole('dialog', { name: 'Unlock Keyring' });
    // Typed as a person types it (about a second for its 28 characters),
    // not pasted in an instant: the worker and its helpers start when the
    // dialog opens and warm up while the passphrase is typed, which is
    // what they are for. The time is taken from OK.
    await dialog.getByLabel('Passphrase').pressSequentially(env('BENCH_PASSPHRASE'), { delay: 35 });
    const [start, end] = await page.evaluate(
      () =>
        new Promise((resolve) => {
          const dialog = () => document.querySelector('[aria-labelledby="dialog-unlock-keyring"]');
          const ok = [...dialog().querySelectorAll('button')].find((b) => b.textContent.trim() === 'OK');
          let start = 0;
          new MutationObserver((_, observer) => {
            if (!dialog()) {
              observer.disconnect();
              resolve([start, performance.now()]);
            }
          }).observe(document.body, { childList: true, subtree: true });
          // Clicked from a task of the page's own, so the long-task observer
          // sees the click handler too.
          setTimeout(() => {
            start = performance.now();
            ok.click();
          }, 0);
        }),
    );
    times.push(end - start);
    longest = Math.max(longest, await longestTask(page, start, end));
  }
  return { times, longest, threads: [...new Set(threads)] };
}

// Cross-origin isolated, as Keyhaven serves it: parallel lanes.
{
  const { times, longest, threads } = await unlockTimes(page);
  result.unlock = times;
  result.unlock_longest_task = longest;
  result.unlock_threads = threads;
}

// Not isolated (a proxy dropping COEP; no service worker to answer from its
// cache): the worker derives on one thread.
{
  const plain = await browser.newContext({ serviceWorkers: 'block' });
  await plain.addInitScript(observeLongTasks);
  await plain.route('**/*', async (route) => {
    const response = await route.fetch();
    const headers = { ...response.headers() };
    delete headers['cross-origin-embedder-policy'];
    await route.fulfill({ response, headers });
  });
  const signedIn = await plain.request.post(`${url}/api/v1/session`, {
    data: { username: env('BENCH_USER'), password: env('BENCH_PASSWORD') },
  });
  if (!signedIn.ok()) throw new Error(`sign-in failed: ${signedIn.status()}`);
  const { times, longest, threads } = await unlockTimes(await plain.newPage());
  result.unlock_one_thread = times;
  result.unlock_one_thread_longest_task = longest;
  result.unlock_one_thread_threads = threads;
  await plain.unrouteAll({ behavior: 'ignoreErrors' });
  await plain.close();
}

// The KDF alone, as hash-wasm is timed: the app's key worker (started in
// the app's page, which is cross-origin isolated), once it and its helpers
// are up, asked for Argon2id with the keyring's parameters.
{
  await page.goto(`${url}/signin`);
  result.kdf_worker = await page.evaluate(async (runs) => {
    const worker = new Worker('/worker-boot.js');
    await new Promise((resolve) => {
      worker.onmessage = (event) => event.data === 'ready' && resolve();
    });
    // Its helpers start and warm up (as while a passphrase is typed).
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const times = [];
    for (let id = 0; id < runs; id++) {
      const start = performance.now();
      const reply = await new Promise((resolve) => {
        worker.onmessage = (event) => resolve(event.data);
        worker.postMessage({
          id, kind: 'argon2id', secret: new TextEncoder().encode('benchmark passphrase'),
          salt: crypto.getRandomValues(new Uint8Array(16)), memory: 65536, passes: 3, lanes: 4,
        });
      });
      if (!reply.key) throw new Error(`the key worker failed: ${reply.error}`);
      times.push(performance.now() - start);
    }
    worker.terminate();
    return times;
  }, runs);
}

// hash-wasm's Argon2id, same parameters, same browser (a blank page: no CSP).
{
  const anchor = await context.newPage();
  await anchor.goto('about:blank');
  await anchor.addScriptTag({ path: require.resolve('hash-wasm/dist/argon2.umd.min.js') });
  const times = [];
  for (let i = 0; i < runs; i++) {
    times.push(
      await anchor.evaluate(async () => {
        const salt = crypto.getRandomValues(new Uint8Array(16));
        const start = performance.now();
        await hashwasm.argon2id({
          password: 'benchmark passphrase', salt, parallelism: 4, iterations: 3,
          memorySize: 65536, hashLength: 32, outputType: 'binary',
        });
        return performance.now() - start;
      }),
    );
  }
  result.hash_wasm = times;
  await anchor.close();
}

// Key generation as the app does it: Generate Keypair until the app writes
// the key into the Private Key field.
{
  await page.goto(`${url}/credentials/backup`);
  const unlock = page.getByRole('dialog', { name: 'Unlock Keyring' });
  await unlock.getByLabel('Passphrase').fill(env('BENCH_PASSPHRASE'));
  await unlock.getByRole('button', { name: 'OK' }).click();
  await unlock.waitFor({ state: 'hidden' });
  await page.getByRole('region', { name: 'SSH Keypairs' }).getByRole('button', { name: 'Add' }).click();
  const form = page.getByRole('dialog', { name: 'SSH Keypairs' });
  result.keygen = {};
  result.keygen_longest_task = {};
  for (const type of ['Ed25519', 'ECDSA', 'RSA 3072', 'RSA 4096']) {
    await form.getByLabel('Key Type').selectOption(type);
    const times = [];
    let longest = 0;
    for (let i = 0; i < keygenRuns; i++) {
      const [start, end] = await page.evaluate(
        () =>
          new Promise((resolve) => {
            const dialog = document.querySelector('[aria-labelledby="dialog-ssh-keypairs"]');
            const field = dialog.querySelector('textarea');
            field.value = '';
            const button = [...dialog.querySelectorAll('button')].find((b) => b.textContent.trim() === 'Generate Keypair');
            // The moment the app writes the key into the field: its value
            // setter, watched on this element (no polling to steal a core).
            const native = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value');
            let start = 0;
            Object.defineProperty(field, 'value', {
              configurable: true,
              get() { return native.get.call(this); },
              set(value) {
                native.set.call(this, value);
                if (String(value).includes('BEGIN OPENSSH PRIVATE KEY')) {
                  const end = performance.now();
                  delete field.value;
                  resolve([start, end]);
                }
              },
            });
            setTimeout(() => {
              start = performance.now();
              button.click();
            }, 0);
          }),
      );
      times.push(end - start);
      longest = Math.max(longest, await longestTask(page, start, end));
    }
    result.keygen[type] = times;
    result.keygen_longest_task[type] = longest;
  }
  await form.getByRole('button', { name: 'Close' }).click();
}

// Importing a passphrase-protected OpenSSH key (bcrypt-pbkdf, ssh-keygen's
// 16 rounds): Save until "SSH Keypair saved", and the longest task meanwhile.
{
  const form = page.getByRole('dialog', { name: 'SSH Keypairs' });
  const times = [];
  let longest = 0;
  for (let i = 0; i < runs; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'keyhaven-bench-enc-'));
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'bench key passphrase', '-f', join(dir, 'key')]);
    const text = readFileSync(join(dir, 'key'), 'utf8');
    rmSync(dir, { recursive: true, force: true });
    await page.getByRole('region', { name: 'SSH Keypairs' }).getByRole('button', { name: 'Add' }).click();
    await form.getByLabel('Name', { exact: true }).fill(`imported-${i}`);
    await form.getByLabel('Private Key', { exact: true }).fill(text);
    await form.getByLabel('Private Key Passphrase').fill('bench key passphrase');
    const [start, end] = await page.evaluate(
      () =>
        new Promise((resolve) => {
          const dialog = document.querySelector('[aria-labelledby="dialog-ssh-keypairs"]');
          const save = [...dialog.querySelectorAll('button')].find((b) => b.textContent.trim() === 'Save');
          let start = 0;
          new MutationObserver((_, observer) => {
            if (dialog.textContent.includes('SSH Keypair saved')) {
              observer.disconnect();
              resolve([start, performance.now()]);
            }
          }).observe(dialog, { childList: true, subtree: true, characterData: true });
          setTimeout(() => {
            start = performance.now();
            save.click();
          }, 0);
        }),
    );
    times.push(end - start);
    longest = Math.max(longest, await longestTask(page, start, end));
    await form.getByRole('button', { name: 'Close' }).click();
  }
  result.import_encrypted = times;
  result.import_encrypted_longest_task = longest;
}

await browser.close();
console.log(JSON.stringify(result));
