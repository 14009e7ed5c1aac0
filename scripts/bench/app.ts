/**
 * The running app for the benches that drive it: `next start` on a free port,
 * Debian Chromium through Playwright's library API, signing in, and a cleanup
 * stack that also runs on Ctrl-C.
 */
import { existsSync } from "node:fs";
import { chromium, type Browser, type Page } from "@playwright/test";
import { freePort } from "@/scripts/testing/free-port";
import { startNextServer } from "@/scripts/testing/next-server";
import type { Log } from "./build";

/** `next start` on a free port, ready when /signin answers (its own process group, so stop() ends it and its children). */
export async function startNext(distDir: string, env: NodeJS.ProcessEnv, log: Log): Promise<{ baseUrl: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const baseUrl = `http://localhost:${port}`;
  const server = await startNextServer({ port, distDir, env: { ...env, AUTH_URL: baseUrl }, readyPath: "/signin" });
  log(`next start on ${baseUrl} (pid ${server.pid})`);
  return { baseUrl, stop: server.stop };
}

/** Debian's Chromium (CHROMIUM_PATH overrides), with the flags the browser tests use. */
export async function launchChromium(): Promise<Browser> {
  const executablePath = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
  if (!existsSync(executablePath)) throw new Error(`Chromium was not found at ${executablePath}. Install it with: apt-get install -y chromium`);
  return chromium.launch({
    executablePath,
    args: ["--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic", "--disable-gpu", "--disable-dev-shm-usage"],
  });
}

export async function signIn(page: Page, baseUrl: string, email: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/signin`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByTestId("current-user").waitFor({ timeout: 30_000 });
}

/** Runs `fn` with a cleanup stack that also runs on SIGINT/SIGTERM; returns fn's exit code. */
export async function withCleanup(fn: (defer: (f: () => Promise<void> | void) => void) => Promise<number>): Promise<number> {
  const stack: Array<() => Promise<void> | void> = [];
  let cleaning: Promise<void> | null = null;
  const cleanup = () =>
    (cleaning ??= (async () => {
      for (const f of stack.reverse()) await Promise.resolve(f()).catch((e: unknown) => console.error(e));
    })());
  const onSignal = () => {
    void cleanup().then(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    return await fn((f) => stack.push(f));
  } finally {
    await cleanup();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
