import { expect, test, type Page } from "./fixtures/test";
import { openFunction, registerModel, unique } from "./fixtures/pins";
import { signInAs } from "./fixtures/users";

/** Registers the function's model `modelId` unless another test (or run) already did. */
async function ensureModel(page: Page, modelId: string) {
  if (!(await page.getByTestId(`model-${modelId}`).isVisible().catch(() => false))) {
    await registerModel(page, { modelId, nickname: unique("Choice ") });
  }
}

test("comparison pickers never start with one model against itself; dialogs are announced by their own titles", async ({ page }) => {
  test.slow(); // up to two models to register on a busy machine
  await signInAs(page, "editor");
  const fn = await openFunction(page, "churn-risk");
  const quick = page.getByTestId("quick-compare");
  // With fewer than two registered models the form says a side may be the same model.
  const registered = await page.locator('[data-testid^="model-model_"]').count();
  if (registered < 2) await expect(quick.getByTestId("same-model-hint")).toContainText("Register another model");

  await ensureModel(page, fn.modelIds[0]!);
  await ensureModel(page, fn.modelIds[1]!);
  await page.reload();
  const a = await quick.getByLabel("Model A").inputValue();
  const b = await quick.getByLabel("Model B").inputValue();
  expect(a).toMatch(/^model:/);
  expect(b).toMatch(/^model:/);
  expect(a).not.toBe(b);
  await expect(quick.getByTestId("same-model-hint")).toHaveCount(0);

  // Every dialog of the page names its own title (no shared id).
  const labelled = await page.locator("dialog").evaluateAll((dialogs) => dialogs.map((d) => d.getAttribute("aria-labelledby") ?? ""));
  expect(labelled.length).toBeGreaterThan(0);
  expect(new Set(labelled).size).toBe(labelled.length);
  const titled = await page.evaluate((ids) => ids.map((id) => document.querySelectorAll(`[id="${CSS.escape(id)}"]`).length), labelled);
  expect(titled.every((n) => n === 1)).toBe(true);
});

test("the sample-set page: a drop zone that is a button, a preview that says how much it shows, UTC times, and distinct default models", async ({ page }) => {
  test.slow();
  await signInAs(page, "editor");
  const fn = await openFunction(page, "churn-risk");
  await ensureModel(page, fn.modelIds[0]!);
  await ensureModel(page, fn.modelIds[1]!);
  await page.getByRole("link", { name: "Sample sets & comparisons" }).click();

  await expect(page.getByRole("button", { name: "Choose sample files, or drop them here" })).toBeVisible();
  const csv = ["plan,seats", ...Array.from({ length: 50 }, (_, i) => `${i % 2 ? "pro" : "free"},${i + 1}`)].join("\n");
  await page.getByTestId("sample-files").setInputFiles([{ name: "accounts.csv", mimeType: "text/csv", buffer: Buffer.from(csv) }]);
  await page.getByRole("button", { name: "Preview" }).click();
  await expect(page.getByTestId("preview-shown")).toHaveText("Showing the first 20 of 50 samples.");

  const name = unique("Choices ");
  await page.getByLabel("Name").fill(name);
  await page.getByRole("button", { name: "Save sample set" }).click();
  await expect(page.getByText(`Saved "${name}" with 50 samples.`)).toBeVisible();
  await expect(page.getByTestId(`sample-set-${name}`)).toContainText(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC/);

  const form = page.locator("section", { has: page.getByRole("heading", { name: "Compare two models" }) });
  const a = await form.getByLabel("Model A").inputValue();
  const b = await form.getByLabel("Model B").inputValue();
  expect(a).not.toBe(b);
});
