import { expect, test } from "./fixtures/test";
import { knownToNyckel, openFunction, unique } from "./fixtures/pins";
import { signInAs } from "./fixtures/users";

test.skip(!process.env.NYCKEL_EMULATOR_URL, "NYCKEL_EMULATOR_URL is not set (run through npm test)");

/** The emulator's faults (control API), to make Nyckel fail for one model id and put back what was there. */
async function faults(method: "GET" | "PUT", body?: unknown): Promise<unknown> {
  const res = await fetch(`${process.env.NYCKEL_EMULATOR_URL}/_emulator/faults`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`emulator faults ${method}: ${res.status}`);
  return res.json();
}

test("the register form offers the ids Nyckel reported, with when first seen; “Use this id” fills the form from the keyboard", async ({ page }) => {
  await signInAs(page, "editor");
  const fn = await openFunction(page, "support-triage");
  // Nyckel's current model: the sync before the browser tests discovered it, and nobody has named it.
  const current = fn.modelIds.at(-1)!;
  const offered = page.getByTestId(`seen-${current}`);
  await expect(offered).toContainText("first seen");
  await offered.getByRole("button", { name: "Use this id" }).focus();
  await page.keyboard.press("Enter");
  const form = page.getByRole("form", { name: "Register a model" });
  await expect(form.getByLabel("Model id")).toHaveValue(current);
  await expect(form.getByLabel("Nickname")).toBeFocused();
  const nickname = unique("Current ");
  await page.keyboard.type(nickname);
  await form.getByRole("button", { name: "Register model" }).press("Enter");
  await expect(page.getByText(`Registered ${nickname} (${current}).`)).toBeVisible();
  // The discovered row is named (not a second row), and no longer offered.
  const row = page.getByTestId(`model-${current}`);
  await expect(row).toHaveCount(1);
  await expect(row).toContainText(nickname);
  await expect(row).toContainText("verified");
  await expect(row.getByTestId("not-verified")).toHaveCount(0);
  await expect(offered).toHaveCount(0);
});

test("a mistyped model id is refused with Nyckel's answer and nothing is saved", async ({ page }) => {
  await signInAs(page, "editor");
  await openFunction(page, "support-triage");
  const typo = unique("model_typo");
  const form = page.getByRole("form", { name: "Register a model" });
  await form.getByLabel("Model id").fill(typo);
  await form.getByLabel("Nickname").fill(unique("Typo "));
  await form.getByRole("button", { name: "Register model" }).click();
  const message = `Nyckel does not know model ${typo} for this function.`;
  await expect(form.getByText(message).first()).toBeVisible();
  await expect(form.getByLabel("Model id")).toHaveAttribute("aria-invalid", "true");
  await expect(form.getByLabel("Model id")).toHaveAccessibleDescription(new RegExp(message.replace(/\./g, "\\.")));
  await page.reload();
  await expect(page.getByTestId(`model-${typo}`)).toHaveCount(0);
});

test("an id Nyckel cannot confirm (server errors) is saved “not verified”, and the badge says why on focus", async ({ page }) => {
  await signInAs(page, "editor");
  const fn = await openFunction(page, "support-triage");
  const modelId = unique("model_flaky");
  await knownToNyckel(fn.id, modelId);
  const before = await faults("GET");
  // Only invokes pinned to this id fail: the other specs' calls are untouched.
  await faults("PUT", { pathIncludes: `modelId=${modelId}`, share503: 1 });
  const nickname = unique("Flaky ");
  try {
    const form = page.getByRole("form", { name: "Register a model" });
    await form.getByLabel("Model id").fill(modelId);
    await form.getByLabel("Nickname").fill(nickname);
    await form.getByRole("button", { name: "Register model" }).click();
    await expect(page.getByText(`Registered ${nickname} (${modelId}) (not verified with Nyckel).`)).toBeVisible();
  } finally {
    await faults("PUT", before);
  }
  const badge = page.getByTestId(`model-${modelId}`).getByTestId("not-verified");
  const tip = badge.getByRole("tooltip");
  await expect(tip).toBeHidden();
  await badge.focus();
  await expect(tip).toBeVisible();
  await expect(tip).toContainText("server error (503)");
  await expect(badge).toHaveAccessibleDescription(/server error \(503\)/);

  // Nyckel is back: a Check that it answers verifies the model.
  const row = page.getByTestId(`model-${modelId}`);
  await row.getByRole("button", { name: "Check" }).click();
  await row.getByLabel("Text sample").fill("I was charged twice this month");
  await row.getByRole("button", { name: "Run check" }).click();
  await expect(row.getByTestId("check-output")).toContainText(`${modelId} says`);
  await expect(badge).toHaveCount(0);
  await expect(row).toContainText("verified");
});
