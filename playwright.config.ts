import { existsSync } from "node:fs";
import { defineConfig, devices } from "@playwright/test";

/**
 * Browser tests run in Debian's Chromium against a production build
 * (`next build` + `next start`), one server for the whole run. `npm test`
 * (scripts/test.ts) builds, provides the database and the emulator, and sets
 * the environment; running `playwright test` alone expects the same.
 */
const chromium = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
if (!existsSync(chromium)) {
  throw new Error(
    `Chromium was not found at ${chromium}. Install it once with:\n\n    apt-get install -y chromium\n\n(or set CHROMIUM_PATH to a Chromium binary).`,
  );
}

const port = Number(process.env.E2E_PORT || 3100);
// "localhost", like the URL Next builds for route handlers, so Auth.js sees one origin.
export const baseURL = `http://localhost:${port}`;

export default defineConfig({
  testDir: "./e2e",
  // Parallel runs with their own NEXT_DIST_DIR get their own artifacts folder.
  outputDir: process.env.NEXT_DIST_DIR ? `test-results-${process.env.NEXT_DIST_DIR.replace(/[^\w-]/g, "")}` : "test-results",
  fullyParallel: false,
  workers: process.env.E2E_WORKERS ? Number(process.env.E2E_WORKERS) : 2,
  retries: process.env.CI ? 1 : 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: process.env.CI ? [["list"]] : [["list"]],
  globalSetup: "./e2e/global-setup.ts",
  use: {
    baseURL,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: chromium,
      args: [
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
        "--disable-gpu",
        "--disable-dev-shm-usage",
      ],
    },
  },
  projects: [{ name: "chromium", use: { ...devices["Desktop Chrome"], channel: undefined } }],
  webServer: {
    command: `node_modules/.bin/next start -p ${port} -H 127.0.0.1`,
    url: `${baseURL}/signin`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: "ignore",
    stderr: "pipe",
  },
});
