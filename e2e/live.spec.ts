import { expect, test, type Page } from "./fixtures/test";
import { emulatorUrl } from "./fixtures/api";
import { ensureRegistered, openFunction, registerModel, requestPromotion, unique } from "./fixtures/pins";
import { newSession, signInAs } from "./fixtures/users";

test.skip(!process.env.NYCKEL_EMULATOR_URL, "NYCKEL_EMULATOR_URL is not set (run through npm test)");


/** Marks the document: the mark is gone after a reload or a full navigation. */
const markDocument = (page: Page) => page.evaluate(() => ((window as unknown as { liveMark: string }).liveMark = "same document"));
const documentMark = (page: Page) => page.evaluate(() => (window as unknown as { liveMark?: string }).liveMark ?? "reloaded");

async function setFaults(faults: Record<string, unknown> | null) {
  const res = await fetch(`${emulatorUrl()}/_emulator/faults`, {
    method: faults ? "PUT" : "DELETE",
    headers: { "content-type": "application/json" },
    body: faults ? JSON.stringify(faults) : undefined,
  });
  expect(res.ok).toBe(true);
}

test("a report opened mid-run ends, without a reload, with the table's disagreements equal to the matrix's off-diagonal sum", async ({ page }) => {
  test.setTimeout(180_000);
  await signInAs(page, "editor");
  const fn = await openFunction(page, "review-sentiment");
  // Two registered models, so the comparison's default sides are two different models.
  for (const modelId of fn.modelIds.slice(0, 2)) await ensureRegistered(page, modelId, "Live ");

  const n = 60;
  const words = ["great", "terrible", "okay", "love it", "awful", "fine", "excellent", "bad", "decent", "amazing", "meh", "so-so"];
  await page.goto(`/functions/${encodeURIComponent(fn.id)}/samples`);
  await page.getByLabel("Or paste samples (one per line)").fill(Array.from({ length: n }, (_, i) => `review ${i}: ${words[i % words.length]} ${unique("")}`).join("\n"));
  await page.getByRole("button", { name: "Preview" }).click();
  await expect(page.getByTestId("preview-counts")).toContainText(`${n} samples (text)`);
  const name = unique("Live report ");
  await page.getByLabel("Name").fill(name);
  await page.getByRole("button", { name: "Save sample set" }).click();
  await expect(page.getByText(`Saved "${name}" with ${n} samples.`)).toBeVisible();
  const form = page.locator("section", { has: page.getByRole("heading", { name: "Compare two models" }) });
  await form.getByLabel("Sample set", { exact: true }).selectOption({ label: `${name} (${n})` });
  expect(await form.getByLabel("Model A").inputValue()).not.toBe(await form.getByLabel("Model B").inputValue());

  // The emulator answers every invoke slowly, so the report opens while the run is active.
  await setFaults({ latencyMs: 1500, pathIncludes: "/invoke" });
  try {
    await form.getByRole("button", { name: "Start comparison" }).click();
    await expect(page).toHaveURL(/\/comparisons\/[0-9a-f-]{36}$/);
    await expect(page.getByTestId("progress-text")).toBeVisible();
    await markDocument(page);
    expect(await page.getByTestId("progress-text").textContent()).not.toContain(`${n} of ${n} samples done`);
    await expect(page.getByTestId("progress-text")).toContainText(`${n} of ${n} samples done, 0 with a failure`, { timeout: 90_000 });
  } finally {
    await setFaults(null);
  }

  // Without a reload, everything the page shows is the stored, final result.
  await expect(page.getByTestId("agreement")).toContainText(`of ${n} samples both answered`);
  const cells = page.getByTestId("matrix").locator("[data-cell]");
  const matrix = async () =>
    (await cells.evaluateAll((as) => as.map((a) => [a.getAttribute("data-cell") ?? "", Number(a.textContent)] as const))).reduce(
      (sum, [cell, count]) => {
        const [a, b] = cell.split("|");
        return { total: sum.total + count, off: sum.off + (a === b ? 0 : count) };
      },
      { total: 0, off: 0 },
    );
  await expect.poll(async () => (await matrix()).total).toBe(n);
  const { off } = await matrix();
  await expect(page.getByTestId("samples-count")).toHaveText(`${n} of ${n} samples`);
  await page.getByRole("checkbox", { name: "Disagreements only" }).check();
  await expect(page.getByTestId("samples-count")).toHaveText(`${off} of ${n} samples`);
  expect(await documentMark(page)).toBe("same document");
});

test("two approvers on one request: when one applies it, the other's page shows the applied state without a reload", async ({ page, browser }) => {
  test.setTimeout(180_000);
  // An editor requests staging (one approval) for a new model.
  await signInAs(page, "editor");
  // review-sentiment's Staging: no other spec moves that pin (promotions.spec drives churn-risk's).
  await openFunction(page, "review-sentiment");
  const model = { modelId: unique("model_e2elive"), nickname: unique("Live ") };
  await registerModel(page, model);
  const requestPath = await requestPromotion(page, { environment: "Staging (protected)", target: `${model.nickname} (${model.modelId})`, reason: "live pages" });
  await expect(page.getByTestId("request-status")).toHaveAttribute("data-status", "pending");
  await markDocument(page);

  const first = await newSession(browser, "approver");
  const second = await newSession(browser, "approver2");
  for (const p of [first, second]) {
    await p.goto(requestPath);
    await expect(p.getByTestId("request-status")).toHaveAttribute("data-status", "pending");
    await expect(p.getByRole("button", { name: "Approve…" })).toBeEnabled();
  }
  await markDocument(second);
  const badgeBefore = Number((await second.getByTestId("waiting-count").locator("[aria-hidden]").textContent()) ?? "0");
  expect(badgeBefore).toBeGreaterThan(0);

  await first.getByRole("button", { name: "Approve…" }).click();
  await first.getByRole("dialog").getByRole("button", { name: "Approve", exact: true }).click();
  await expect(first.getByTestId("request-status")).toHaveAttribute("data-status", "applied");

  // The other approver's page (and the requester's) catch up by themselves: status, banner, no buttons, badge.
  await expect(second.getByTestId("request-status")).toHaveAttribute("data-status", "applied", { timeout: 10_000 });
  await expect(second.getByTestId("request-banner")).toContainText(`Applied`);
  await expect(second.getByTestId("request-banner")).not.toContainText("Waiting for approvals");
  await expect(second.getByRole("button", { name: "Approve…" })).toHaveCount(0);
  await expect(second.getByRole("button", { name: "Reject…" })).toHaveCount(0);
  const badgeAfter = second.getByTestId("waiting-count");
  if (badgeBefore === 1) await expect(badgeAfter).toHaveCount(0, { timeout: 10_000 });
  else await expect(badgeAfter.locator("[aria-hidden]")).toHaveText(String(badgeBefore - 1), { timeout: 10_000 });
  await expect(page.getByTestId("request-status")).toHaveAttribute("data-status", "applied", { timeout: 10_000 });
  await expect(page.getByRole("button", { name: "Cancel request…" })).toHaveCount(0);
  expect(await documentMark(second)).toBe("same document");
  expect(await documentMark(page)).toBe("same document");

  for (const p of [first, second]) await p.context().close();
});
