import { expect, test, type Page } from "./fixtures/test";
import { addEmulatorModel } from "./fixtures/drift";
import { openFunction, unique } from "./fixtures/pins";
import { newSession, signInAs } from "./fixtures/users";

test.skip(!process.env.NYCKEL_EMULATOR_URL, "NYCKEL_EMULATOR_URL is not set (run through npm test)");

/**
 * Drift watch's journey on churn-risk in Production (no other spec drives that pin).
 * Production and Staging watch new models (the seed's default), so a staging candidate
 * may open too: it stays pending, and promotions.spec's churn-risk staging journey
 * neither counts nor decides other requests, so it is not disturbed.
 */

/** Approves the open request page (with the confirmation) as the page's member. */
async function approve(page: Page, expected: RegExp) {
  await page.getByRole("button", { name: "Approve…" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Approve", exact: true }).click();
  await expect(page.getByText(expected)).toBeVisible();
}

test("an editor marks a golden set; a new Nyckel model shows as 1 behind with its candidate request; approvers approve it and the pin moves", async ({ page, browser }) => {
  test.setTimeout(240_000);
  await signInAs(page, "editor");
  const fn = await openFunction(page, "churn-risk");

  // The golden set: 40 accounts, uploaded as CSV, marked golden.
  await page.goto(`/functions/${encodeURIComponent(fn.id)}/samples`);
  const csv = ["plan,seats,logins_last_30d,tenure_months", ...Array.from({ length: 40 }, (_, i) => `${i % 3 ? "pro" : "free"},${i + 1},${(i * 7) % 31},${(i * 5) % 48}`)].join("\n");
  await page.getByTestId("sample-files").setInputFiles([{ name: "golden.csv", mimeType: "text/csv", buffer: Buffer.from(csv) }]);
  await page.getByRole("button", { name: "Preview" }).click();
  const setName = unique("Golden ");
  await page.getByLabel("Name").fill(setName);
  await page.getByRole("button", { name: "Save sample set" }).click();
  await expect(page.getByText(`Saved "${setName}" with 40 samples.`)).toBeVisible();
  await page.goto(`/functions/${encodeURIComponent(fn.id)}#golden`);
  const golden = page.getByTestId("golden-set");
  await golden.getByLabel("Sample set").selectOption({ label: `${setName} (40 samples, without ground truth)` });
  await golden.getByRole("button", { name: "Set as golden set" }).click();
  await expect(golden.getByText(`"${setName}" is now the golden set.`)).toBeVisible();

  // Production is pinned to Nyckel's current model (an admin breaks glass when it is not).
  await page.goto("/");
  const card = page.getByTestId(`drift-${fn.id}`);
  await expect(card.getByTestId("drift-latest")).toContainText(setName);
  const current = /model_[a-z0-9]+/.exec((await card.getByTestId("drift-latest").textContent()) ?? "")?.[0];
  expect(current).toBeTruthy();
  const production = card.getByTestId("drift-row-production");
  if (!((await production.getByTestId("drift-pin").textContent()) ?? "").includes(current!)) {
    const admin = await newSession(browser, "admin");
    await admin.goto(`/functions/${encodeURIComponent(fn.id)}`);
    await admin.getByTestId("pin-row-production").getByRole("button", { name: "Break glass…" }).click();
    const form = admin.getByTestId("pin-form-production");
    const select = form.getByLabel("Model");
    await select.selectOption((await select.locator("option", { hasText: current! }).getAttribute("value"))!);
    await form.getByLabel("Reason").fill("drift watch journey: production on Nyckel's current model");
    await form.getByRole("button", { name: "Break glass…" }).click();
    await admin.getByRole("dialog").getByRole("button", { name: "Break glass", exact: true }).click();
    await expect(admin.getByTestId("pin-row-production").getByTestId("pin-model")).toContainText(current!);
    await admin.context().close();
    await page.reload();
  }
  await expect(production.getByTestId("drift-behind")).toHaveText("up to date");

  // Nyckel retrains; a sync discovers it; drift watch evaluates it (the button asks again when sync has already done so).
  const newModel = await addEmulatorModel(fn.id, 0.05);
  await page.goto("/functions");
  await page.getByRole("button", { name: "Sync from Nyckel" }).click();
  // The scheduled sync (every few seconds in the browser tests) may have discovered it first: then this one has nothing new.
  await expect(page.getByText(/Synced: .*(new current model ids? discovered|nothing changed)/)).toBeVisible();
  await page.goto("/");
  await card.getByRole("button", { name: /Evaluate latest now/ }).click();
  await expect(card.getByText(new RegExp(`(Drift watch is comparing Nyckel's latest model ${newModel}|was sent for evaluation less than a minute ago)`))).toBeVisible();

  // The overview: 1 behind, and the candidate request once the evaluation has finished.
  await expect(production.getByTestId("drift-behind")).toHaveText("1 behind");
  await expect(async () => {
    await page.reload();
    await expect(production).toContainText("Candidate opened", { timeout: 2_000 });
  }).toPass({ timeout: 120_000, intervals: [2_000] });
  await expect(production.getByTestId("drift-agreement")).toContainText(/agreement \d+% \(95% CI \d+%–\d+%\)/);
  const requestLink = production.getByRole("link", { name: /Request #\d+ \(pending\)/ });
  const href = (await requestLink.getAttribute("href"))!;
  await expect(production.getByRole("link", { name: "Report" })).toBeVisible();

  // Two approvers (production's policy) approve it; the pin moves.
  const first = await newSession(browser, "approver");
  await first.goto(href);
  await expect(first.getByTestId("request-status")).toHaveAttribute("data-status", "pending");
  await expect(first.locator("main")).toContainText("drift watch");
  await expect(first.getByTestId("change-target")).toContainText(newModel);
  await approve(first, /Approved request #\d+ \(1 of 2\)/);
  const second = await newSession(browser, "approver2");
  await second.goto(href);
  await approve(second, /Request #\d+ is applied/);
  await expect(second.getByTestId("request-status")).toHaveAttribute("data-status", "applied");
  for (const p of [first, second]) await p.context().close();

  await page.reload();
  await expect(production.getByTestId("drift-pin")).toContainText(newModel);
  await expect(production.getByTestId("drift-behind")).toHaveText("up to date");
});
