import { expect, test } from "./fixtures/test";
import { tinyPng } from "../scripts/testing/nyckel";
import { openFunction, unique } from "./fixtures/pins";
import { newSession, signInAs } from "./fixtures/users";

/** Golden sets (drift watch): pets only, no pins touched. */
test("an editor marks a sample set as the golden set of pets on the function page and sees it on the sample sets page; a viewer only sees it", async ({
  page,
  browser,
}) => {
  await signInAs(page, "editor");
  const pets = await openFunction(page, "pets");

  // An image set of pets' own (Image input).
  await page.goto(`/functions/${pets.id}/samples`);
  const name = unique("Golden pets ");
  await page.getByTestId("sample-files").setInputFiles([
    { name: "a.png", mimeType: "image/png", buffer: Buffer.from(tinyPng(3, 3, [10, 20, 30])) },
    { name: "b.png", mimeType: "image/png", buffer: Buffer.from(tinyPng(3, 3, [40, 50, 60])) },
    { name: "c.png", mimeType: "image/png", buffer: Buffer.from(tinyPng(3, 3, [70, 80, 90])) },
  ]);
  await page.getByRole("button", { name: "Preview" }).click();
  await expect(page.getByTestId("preview-counts")).toContainText("3 samples (image)");
  await page.getByLabel("Name").fill(name);
  await page.getByRole("button", { name: "Save sample set" }).click();
  await expect(page.getByText(`Saved "${name}" with 3 samples.`)).toBeVisible();
  await expect(page.getByTestId(`sample-set-${name}`).getByText("golden set", { exact: true })).toHaveCount(0);

  // The function page: choose it as the golden set.
  await page.goto(`/functions/${pets.id}`);
  const panel = page.getByTestId("golden-set");
  await panel.getByLabel("Sample set").selectOption({ label: `${name} (3 samples, without ground truth)` });
  await panel.getByRole("button", { name: "Set as golden set" }).click();
  await expect(panel.getByText(`"${name}" is now the golden set.`)).toBeVisible();
  await page.reload();
  await expect(page.getByTestId("golden-set")).toContainText(`golden set ${name} (3 samples, without ground truth)`);

  // The sample sets page marks it.
  await page.goto(`/functions/${pets.id}/samples`);
  await expect(page.getByTestId(`sample-set-${name}`).getByText("golden set", { exact: true })).toBeVisible();
  await expect(page.getByText("golden set", { exact: true })).toHaveCount(1);

  // The change is in the audit log.
  await page.goto("/audit?action=function.golden_set_changed");
  await expect(page.getByTestId("audit-summary").filter({ hasText: `→ “${name}”` })).toHaveCount(1);

  // A viewer sees the golden set, and no control to change it.
  const viewer = await newSession(browser, "viewer");
  await viewer.goto(`/functions/${pets.id}`);
  await expect(viewer.getByTestId("golden-set")).toContainText(`golden set ${name}`);
  await expect(viewer.getByRole("form", { name: "Golden set" })).toHaveCount(0);
  await viewer.context().close();
});

test("an admin turns on watching new models for an environment with its drift significance; a significance of 0.5 is refused with the reason", async ({ page }) => {
  await signInAs(page, "admin");
  await page.goto("/settings/environments");
  await expect(page.getByTestId("watch-summary-production")).toHaveText(
    "Watches new models: each one Nyckel reports is compared with this pin on the golden set (significance 0.05).",
  );
  const slug = unique("watch-").toLowerCase();
  const add = page.getByRole("form", { name: "Add an environment" });
  await add.getByLabel("Name").fill(`Watch ${slug}`);
  await add.getByLabel("Slug").fill(slug);
  await add.getByLabel("Order").fill("950");
  await add.getByRole("button", { name: "Add environment" }).click();
  await expect(page.getByText(`Added Watch ${slug}.`)).toBeVisible();
  await expect(page.getByTestId(`watch-summary-${slug}`)).toHaveText("Does not watch new models.");

  const env = page.getByTestId(`environment-${slug}`);
  await env.getByRole("button", { name: "Edit" }).click();
  const edit = env.getByRole("form", { name: `Edit Watch ${slug}` });
  await edit.getByLabel(/^Watch new models/).check();
  await edit.getByLabel("Drift significance").fill("0.5");
  await edit.getByRole("button", { name: "Save" }).click();
  await expect(edit.getByText("The drift significance is above 0 and below 0.5, like 0.05.")).toBeVisible();
  await edit.getByLabel("Drift significance").fill("0.01");
  await edit.getByRole("button", { name: "Save" }).click();
  await expect(page.getByTestId(`watch-summary-${slug}`)).toHaveText(
    "Watches new models: each one Nyckel reports is compared with this pin on the golden set (significance 0.01).",
  );
  await page.goto("/audit?action=environment.updated");
  await expect(page.getByTestId("audit-row").filter({ hasText: "driftSignificance: 0.05 → 0.01" }).first()).toBeVisible();
});
