/**
 * The README's screenshot of a real comparison report:
 *
 *   npx tsx --conditions=react-server scripts/screenshot-report.ts [--out docs/images/comparison-report.png] [--dark]
 *
 * Starts its own database (scratch on DATABASE_URL's server, or a throw-away
 * embedded PostgreSQL), the development seed (members, environments), a
 * Nyckel emulator, and `next start` on a production build (NEXT_DIST_DIR,
 * default .next-bench-table, shared with bench:table; rebuilt only when sources are newer). Then, in
 * Chromium, as the seeded editor: syncs the functions, registers the oldest
 * model of "Support ticket triage", uploads a 200-sample CSV with ground
 * truth through the upload route, starts a comparison (oldest model vs
 * latest) from the form, waits for the job to finish against the emulator,
 * and captures the report at 1400 px wide. Stops everything it started.
 */
import { statSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "@/scripts/db/database";
import { seededFunction } from "./emulator/seed";
import { DEV_USERS } from "@/lib/seed/dev-users";
import { launchChromium, signIn, withCleanup } from "./bench/app";
import { startSeededApp } from "./bench/seeded-app";
import { cliOptions, exitWithMain } from "./cli/args";

const args = cliOptions({ out: { type: "string", default: "docs/images/comparison-report.png" }, dark: { type: "boolean", default: false } });
const OUT = args.out;
const DARK = args.dark;
const DIST_DIR = process.env.NEXT_DIST_DIR || ".next-bench-table";
const log = (line: string) => console.log(`[screenshot] ${line}`);

const TICKETS: Record<string, string[]> = {
  Billing: ["I was charged twice on my last invoice", "Why did the price of my subscription go up?", "My card payment failed but I was still billed"],
  "Technical issue": ["The app crashes when I open settings", "Export is broken since the update, it fails every time", "Everything is very slow today, pages time out"],
  "Account access": ["I can't log in after changing my password", "My account is locked after too many 2FA codes", "Sign in says my username does not exist"],
  "Refund request": ["Please refund my order, it arrived damaged", "I want my money back for the annual plan", "Can you reimburse the duplicate payment?"],
  "Feature request": ["It would be nice to have a dark mode", "Please add an export to Excel", "Could you add SSO for our team?"],
};

/** 200 tickets with ground truth; a few are labelled by a human who disagreed with the keywords. */
function ticketsCsv(): string {
  const labels = Object.keys(TICKETS);
  const lines = ["text,label"];
  for (let i = 0; i < 200; i++) {
    const label = labels[i % labels.length]!;
    const texts = TICKETS[label]!;
    const text = `${texts[Math.floor(i / labels.length) % texts.length]} (ticket ${1000 + i * 37})`;
    const truth = i % 23 === 0 ? labels[(i + 2) % labels.length]! : label;
    lines.push(`"${text.replace(/"/g, '""')}",${truth}`);
  }
  return lines.join("\n") + "\n";
}

async function main(): Promise<number> {
  process.chdir(repoRoot());
  return withCleanup(async (defer) => {
    const { server } = await startSeededApp("screenshot-report", DIST_DIR, defer, log);
    const browser = await launchChromium();
    defer(() => browser.close());
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, colorScheme: DARK ? "dark" : "light" });
    const page = await context.newPage();
    const editor = DEV_USERS.find((u) => u.role === "editor")!;
    await signIn(page, server.baseUrl, editor.email, editor.password);

    const fn = seededFunction("support-triage");
    // The server's job workers sync from the emulator when they start: wait for that first sync.
    const link = page.getByTestId("functions-table").getByRole("link", { name: fn.name });
    for (const until = Date.now() + 60_000; ; await new Promise((r) => setTimeout(r, 1000))) {
      await page.goto(`${server.baseUrl}/functions`);
      if (await link.isVisible()) break;
      if (Date.now() > until) throw new Error("the server's first sync did not bring the emulator's functions within 60 s");
    }
    await page.goto(`${server.baseUrl}/functions/${fn.id}`);
    const form = page.getByRole("form", { name: "Register a model" });
    await form.getByLabel("Model id").fill(fn.modelIds[0]!);
    await form.getByLabel("Nickname").fill("February model");
    await form.getByRole("button", { name: "Register model" }).click();
    await page.getByTestId(`model-${fn.modelIds[0]}`).waitFor();
    log("registered the oldest model");

    const upload = await page.request.post(`${server.baseUrl}/api/functions/${fn.id}/sample-sets`, {
      headers: { origin: server.baseUrl }, // cookie route handlers refuse requests that do not say they are same-origin
      multipart: { name: "Support tickets, March (200)", files: { name: "tickets.csv", mimeType: "text/csv", buffer: Buffer.from(ticketsCsv()) } },
    });
    if (upload.status() !== 201) throw new Error(`upload failed: ${upload.status()} ${await upload.text()}`);
    log("uploaded 200 tickets with ground truth");

    await page.goto(`${server.baseUrl}/functions/${fn.id}/samples`);
    await page.getByLabel("Model A").selectOption({ label: `February model (${fn.modelIds[0]})` });
    await page.getByLabel("Model B").selectOption("latest");
    await page.getByRole("button", { name: "Start comparison" }).click();
    await page.waitForURL(/\/comparisons\/[0-9a-f-]{36}$/);
    await page.getByTestId("progress-text").filter({ hasText: "200 of 200 samples done" }).waitFor({ timeout: 120_000 });
    await page.getByTestId("agreement").waitFor();
    await page.locator('[data-testid="samples-table"] tbody[data-ready="true"]').waitFor();
    await page.getByTestId("delta-histogram").locator(".recharts-bar-rectangle").first().waitFor();
    log(`the run finished: ${page.url()}`);
    // Show the table with a useful filter, as a reader would use it.
    await page.getByLabel("Disagreements only").check();
    await page.waitForTimeout(300);

    const out = path.resolve(OUT);
    await page.screenshot({ path: out, fullPage: true, animations: "disabled" });
    log(`saved ${path.relative(process.cwd(), out)} (${(statSync(out).size / 1024).toFixed(0)} KB)`);
    return 0;
  });
}

exitWithMain(main);
