import { expect, test, type Page } from "./fixtures/test";
import { openFunction, productionCandidate, unique } from "./fixtures/pins";
import { createTextSampleSet } from "./fixtures/samples";
import { signInAs } from "./fixtures/users";

test.skip(!process.env.NYCKEL_EMULATOR_URL, "NYCKEL_EMULATOR_URL is not set (run through npm test)");

/** How far the page and the report's sample table scroll sideways (0 when everything fits). */
function sidewaysOverflow(page: Page) {
  return page.evaluate(() => {
    const doc = document.documentElement;
    const table = document.querySelector<HTMLElement>('[data-testid="samples-scroll"]')!;
    return { page: doc.scrollWidth - doc.clientWidth, table: table.scrollWidth - table.clientWidth };
  });
}

test("a finished report of production's pin against a candidate requests the promotion with that run as evidence, and fits 1280 px", async ({ page }) => {
  test.setTimeout(180_000);
  await page.setViewportSize({ width: 1280, height: 800 });
  await signInAs(page, "editor");
  // support-triage's Production: no other spec moves that pin (promotions.spec drives review-sentiment's).
  const fn = await openFunction(page, "support-triage");
  const fnPath = `/functions/${encodeURIComponent(fn.id)}`;

  // A candidate production is not on, registered under a nickname.
  const { modelId, nickname, prodId } = await productionCandidate(page, fn);

  // Two finished runs of production's pin against the candidate; the older one is the one we act from.
  const words = ["charged twice", "app crashed", "locked out", "refund", "please add", "invoice", "error on start", "password", "suggestion", "billing"];
  const setName = await createTextSampleSet(
    page,
    fn.id,
    Array.from({ length: 12 }, (_, i) => `ticket ${i}: ${words[i % words.length]} ${unique("")}`),
    "Report evidence ",
  );
  await page.goto(`${fnPath}#request`);
  const form = page.getByRole("form", { name: "Request a promotion" });
  await form.getByLabel("Environment").selectOption({ label: "Production (protected)" });
  await form.getByLabel("Move it to").selectOption({ label: `${nickname} (${modelId})` });
  await form.getByLabel("Sample set").selectOption({ label: `${setName} (12)` });
  const runIds: string[] = [];
  for (let i = 0; i < 2; i++) {
    await form.getByRole("button", { name: "Compare Production's pin with this model" }).click();
    const started = page.getByTestId("request-started-run");
    const report = started.getByRole("link", { name: "Watch the full report" });
    await expect(report).toHaveAttribute("href", /\/comparisons\/[0-9a-f-]{36}$/);
    const id = ((await report.getAttribute("href")) ?? "").split("/").pop()!;
    expect(runIds).not.toContain(id);
    runIds.push(id);
    await expect(started.getByTestId("progress-text")).toContainText("12 of 12 samples done, 0 with a failure", { timeout: 60_000 });
  }
  const [older, newer] = runIds as [string, string];

  // The older run's report offers the request; the link opens the filled-in form with that run as evidence.
  await page.goto(`/comparisons/${older}`);
  const offers = page.getByTestId("evidence-offers");
  const offer = offers.getByRole("link", { name: `Request promotion of ${nickname} (${modelId}) to Production` });
  await expect(offer).toBeVisible();

  // At 1280 px nothing scrolls sideways: not the page, not the sample table (B's latency and Δ are in view).
  await expect(page.getByTestId("samples-count")).toHaveText("12 of 12 samples");
  expect(await sidewaysOverflow(page)).toEqual({ page: 0, table: 0 });
  const scroll = page.getByTestId("samples-scroll");
  const box = (await scroll.boundingBox())!;
  for (const name of [/^Sort by B ms/, /^Sort by Δ \(B−A\)/]) {
    const header = (await scroll.getByRole("button", { name }).boundingBox())!;
    expect(header.x + header.width).toBeLessThanOrEqual(box.x + box.width);
  }

  // Matrix labels: each keeps its full name as title and accessible text, and shows it on keyboard focus.
  const matrix = page.getByTestId("matrix");
  const label = matrix.locator("thead [data-label]").first();
  const full = (await label.getAttribute("data-label"))!;
  await expect(label).toHaveAttribute("title", full);
  await expect(label).toHaveAccessibleName(full);
  await label.focus();
  await expect(label).toBeFocused();
  await expect(label.locator("xpath=following-sibling::span")).toBeVisible();
  await expect(label.locator("xpath=following-sibling::span")).toHaveText(full);

  await offer.click();
  await expect(page).toHaveURL(new RegExp(`${fnPath.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\?.*requestEvidence=${older}.*#request$`));
  const filled = page.getByRole("form", { name: "Request a promotion" });
  await expect(filled.getByLabel("Environment")).toHaveValue(prodId);
  await expect(filled.getByLabel("Move it to").locator("option:checked")).toHaveText(`${nickname} (${modelId})`);
  await expect(filled.getByLabel("Reason")).toHaveValue(new RegExp(`Comparison run ${older} compares Production's current pin with ${nickname}`));
  // The run from the report is selected, not the newer matching one the form would pick by itself.
  const evidence = filled.getByLabel("Comparison run");
  await expect(evidence).toHaveValue(older);
  await expect(evidence.locator(`option[value="${newer}"]`)).toHaveCount(1);
  await expect(evidence.locator("option:checked")).toContainText(`agreement on 12 · “${setName}”`);
  await expect(page.getByTestId("request-gate-verdict")).toHaveAttribute("data-ok", "true");
  await expect(filled.getByRole("button", { name: "Request promotion" })).toBeEnabled();
});


test("a report with five long label names fits 1280 px; the matrix labels keep their full names", async ({ page }) => {
  test.setTimeout(120_000);
  await page.setViewportSize({ width: 1280, height: 800 });
  await signInAs(page, "editor");
  const fn = await openFunction(page, "support-triage");
  const topics = ["invoice charged twice", "app crash on start", "password locked out", "refund please", "please add dark mode"];
  const setName = await createTextSampleSet(
    page,
    fn.id,
    // Fixed texts: the emulator's answers (and its ~10 % flips) depend on the text, so every run shows the
    // same labels; four tickets per topic keep all five labels in the matrix whatever a flip picks.
    Array.from({ length: 20 }, (_, i) => `ticket ${i}: ${topics[i % topics.length]}`),
    "Report evidence ",
  );
  await page.getByLabel("Sample set", { exact: true }).selectOption({ label: `${setName} (20)` });
  await page.getByLabel("Model A").selectOption("latest");
  await page.getByLabel("Model B").selectOption("latest");
  await page.getByRole("button", { name: "Start comparison" }).click();
  await expect(page).toHaveURL(/\/comparisons\/[0-9a-f-]{36}$/);
  await expect(page.getByTestId("progress-text")).toContainText("20 of 20 samples done", { timeout: 60_000 });
  await page.reload();
  const matrix = page.getByTestId("matrix");
  await expect(matrix.locator("thead [data-label]")).toHaveCount(5);
  expect(await sidewaysOverflow(page)).toEqual({ page: 0, table: 0 });
  const label = matrix.locator('thead [data-label="Technical issue"]');
  await expect(label).toHaveAttribute("title", "Technical issue");
  await expect(label).toHaveAccessibleName("Technical issue");
  // Latest against latest is a model against itself: no environment can use it as evidence.
  await expect(page.getByTestId("evidence-offers-none")).toBeVisible();
});
