import { expect, test } from "./fixtures/test";
import { tinyPng } from "../scripts/testing/nyckel";
import { SEEDED_FUNCTIONS } from "../scripts/emulator/seed";
import { openFunction, registerModel, unique } from "./fixtures/pins";
import { signInAs } from "./fixtures/users";

const pets = SEEDED_FUNCTIONS.find((f) => f.key === "pets")!;

test("an editor uploads three images and a CSV with ground truth, previews, saves a sample set, and sees the images in a report", async ({ page, browser }) => {
  await signInAs(page, "editor");
  await page.goto("/functions"); // npm test synced the emulator's functions before the browser tests
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

  // A comparison on this set: the report's table shows each image as a thumbnail from the authorized image route.
  await page.getByLabel("Sample set", { exact: true }).selectOption({ label: `${name} (5)` });
  await page.getByLabel("Model A").selectOption("latest");
  await page.getByLabel("Model B").selectOption("latest");
  await page.getByRole("button", { name: "Start comparison" }).click();
  await expect(page).toHaveURL(/\/comparisons\/[0-9a-f-]{36}$/);
  await expect(page.getByTestId("progress-text")).toContainText("5 of 5 samples done, 0 with a failure", { timeout: 30_000 });
  await expect(page.getByTestId("samples-count")).toHaveText("5 of 5 samples");
  await page.getByTestId("samples-table").scrollIntoViewIfNeeded();
  const thumbs = page.getByTestId("samples-table").locator('img[src^="/api/samples/"]');
  await expect(thumbs).toHaveCount(3);
  for (const img of await thumbs.all()) {
    await expect.poll(() => img.evaluate((el: HTMLImageElement) => (el.complete ? el.naturalWidth : -1))).toBe(4);
  }
  const src = (await thumbs.first().getAttribute("src"))!;
  const res = await page.request.get(src);
  expect(res.headers()["content-type"]).toBe("image/png");
  expect(res.headers()["cache-control"]).toContain("immutable");
  const anonymous = await browser.newContext();
  expect((await anonymous.request.get(new URL(src, page.url()).href)).status()).toBe(401);
  await anonymous.close();
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
  const origin = new URL(viewer.url()).origin;
  const res = await viewer.request.post(`/api/functions/${pets.id}/sample-sets`, { headers: { origin }, multipart: { name: "sneaky", text: "hello" } });
  expect(res.status()).toBe(403);
  expect((await res.json()).error).toMatchObject({ code: "forbidden", message: "Your role does not allow this." });
  await ctx.close();

  // Issue 13: a member's cookie sent from another site (a wiki page posting a form) is refused, and nothing is saved.
  const foreign = await page.request.post(`/api/functions/${pets.id}/sample-sets`, {
    headers: { origin: "https://wiki.corp.example" },
    multipart: { name: "cross-site set", text: "hello\nworld" },
  });
  expect(foreign.status()).toBe(403);
  expect((await foreign.json()).error).toMatchObject({ code: "forbidden_origin", requestId: expect.any(String) });
  await page.goto(`/functions/${pets.id}/samples`);
  await expect(page.getByText("cross-site set")).toHaveCount(0);
});

test("a Text function refuses images with a clear reason; when every row is rejected the preview still lists the reasons", async ({ page }) => {
  const triage = SEEDED_FUNCTIONS.find((f) => f.key === "support-triage")!;
  await signInAs(page, "editor");
  await page.goto("/functions"); // npm test synced the emulator's functions before the browser tests
  await page.goto(`/functions/${triage.id}/samples`);
  await page.getByTestId("sample-files").setInputFiles([
    { name: "cat.png", mimeType: "image/png", buffer: Buffer.from(tinyPng(2, 2, [1, 2, 3])) },
    { name: "binary.txt", mimeType: "text/plain", buffer: Buffer.from("\u0000\n".repeat(250)) },
  ]);
  await page.getByRole("button", { name: "Preview" }).click();
  await expect(page.getByTestId("preview-counts")).toHaveText(/0 samples \(none\), 0 with ground truth, 0 duplicates dropped, 251 rejected\./);
  await expect(page.getByTestId("sample-preview").getByText("The upload has no usable samples: all 251 rows were rejected.")).toBeVisible();
  await expect(page.getByTestId("rejected-rows")).toContainText("cat.png is an image, but this function takes text");
  await expect(page.getByTestId("rejected-rows")).toContainText("binary.txt, row 1: The data contains a NUL character");
  await expect(page.getByTestId("rejected-rows").getByRole("listitem")).toHaveCount(200);
  await expect(page.getByTestId("rejected-note")).toHaveText("(showing 200 of 251 rejected rows)");
  await expect(page.getByRole("button", { name: "Save sample set" })).toBeDisabled();
});

test("an editor compares two models on 200 samples; the report matches what the exported CSV says", async ({ page }) => {
  test.slow(); // a 200-sample run, then the report's filters, sorting and a reload
  const triage = SEEDED_FUNCTIONS.find((f) => f.key === "support-triage")!;
  await signInAs(page, "editor");
  await openFunction(page, "support-triage");
  // The oldest model, registered under a unique nickname, against "latest".
  const oldest = { modelId: triage.modelIds[0]!, nickname: unique("Oldest ") };
  const registered = await page.getByTestId(`model-${oldest.modelId}`).isVisible().catch(() => false);
  if (!registered) await registerModel(page, oldest);
  await page.getByRole("link", { name: "Sample sets & comparisons" }).click();
  const name = `Tickets ${Date.now()}`;
  const lines = Array.from({ length: 200 }, (_, i) => `ticket ${i}: please help with my ${["invoice", "login", "delivery", "refund", "crash"][i % 5]} (${i * 7919})`);
  await page.getByLabel("Or paste samples (one per line)").fill(lines.join("\n"));
  await page.getByRole("button", { name: "Preview" }).click();
  await expect(page.getByTestId("preview-counts")).toContainText("200 samples (text)");
  await page.getByLabel("Name").fill(name);
  await page.getByRole("button", { name: "Save sample set" }).click();
  await expect(page.getByText(`Saved "${name}" with 200 samples.`)).toBeVisible();

  await page.getByLabel("Sample set", { exact: true }).selectOption({ label: `${name} (200)` });
  const modelA = page.getByLabel("Model A");
  const optionA = modelA.locator("option", { hasText: oldest.modelId }).first();
  await modelA.selectOption(await optionA.getAttribute("value") as string);
  await page.getByLabel("Model B").selectOption("latest");
  await page.getByRole("button", { name: "Start comparison" }).click();
  await expect(page).toHaveURL(/\/comparisons\/[0-9a-f-]{36}$/);
  await expect(page.getByTestId("progress-text")).toContainText("200 of 200 samples done, 0 with a failure", { timeout: 60_000 });
  // "200 of 200 done" can show while the run is still "running" and the server-rendered report still holds the
  // previous refresh (it refreshes at most every 2.5 s, and once more when the run ends): wait for it to catch up.
  await expect(page.getByTestId("agreement")).toContainText("of 200 samples both answered", { timeout: 15_000 });
  const runUrl = page.url();

  // What the page says…
  const agreementText = (await page.getByTestId("agreement").textContent())!;
  // …against what the test computes from the run's own CSV export.
  const csv = await (await page.request.get(`/api/comparisons/${runUrl.split("/").pop()}/export`)).text();
  const rows = csv.trim().split("\n").slice(1).map((line) => line.split(","));
  expect(rows).toHaveLength(200);
  const header = csv.split("\n")[0]!.split(",");
  const col = (n: string) => header.indexOf(n);
  const agree = rows.filter((r) => r[col("a_label")] === r[col("b_label")]).length;
  const n = rows.length;
  const p = agree / n;
  const z = 1.959963984540054;
  const centre = (p + (z * z) / (2 * n)) / (1 + (z * z) / n);
  const half = (z / (1 + (z * z) / n)) * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n));
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  expect(agree).toBeLessThan(n); // the oldest and the latest model do disagree somewhere
  expect(agreementText).toContain(`agree on ${pct(p)} of ${n} samples`);
  expect(agreementText).toContain(`95% CI ${pct(Math.max(0, centre - half))}–${pct(Math.min(1, centre + half))}`);

  // One off-diagonal matrix cell: its count, then the samples it lists.
  const flip = rows.find((r) => r[col("a_label")] !== r[col("b_label")])!;
  const [a, b] = [flip[col("a_label")]!, flip[col("b_label")]!];
  const expected = rows.filter((r) => r[col("a_label")] === a && r[col("b_label")] === b).length;
  const cell = page.locator(`[data-cell="${a}|${b}"]`);
  await expect(cell).toHaveText(String(expected));
  await cell.click();
  await expect(page).toHaveURL(new RegExp(`\\?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}#samples$`));
  const count = page.getByTestId("samples-count");
  const tableRows = page.getByTestId("sample-row");
  await expect(count).toHaveText(`${expected} of ${n} samples`);
  // The table is virtualized: every row it renders belongs to the cell, and a small cell is rendered whole.
  await expect(tableRows.first()).toHaveAttribute("data-a", a);
  for (const row of await tableRows.all()) {
    await expect(row).toHaveAttribute("data-a", a);
    await expect(row).toHaveAttribute("data-b", b);
  }
  if (expected <= 10) await expect(tableRows).toHaveCount(expected);

  // Disagreements only, then a label of A on top, then sorting: counts and order against the export.
  await page.getByRole("button", { name: "Clear filters" }).first().click();
  await expect(count).toHaveText(`${n} of ${n} samples`);
  await page.getByLabel("Disagreements only").check();
  await expect(count).toHaveText(`${n - agree} of ${n} samples`);
  await expect(page).toHaveURL(/[?&]disagree=1/);
  const disagreements = rows.filter((r) => r[col("agree")] === "no");
  expect(disagreements).toHaveLength(n - agree);
  const labelA = disagreements[0]![col("a_label")]!;
  await page.getByLabel("Label of A").selectOption(labelA);
  const withLabel = disagreements.filter((r) => r[col("a_label")] === labelA);
  await expect(count).toHaveText(`${withLabel.length} of ${n} samples`);
  await page.getByRole("button", { name: /^Sort by A Conf\./ }).click(); // ascending
  await page.getByRole("button", { name: /^Sort by A Conf\./ }).click(); // descending
  await expect(page).toHaveURL(/[?&]sort=aConfidence&dir=desc/);
  const byConfidence = [...withLabel].sort((x, y) => Number(y[col("a_confidence")]) - Number(x[col("a_confidence")]) || Number(x[col("position")]) - Number(y[col("position")]));
  await expect(tableRows.first()).toHaveAttribute("data-position", byConfidence[0]![col("position")]!);
  // The filters live in the URL: a reload shows the same list.
  await page.reload();
  await expect(count).toHaveText(`${withLabel.length} of ${n} samples`);
  await expect(page.getByLabel("Disagreements only")).toBeChecked();
  await expect(tableRows.first()).toHaveAttribute("data-position", byConfidence[0]![col("position")]!);

  await page.getByRole("link", { name: "← Comparisons" }).click();
  await expect(page.getByTestId("runs-table")).toContainText(name);
  // The list's filters (search params): this run by its set's name and status, with the same agreement.
  const search = page.getByRole("search", { name: "Filter comparison runs" });
  await search.getByLabel("Model id, nickname or sample set contains").fill(name);
  await search.getByLabel("Status").selectOption("finished");
  await search.getByRole("button", { name: "Apply filters" }).click();
  await expect(page).toHaveURL(/status=finished/);
  const runRow = page.getByTestId(`run-${runUrl.split("/").pop()}`);
  await expect(page.getByTestId("runs-table").locator("tbody tr")).toHaveCount(1);
  await expect(runRow.getByTestId("run-agreement")).toContainText(`${pct(p)} (${pct(Math.max(0, centre - half))}–${pct(Math.min(1, centre + half))}, n = ${n})`);
  await search.getByLabel("Model id, nickname or sample set contains").fill(`${name} no such run`);
  await search.getByRole("button", { name: "Apply filters" }).click();
  await expect(page.getByRole("heading", { name: "No runs match these filters" })).toBeVisible();
});
