import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures/test";
import { ensureRegistered, openFunction, unique } from "./fixtures/pins";
import { createTextSampleSet } from "./fixtures/samples";
import { signInAs } from "./fixtures/users";

/**
 * The answer cache as an editor sees it: a second comparison of the same model on
 * the same texts takes that model's answers from the first run. No pin is moved.
 */

/** Starts a comparison (A = a registered model id, B = latest) on a saved set and waits for its report. */
async function compare(page: Page, functionId: string, setName: string, modelId: string, samples: number): Promise<string> {
  await page.goto(`/functions/${functionId}/samples`);
  await page.getByLabel("Sample set", { exact: true }).selectOption({ label: `${setName} (${samples})` });
  const modelA = page.getByLabel("Model A");
  await modelA.selectOption((await modelA.locator("option", { hasText: modelId }).first().getAttribute("value")) as string);
  await page.getByLabel("Model B").selectOption("latest");
  await page.getByRole("button", { name: "Start comparison" }).click();
  await expect(page).toHaveURL(/\/comparisons\/[0-9a-f-]{36}$/);
  await expect(page.getByTestId("progress-text")).toContainText(`${samples} of ${samples} samples done`, { timeout: 60_000 });
  return page.url().split("/").pop()!;
}

async function exportRows(page: Page, runId: string) {
  const csv = await (await page.request.get(`/api/comparisons/${runId}/export`)).text();
  const [header, ...lines] = csv.trim().split("\n");
  const cols = header!.split(",");
  return lines.map((line) => {
    const cells = line.split(",");
    return Object.fromEntries(cols.map((c, i) => [c, cells[i] ?? ""]));
  });
}

test("a second comparison of the same model on the same texts reuses its answers: ↺ with the original latency, counted in the header and the CSV", async ({ page }) => {
  test.slow(); // two runs
  await signInAs(page, "editor");
  const fn = await openFunction(page, "review-sentiment");
  const modelId = fn.modelIds[0]!;
  await ensureRegistered(page, modelId, "Cache ");
  const tag = unique("");
  const lines = Array.from({ length: 20 }, (_, i) => `review ${tag} ${i}: ${["great", "bad", "okay", "love it", "awful"][i % 5]} product`);
  const setName = await createTextSampleSet(page, fn.id, lines, "Cache ");

  const first = await compare(page, fn.id, setName, modelId, 20);
  await expect(page.getByTestId("agreement")).toBeVisible();
  await expect(page.getByTestId("reused-counts")).toHaveCount(0);
  const before = await exportRows(page, first);
  expect(before.map((r) => r.a_reused)).toEqual(Array(20).fill("no"));

  const second = await compare(page, fn.id, setName, modelId, 20);
  // The header counts reused answers per side: all of A (the model id), none of B (latest is never reused).
  await expect(page.getByTestId("reused-counts")).toContainText("A 20 of 20, B 0 of 20 answers");
  // Each reused answer is marked, with the first run's latency, and says so to screen readers.
  const after = await exportRows(page, second);
  expect(after.map((r) => [r.a_reused, r.b_reused])).toEqual(Array(20).fill(["yes", "no"]));
  expect(after.map((r) => [r.a_label, r.a_latency_ms])).toEqual(before.map((r) => [r.a_label, r.a_latency_ms]));
  const row = page.locator('[data-testid="sample-row"][data-position="1"]');
  await expect(row.getByRole("cell", { name: `reused, original latency ${after[0]!.a_latency_ms}` })).toBeVisible();
  await expect(row.locator('[data-reused="true"]')).toHaveCount(1);
});
