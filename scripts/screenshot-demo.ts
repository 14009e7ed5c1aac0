/**
 * The README's first screenshot: the overview of the living demo as an approver sees it.
 *
 *   npm run dev   # first start: builds the demo
 *   npx tsx --conditions=react-server scripts/screenshot-demo.ts --url http://localhost:3000 [--out docs/screenshots/demo-overview.png]
 */
import { DEV_USERS } from "@/lib/seed/dev-users";
import { launchChromium, signIn } from "./bench/app";
import { cliOptions, exitWithMain } from "./cli/args";

const args = cliOptions({ url: { type: "string", default: "http://localhost:3000" }, out: { type: "string", default: "docs/screenshots/demo-overview.png" } });

async function main(): Promise<number> {
  const browser = await launchChromium();
  try {
    const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
    const approver = DEV_USERS.find((u) => u.role === "approver")!;
    await signIn(page, args.url, approver.email, approver.password);
    await page.goto(args.url);
    await page.getByRole("heading", { level: 1 }).first().waitFor();
    await page.screenshot({ path: args.out, fullPage: false });
    console.log(`[screenshot] ${args.out}`);
    return 0;
  } finally {
    await browser.close();
  }
}

exitWithMain(main);
