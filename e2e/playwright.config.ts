import { defineConfig } from '@playwright/test';

// `cargo xtask test` starts a fresh server and passes its URL; Chromium is
// Debian's (Playwright's own browser download can't work here).
const baseURL = process.env.KEYHAVEN_URL;
if (!baseURL) {
  throw new Error('KEYHAVEN_URL is not set: run the e2e suite with `cargo xtask test`.');
}

export default defineConfig({
  testDir: './tests',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: true,
  reporter: [['list'], ['json']],
  use: {
    baseURL,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.KEYHAVEN_CHROMIUM ?? '/usr/bin/chromium',
      args: (process.env.KEYHAVEN_CHROMIUM_ARGS ?? '--no-sandbox').split(' ').filter(Boolean),
    },
  },
});
