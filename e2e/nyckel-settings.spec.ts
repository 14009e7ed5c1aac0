import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures/test";
import { signInAs } from "./fixtures/users";

const emulatorUrl = process.env.NYCKEL_EMULATOR_URL;

test.skip(!emulatorUrl, "NYCKEL_EMULATOR_URL is not set (run through npm test)");

/** Signs in as an admin and fills Settings → Nyckel with the emulator's base URL and client id, and `secret`. */
async function openSettingsWith(page: Page, secret: string) {
  await signInAs(page, "admin");
  await page.goto("/settings/nyckel");
  await page.getByLabel("Base URL").fill(emulatorUrl!);
  await page.getByLabel("Client id").fill("modelpin-emulator");
  await page.getByLabel("Client secret").fill(secret);
}

test("an admin saves Nyckel credentials, tests the connection, syncs and sees the functions; a wrong secret is a clear error", async ({ page }) => {
  await openSettingsWith(page, "definitely-wrong-secret");
  await page.getByRole("button", { name: "Test connection" }).click();
  await expect(page.getByText("Nyckel rejected the client id or secret")).toBeVisible();
  await expect(page.locator("body")).not.toContainText("definitely-wrong-secret");

  await page.getByLabel("Client secret").fill("modelpin-emulator-secret");
  await page.getByRole("button", { name: "Test connection" }).click();
  await expect(page.getByText(/Connected: Nyckel accepted the credentials and lists 4 functions/)).toBeVisible();

  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText("Saved. Modelpin now uses these credentials.")).toBeVisible();
  await page.reload();
  await expect(page.getByLabel("Client id")).toHaveValue("modelpin-emulator");
  await expect(page.getByLabel("Client secret")).toHaveValue("");
  await expect(page.getByText("A secret is set.")).toBeVisible();
  expect(await page.content()).not.toContain("modelpin-emulator-secret");

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Functions" }).click();
  await page.getByRole("button", { name: "Sync from Nyckel" }).click();
  await expect(page.getByText(/^Synced: /)).toBeVisible();
  const table = page.getByTestId("functions-table");
  for (const name of ["Cat vs dog vs bird", "Support ticket triage", "Review sentiment", "Churn risk"]) {
    await expect(table.getByRole("link", { name })).toBeVisible();
  }
  await table.getByRole("link", { name: "Support ticket triage" }).click();
  await expect(page.getByRole("heading", { name: "Support ticket triage" })).toBeVisible();
  await expect(page.getByRole("list", { name: "Labels" }).getByRole("listitem")).toHaveCount(5);
  await expect(page.getByTestId("current-model")).toContainText("Nyckel reports that “latest” is now");
});

test("the saved secret is never sent to a new base URL, and internal addresses are refused", async ({ page }) => {
  test.slow(); // about 15 steps with two server actions each way: more than the default timeout on a busy machine
  await openSettingsWith(page, "modelpin-emulator-secret");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText("Saved. Modelpin now uses these credentials.")).toBeVisible();

  // Another base URL with the secret field left empty: the saved secret is not sent there.
  await page.getByLabel("Base URL").fill("http://127.0.0.1:9");
  await page.getByRole("button", { name: "Test connection" }).click();
  await expect(page.getByText("Enter the client secret again: the saved secret is only ever sent to the saved base URL.").first()).toBeVisible();
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText("Enter the client secret again: the saved secret is only ever sent to the saved base URL.").first()).toBeVisible();

  // An address inside the network is refused whatever the secret.
  await page.getByLabel("Base URL").fill("https://169.254.169.254");
  await page.getByLabel("Client secret").fill("some-secret");
  await page.getByRole("button", { name: "Test connection" }).click();
  await expect(page.getByText("That address is link-local (169.254.169.254); the Nyckel base URL must reach a public address.").first()).toBeVisible();

  await page.reload();
  await expect(page.getByLabel("Base URL")).toHaveValue(emulatorUrl!.replace(/\/+$/, ""));
});

test("a viewer cannot open Settings → Nyckel", async ({ page }) => {
  await signInAs(page, "viewer");
  const res = await page.goto("/settings/nyckel");
  expect(res?.status()).toBe(403);
  await expect(page.getByRole("heading", { name: "Not allowed" })).toBeVisible();
});

test("Settings → Nyckel shows the shared Nyckel budget live: classes, mode, and the processes holding leases (or none yet)", async ({ page }) => {
  await signInAs(page, "admin");
  let polls = 0;
  page.on("response", (r) => {
    if (r.url().endsWith("/api/settings/nyckel/budget") && r.status() === 200) polls += 1;
  });
  await page.goto("/settings/nyckel");
  const panel = page.getByTestId("budget-panel");
  await expect(panel.getByRole("heading", { name: "Budget" })).toBeVisible();
  const classes = panel.getByRole("table", { name: "Budget by class" });
  for (const name of [/^Serving/, /^Interactive/, /^Batch/, /^Shadow/]) await expect(classes.getByRole("rowheader", { name })).toBeVisible();
  await expect(panel.getByTestId("budget-mode")).toHaveText(/Leased|Fallback|Idle/);
  await expect(panel.getByTestId("budget-effective-rate")).toContainText("of 25/s, 25 in flight");
  // Before any Nyckel call (or without the budget) nobody holds a lease; once this server called Nyckel, it is listed.
  const leases = panel.getByRole("table", { name: "Processes holding leases" });
  await expect(leases.or(panel.getByText("No process has called Nyckel yet"))).toBeVisible();
  if (await leases.isVisible()) await expect(leases.getByText("(this server)")).toBeVisible();
  // Live: it keeps asking the server.
  await expect.poll(() => polls, { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
});

test("the budget behind the panel is for admins: a viewer gets 403, an admin 200", async ({ browser }) => {
  for (const [role, status] of [["viewer", 403], ["admin", 200]] as const) {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await signInAs(page, role);
      const res = await page.request.get("/api/settings/nyckel/budget");
      expect(res.status(), role).toBe(status);
      if (status === 200) {
        expect(await res.json()).toMatchObject({ limitRate: 25, limitConcurrency: 25, classes: expect.any(Array), processes: expect.any(Array) });
      }
    } finally {
      await context.close();
    }
  }
});
