import { expect, test } from "./fixtures/test";
import { signInAs } from "./fixtures/users";

/**
 * Security headers (issue 13): every page answers with a per-request nonce CSP
 * and the static headers; route handlers carry the static ones. The automatic
 * CSP guard (fixtures/test.ts) fails the test on any violation while the pages
 * load and hydrate.
 */
const STATIC_PAGES = [
  "/",
  "/functions",
  "/comparisons",
  "/promotions",
  "/audit",
  "/api-docs",
  "/settings",
  "/settings/environments",
  "/settings/members",
  "/settings/nyckel",
  "/settings/tokens",
  "/settings/webhooks",
  "/settings/audit",
];
// Detail pages, reached from the first link of their list (when the list has one).
const DETAIL_LINKS: Array<[string, RegExp]> = [
  ["/functions", /^\/functions\/[^/]+$/],
  ["/comparisons", /^\/comparisons\/[0-9a-f-]{36}$/],
  ["/promotions", /^\/promotions\/[0-9a-f-]{36}$/],
  ["/settings/webhooks", /^\/settings\/webhooks\/[0-9a-f-]{36}$/],
];

function expectPageHeaders(headers: Record<string, string>): string {
  const csp = headers["content-security-policy"] ?? "";
  expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]{20,}' 'strict-dynamic'/);
  for (const d of ["frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'", "object-src 'none'"]) expect(csp).toContain(d);
  expect(csp).not.toContain("unsafe-eval");
  expect(headers["x-frame-options"]).toBe("DENY");
  expect(headers["x-content-type-options"]).toBe("nosniff");
  expect(headers["referrer-policy"]).toBe("strict-origin-when-cross-origin");
  expect(headers["permissions-policy"]).toContain("camera=()");
  return csp.match(/'nonce-([^']+)'/)![1]!;
}

test("the sign-in page: CSP with a fresh nonce per request, its scripts run", async ({ page }) => {
  const first = await page.goto("/signin");
  const nonce1 = expectPageHeaders(first!.headers());
  const second = await page.goto("/signin");
  const nonce2 = expectPageHeaders(second!.headers());
  expect(nonce2).not.toBe(nonce1);
  // Next stamped its scripts with the nonce, so the form hydrates and works.
  await signInAs(page, "viewer");
  await expect(page).toHaveURL(/\/$/);
});

test("every dashboard page carries the headers and loads without a CSP violation", async ({ page }) => {
  test.setTimeout(120_000);
  await signInAs(page, "admin");
  const pages = [...STATIC_PAGES];
  for (const [list, pattern] of DETAIL_LINKS) {
    await page.goto(list);
    const hrefs = await page.locator("a[href]").evaluateAll((as) => as.map((a) => a.getAttribute("href") ?? ""));
    const detail = hrefs.find((h) => pattern.test(h));
    if (detail) pages.push(detail, ...(list === "/functions" ? [`${detail}/samples`] : []));
  }
  expect(pages.length).toBeGreaterThan(STATIC_PAGES.length);
  for (const path of pages) {
    const res = await page.goto(path);
    expect(res?.status(), path).toBeLessThan(400);
    expectPageHeaders(res!.headers());
    await page.waitForLoadState("load");
    await expect(page.locator("main, form").first(), path).toBeVisible();
  }
});

test("route handlers carry the static headers; the dashboard cannot be framed", async ({ browser, request, baseURL }) => {
  const health = await request.get("/api/health");
  expect(health.headers()["x-content-type-options"]).toBe("nosniff");
  expect(health.headers()["x-frame-options"]).toBe("DENY");
  // A page framing the dashboard: the frame stays empty (frame-ancestors 'none'). In a context of
  // its own: the browser reports the refused frame as a CSP violation, which is the point here.
  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  await page.goto("/signin");
  const origin = new URL(page.url()).origin;
  await page.setContent(`<iframe id="f" src="${origin}/signin" style="width:400px;height:300px"></iframe>`);
  const frame = page.frameLocator("#f");
  await expect(frame.getByRole("button", { name: /sign in/i })).toHaveCount(0);
  await context.close();
});
