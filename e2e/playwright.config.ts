// End-to-end tests: a real coordinator started the way the README says (`npm start` from the
// repository root, on a fresh data folder) and real headless Chromium, with WebGPU served by
// SwiftShader so the GPU path runs on machines without a GPU.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './chromiumLaunch';

const e2eDir = fileURLToPath(new URL('.', import.meta.url));
const repoRoot = join(e2eDir, '..');

// Playwright evaluates this file again in every worker process, which inherit the runner's
// environment: deciding the port and wiping the data folder only where they are still unset
// keeps a worker from wiping the folder of the coordinator that is already running.
process.env.TESSERA_E2E_PORT ??= '18080';
process.env.TESSERA_E2E_TOKEN ??= 'e2e-token';
if (process.env.TESSERA_E2E_DATA === undefined) {
  const dataDir = join(e2eDir, '.tmp', 'coordinator-data');
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  process.env.TESSERA_E2E_DATA = dataDir;
}
const port = process.env.TESSERA_E2E_PORT;
const baseURL = `http://127.0.0.1:${port}`;

export default defineConfig({
  testDir: './tests',
  // Everything a run leaves behind (screenshots, traces) lands under e2e/artifacts, gitignored.
  outputDir: './artifacts/test-results',
  // One coordinator is shared by the tests, and a test's tabs compete for a machine's cores.
  workers: 1,
  fullyParallel: false,
  forbidOnly: Boolean(process.env.CI),
  retries: 0,
  timeout: 180_000,
  expect: { timeout: 15_000 },
  reporter: [['list']],
  use: {
    baseURL,
    headless: true,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: CHROMIUM_PATH,
      args: CHROMIUM_ARGS,
    },
  },
  webServer: {
    command: 'npm start',
    cwd: repoRoot,
    env: {
      PORT: port,
      HOST: '127.0.0.1',
      TESSERA_DATA: process.env.TESSERA_E2E_DATA,
      TESSERA_TOKEN: process.env.TESSERA_E2E_TOKEN,
      // One coordinator on SQLite, whatever the machine's environment says.
      DATABASE_URL: '',
      REDIS_URL: '',
      // Request lines would bury the test report; warnings and errors still show.
      LOG_LEVEL: 'warn',
    },
    url: `${baseURL}/healthz`,
    timeout: 180_000,
    reuseExistingServer: false,
    stdout: 'pipe',
    stderr: 'pipe',
  },
});
