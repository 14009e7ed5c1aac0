import { expect, test, type Page } from "./fixtures/test";
import { changePin, openFunction, registerModel, unique } from "./fixtures/pins";
import { createTextSampleSet } from "./fixtures/samples";
import { signInAs } from "./fixtures/users";

/**
 * First impressions (issue 17): the icons and robots.txt, the function page's section nav,
 * limited fields with counters, clamped reasons, and no sideways scrolling at 1280 px with
 * the longest names and reasons. State changes only on support-triage's Development.
 */
test.skip(!process.env.NYCKEL_EMULATOR_URL, "NYCKEL_EMULATOR_URL is not set (run through npm test)");

/** How far the page scrolls sideways, and the widest sideways scroll of any table frame on it. */
function sidewaysOverflow(page: Page) {
  return page.evaluate(() => {
    const doc = document.documentElement;
    const frames = [...document.querySelectorAll<HTMLElement>("main .overflow-x-auto")];
    return { page: doc.scrollWidth - doc.clientWidth, tables: Math.max(0, ...frames.map((f) => f.scrollWidth - f.clientWidth)) };
  });
}

test("the icons and robots.txt are served to anyone, and every page names them and says noindex", async ({ page, request }) => {
  const svg = await request.get("/icon.svg");
  expect(svg.status()).toBe(200);
  expect(svg.headers()["content-type"]).toContain("image/svg+xml");
  expect(await svg.text()).toContain("<svg");

  const png = await request.get("/apple-touch-icon.png");
  expect(png.status()).toBe(200);
  expect(png.headers()["content-type"]).toBe("image/png");
  const bytes = await png.body();
  expect(bytes.subarray(1, 4).toString("latin1")).toBe("PNG");
  // IHDR: width and height, big-endian, at bytes 16 and 20.
  expect([bytes.readUInt32BE(16), bytes.readUInt32BE(20)]).toEqual([180, 180]);

  const robots = await request.get("/robots.txt");
  expect(robots.status()).toBe(200);
  expect(await robots.text()).toMatch(/User-agent: \*\s+Disallow: \/\s*$/);

  await page.goto("/signin");
  await expect(page.locator('link[rel="icon"]')).toHaveAttribute("href", "/icon.svg");
  await expect(page.locator('link[rel="apple-touch-icon"]')).toHaveAttribute("href", "/apple-touch-icon.png");
  await expect(page.locator('meta[name="robots"]')).toHaveAttribute("content", /noindex/);
  await expect(page.getByRole("heading", { level: 1, name: "Modelpin" })).toBeVisible();
});

test("the function page's section nav jumps to each section by mouse, keyboard and URL", async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await signInAs(page, "editor");
  const fn = await openFunction(page, "support-triage");
  const nav = page.getByRole("navigation", { name: "On this page" });
  await expect(nav.getByRole("link")).toHaveText(["Pins", "Request", "Models", "Compare", "History", "Point in time", "Golden set", "Traffic", "Shadow evaluation", "In Nyckel"]);

  // A click: the URL names the section, its heading is in view and not under the sticky nav.
  await nav.getByRole("link", { name: "History" }).click();
  await expect(page).toHaveURL(/#timeline$/);
  const history = page.getByRole("heading", { name: "Pin history", level: 2 });
  await expect(history).toBeInViewport();
  const navBox = (await nav.boundingBox())!;
  expect((await history.boundingBox())!.y).toBeGreaterThanOrEqual(navBox.y + navBox.height - 1);

  // The keyboard: Tab reaches the links, Enter follows one.
  await nav.getByRole("link", { name: "Models" }).focus();
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/#models$/);
  await expect(page.getByRole("heading", { name: "Models", level: 2 })).toBeInViewport();

  // A stable URL: opening it lands on the section.
  await page.goto(`/functions/${encodeURIComponent(fn.id)}#quick-compare`);
  await expect(page.getByRole("heading", { name: "Quick compare", level: 2 })).toBeInViewport();
});

test("limited fields carry the server's maxLength and count as you type; the counter follows a form reset", async ({ page }) => {
  await signInAs(page, "editor");
  await openFunction(page, "support-triage");
  const form = page.getByRole("form", { name: "Register a model" });
  const nickname = form.getByLabel("Nickname");
  await expect(nickname).toHaveAttribute("maxlength", "60");
  await expect(form.getByLabel("Notes")).toHaveAttribute("maxlength", "2000");
  await expect(form.getByTestId("field-nickname-count")).toContainText("0 / 60");
  await nickname.fill("March retrain");
  await expect(form.getByTestId("field-nickname-count")).toContainText("13 / 60");
  // Typing past the limit stops at it, and the limit is announced.
  await nickname.fill("");
  await nickname.pressSequentially("x".repeat(62));
  await expect(nickname).toHaveValue("x".repeat(60));
  await expect(form.getByTestId("field-nickname-count")).toContainText("60 / 60");
  await expect(form.getByText("Character limit reached.")).toBeAttached();
  // The counter is part of the field's description.
  await expect(nickname).toHaveAccessibleDescription(/60 of 60 characters used/);

  // After registering, the form resets and so do its counters.
  const m = { modelId: unique("model_first"), nickname: unique("Counted ") };
  await registerModel(page, { ...m, notes: "notes to count" });
  await expect(form.getByTestId("field-nickname-count")).toContainText("0 / 60");
  await expect(form.getByTestId("field-notes-count")).toContainText("0 / 2,000");

  // The pin reason (Development) and the sample set name carry theirs too.
  await page.getByTestId("pin-row-development").getByRole("button", { name: "Change pin" }).click();
  await expect(page.getByTestId("pin-form-development").getByLabel("Reason")).toHaveAttribute("maxlength", "2000");
});

test("at 1280 px a 100-character set name and a 2,000-character reason scroll nothing sideways; the reason clamps with Show more / Show less", async ({
  page,
}) => {
  test.setTimeout(180_000);
  await page.setViewportSize({ width: 1280, height: 800 });
  await signInAs(page, "editor");
  const fn = await openFunction(page, "support-triage");
  const fnPath = `/functions/${encodeURIComponent(fn.id)}`;

  // A 100-character set name without a space (createTextSampleSet adds a unique tail to the prefix).
  const longName = await createTextSampleSet(page, fn.id, ["invoice charged twice", "app crashed"], "S".repeat(100 - unique("").length));
  expect(longName).toHaveLength(100);
  await expect(page.getByTestId(`sample-set-${longName}`)).toBeVisible();
  expect(await sidewaysOverflow(page)).toEqual({ page: 0, tables: 0 });

  // A 2,000-character reason with a 300-character word in it, on Development's pin.
  const model = { modelId: unique("model_long"), nickname: unique("Long reason ") };
  await page.goto(fnPath);
  await registerModel(page, model);
  const reason = `${unique("Long reason ")} ${"w".repeat(300)} ${"lorem ipsum dolor sit amet ".repeat(80)}`.slice(0, 2000);
  await changePin(page, "development", model, reason);
  const dev = page.getByTestId("pin-row-development");
  await expect(dev.getByTestId("pin-model")).toContainText(model.modelId);
  const cell = dev.getByTestId("pin-reason");
  const text = cell.locator("p").first();
  const clamped = (await text.boundingBox())!.height;
  expect(clamped).toBeLessThan(100);
  const more = cell.getByRole("button", { name: "Show more" });
  await expect(more).toHaveAttribute("aria-expanded", "false");
  await more.click();
  const less = cell.getByRole("button", { name: "Show less" });
  await expect(less).toHaveAttribute("aria-expanded", "true");
  expect((await text.boundingBox())!.height).toBeGreaterThan(clamped * 3);
  await less.click();
  await expect(cell.getByRole("button", { name: "Show more" })).toBeVisible();
  expect((await text.boundingBox())!.height).toBeLessThan(100);
  expect(await sidewaysOverflow(page)).toEqual({ page: 0, tables: 0 });

  // The pin history clamps it too.
  const entry = page.getByTestId("timeline-development").getByTestId("timeline-entry").first();
  await expect(entry.getByRole("button", { name: "Show more" })).toBeVisible();

  // The audit log: the reason clamps in its cell, the set name wraps, nothing scrolls sideways.
  await page.goto(`/audit?function=${encodeURIComponent(fn.id)}`);
  const pinned = page.getByTestId("audit-row").filter({ hasText: model.modelId }).first();
  await expect(pinned.getByTestId("audit-reason").getByRole("button", { name: "Show more" })).toBeVisible();
  expect(await sidewaysOverflow(page)).toEqual({ page: 0, tables: 0 });

  // A request with the same reason (Development: applied at once) and its page.
  const other = { modelId: unique("model_long"), nickname: unique("Long request ") };
  await page.goto(fnPath);
  await registerModel(page, other);
  const form = page.getByRole("form", { name: "Request a promotion" });
  await form.getByLabel("Environment").selectOption({ label: "Development" });
  await form.getByLabel("Move it to").selectOption({ label: `${other.nickname} (${other.modelId})` });
  await form.getByLabel("Reason").fill(reason);
  await form.getByRole("button", { name: "Request and apply" }).click();
  await form.getByRole("link", { name: /Open request #\d+/ }).click();
  await expect(page).toHaveURL(/\/promotions\/[0-9a-f-]{36}$/);
  const reasonPanel = page.getByTestId("request-reason");
  await expect(reasonPanel).toContainText(reason.slice(0, 40));
  await expect(reasonPanel.getByRole("button", { name: "Show more" })).toBeVisible();
  expect(await sidewaysOverflow(page)).toEqual({ page: 0, tables: 0 });

  // The function page with both long texts, and the comparisons list.
  await page.goto(fnPath);
  expect(await sidewaysOverflow(page)).toEqual({ page: 0, tables: 0 });
});
