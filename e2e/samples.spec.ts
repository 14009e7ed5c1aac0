import { expect, test } from "@playwright/test";
import { tinyPng } from "../lib/nyckel/test-support";
import { SEEDED_FUNCTIONS } from "../lib/nyckel/emulator/seed";
import { signInAs } from "./fixtures/users";

const pets = SEEDED_FUNCTIONS.find((f) => f.key === "pets")!;

test("an editor uploads three images and a CSV with ground truth, previews, and saves a sample set", async ({ page }) => {
  await signInAs(page, "editor");
  await page.goto("/functions"); // the first visit syncs the emulator's functions
  await expect(page.getByTestId("functions-table").getByRole("link", { name: pets.name })).toBeVisible();
  await page.goto(`/functions/${pets.id}/samples`);
  await expect(page.getByRole("heading", { name: "Sample sets" }).first()).toBeVisible();
  await expect(page.getByText("10 MB per image, 10,000 samples and 200 MB per set")).toBeVisible();

  const name = `Pets ${Date.now()}`;
  await page.getByTestId("sample-files").setInputFiles([
    { name: "red.png", mimeType: "image/png", buffer: Buffer.from(tinyPng(4, 4, [255, 0, 0])) },
    { name: "green.png", mimeType: "image/png", buffer: Buffer.from(tinyPng(4, 4, [0, 255, 0])) },
    { name: "blue.png", mimeType: "image/png", buffer: Buffer.from(tinyPng(4, 4, [0, 0, 255])) },
    { name: "not-really.jpg", mimeType: "image/jpeg", buffer: Buffer.from("<html><body>hello</body></html>") },
    { name: "truth.csv", mimeType: "text/csv", buffer: Buffer.from("image_url,label\nhttps://example.com/1.jpg,Cat\nhttps://example.com/2.jpg,Dog\n") },
  ]);
  await expect(page.getByRole("list", { name: "Chosen files" }).getByRole("listitem")).toHaveCount(5);
  await page.getByRole("button", { name: "Preview" }).click();
  await expect(page.getByTestId("preview-counts")).toHaveText(/5 samples \(image, imageUrl\), 2 with ground truth, 0 duplicates dropped, 1 rejected\./);
  await expect(page.getByTestId("rejected-rows")).toContainText("not-really.jpg");
  await expect(page.getByTestId("rejected-rows")).toContainText("is not a JPEG, PNG, WebP or GIF image");

  await page.getByLabel("Name").fill(name);
  await page.getByRole("button", { name: "Save sample set" }).click();
  await expect(page.getByText(`Saved "${name}" with 5 samples.`)).toBeVisible();
  await expect(page.getByTestId(`sample-set-${name}`)).toContainText("5 samples (image, imageUrl) · 2 with ground truth");
});

test("an oversized image gets the clear message; a viewer sees sets but no upload form", async ({ page, browser }) => {
  await signInAs(page, "editor");
  await page.goto("/functions");
  await page.goto(`/functions/${pets.id}/samples`);
  const big = Buffer.alloc(11 * 1024 * 1024);
  Buffer.from(tinyPng(1, 1, [9, 9, 9])).copy(big);
  await page.getByTestId("sample-files").setInputFiles([{ name: "huge.png", mimeType: "image/png", buffer: big }]);
  await page.getByRole("button", { name: "Preview" }).click();
  await expect(page.getByTestId("rejected-rows")).toContainText("huge.png is larger than 10 MB, the limit for one image.");
  await expect(page.getByRole("button", { name: "Save sample set" })).toBeDisabled();

  const ctx = await browser.newContext();
  const viewer = await ctx.newPage();
  await signInAs(viewer, "viewer");
  await viewer.goto(`/functions/${pets.id}/samples`);
  await expect(viewer.getByRole("heading", { name: "Sample sets" }).first()).toBeVisible();
  await expect(viewer.getByRole("button", { name: "Preview" })).toHaveCount(0);
  const res = await viewer.request.post(`/api/functions/${pets.id}/sample-sets`, { multipart: { name: "sneaky", text: "hello" } });
  expect(res.status()).toBe(403);
  await ctx.close();
});

test("an editor compares two models on a pasted sample set and watches the run finish", async ({ page }) => {
  const triage = SEEDED_FUNCTIONS.find((f) => f.key === "support-triage")!;
  await signInAs(page, "editor");
  await page.goto("/functions");
  await page.goto(`/functions/${triage.id}/samples`);
  const name = `Tickets ${Date.now()}`;
  const lines = Array.from({ length: 30 }, (_, i) => `ticket ${i}: please help with my ${["invoice", "login", "delivery"][i % 3]}`);
  await page.getByLabel("Or paste samples (one per line)").fill(lines.join("\n"));
  await page.getByRole("button", { name: "Preview" }).click();
  await expect(page.getByTestId("preview-counts")).toContainText("30 samples (text)");
  await page.getByLabel("Name").fill(name);
  await page.getByRole("button", { name: "Save sample set" }).click();
  await expect(page.getByText(`Saved "${name}" with 30 samples.`)).toBeVisible();

  // A = the model Nyckel serves now (discovered by sync), B = latest: they must agree on everything.
  await page.getByLabel("Sample set", { exact: true }).selectOption({ label: `${name} (30)` });
  await page.getByLabel("Model A").selectOption({ label: triage.modelIds.at(-1)! });
  await page.getByLabel("Model B").selectOption("latest");
  await page.getByRole("button", { name: "Start comparison" }).click();
  await expect(page).toHaveURL(/\/comparisons\/[0-9a-f-]{36}$/);
  await expect(page.getByTestId("progress-text")).toContainText("30 of 30 samples done, 0 with a failure", { timeout: 30_000 });
  await expect(page.getByTestId("agreement")).toContainText("agree on 100.0% of 30 samples");
  await page.getByRole("link", { name: "← Comparisons" }).click();
  await expect(page.getByTestId("runs-table")).toContainText(name);
});
