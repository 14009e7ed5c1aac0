import { expect, test, type Page } from "./fixtures/test";
import { addEnvironment } from "./fixtures/api";
import { openFunction, unique } from "./fixtures/pins";
import { signInAs } from "./fixtures/users";

/**
 * Settings → API tokens: an admin creates a token (shown once, with a copy
 * button), applications use it, the admin revokes it behind a confirmation and
 * the token stops working; its proxy calls show on the function's page.
 */

test.skip(!process.env.NYCKEL_EMULATOR_URL, "NYCKEL_EMULATOR_URL is not set (run through npm test)");

async function createTokenInUi(page: Page, opts: { name: string; environment: string; expiry?: string }) {
  await page.goto("/settings/tokens");
  const form = page.getByRole("form", { name: "Create an API token" });
  await form.getByLabel("Name").fill(opts.name);
  await form.getByLabel("Environment").selectOption({ label: opts.environment });
  if (opts.expiry) await form.getByLabel("Expires", { exact: true }).selectOption({ label: opts.expiry });
  await form.getByRole("button", { name: "Create token" }).click();
  await expect(page.getByText("Copy this token now.")).toBeVisible();
  const token = await page.getByTestId("new-token-value").inputValue();
  expect(token).toMatch(/^mp_[A-Za-z0-9_-]{43}$/);
  return token;
}

test("an admin creates a token shown once, it reads the pins, and after a confirmed revoke it gets 401", async ({ page }) => {
  await signInAs(page, "admin");
  const name = unique("e2e token ");
  const token = await createTokenInUi(page, { name, environment: "Development (development)", expiry: "30 days" });
  await expect(page.getByTestId("new-token")).toContainText("/api/v1/environments/development/pins");

  const auth = { authorization: `Bearer ${token}` };
  await expect.poll(async () => (await page.request.get("/api/v1/environments/development/pins", { headers: auth })).status()).toBe(200);
  const other = await page.request.get("/api/v1/environments/production/pins", { headers: auth });
  expect(other.status()).toBe(403);

  await page.getByRole("button", { name: "I have copied it" }).click();
  await expect(page.getByTestId("new-token")).toHaveCount(0);
  const row = page.getByRole("row").filter({ hasText: name });
  await expect(row).toContainText(`${token.slice(0, 10)}…`);
  await expect(row).toContainText("active");
  // Shown once: not on the page any more, not after a reload either.
  await page.reload();
  await expect(page.getByText(token)).toHaveCount(0);
  await expect(page.locator(`input[value="${token}"]`)).toHaveCount(0);

  // Revoke: cancel first (nothing changes), then confirm.
  await row.getByRole("button", { name: `Revoke ${name}` }).click();
  const dialog = page.getByRole("dialog", { name: `Revoke “${name}”?` });
  await expect(dialog).toBeVisible();
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toBeHidden();
  expect((await page.request.get("/api/v1/environments/development/pins", { headers: auth })).status()).toBe(200);

  await row.getByRole("button", { name: `Revoke ${name}` }).click();
  await dialog.getByRole("button", { name: "Revoke token" }).click();
  await expect(page.getByText(`Revoked “${name}”. Applications using it now get 401.`)).toBeVisible();
  await expect(page.getByRole("row").filter({ hasText: name })).toContainText("revoked");

  const started = Date.now();
  await expect
    .poll(async () => (await page.request.get("/api/v1/environments/development/pins", { headers: auth })).status(), { timeout: 2000, intervals: [20] })
    .toBe(401);
  expect(Date.now() - started).toBeLessThan(1500);
  const refused = await page.request.get("/api/v1/environments/development/pins", { headers: auth });
  expect(refused.headers()["content-type"]).toContain("application/json");
  expect(await refused.json()).toMatchObject({ error: { code: "token_revoked" } });

  // The audit log has both events, without the token.
  await page.goto("/audit");
  await expect(page.getByRole("row").filter({ hasText: "token.created" }).filter({ hasText: name })).toBeVisible();
  await expect(page.getByRole("row").filter({ hasText: "token.revoked" }).first()).toBeVisible();
  await expect(page.getByText(token)).toHaveCount(0);
});

test("the form refuses bad input with a message and creates nothing", async ({ page }) => {
  await signInAs(page, "admin");
  await page.goto("/settings/tokens");
  const form = page.getByRole("form", { name: "Create an API token" });
  await form.getByRole("button", { name: "Create token" }).click();
  await expect(form.getByText("Give the token a name")).toBeVisible();
  await form.getByLabel("Name").fill("custom expiry");
  await form.getByLabel("Expires", { exact: true }).selectOption({ label: "Custom…" });
  await form.getByLabel("Expires in (days)").fill("0");
  await form.getByRole("button", { name: "Create token" }).click();
  await expect(form.getByText("Expiry is at least 1 day.")).toBeVisible();
  await expect(page.getByTestId("new-token")).toHaveCount(0);
});

test("proxy calls with a token show as traffic on the function's page", async ({ page }) => {
  await signInAs(page, "admin");
  const slug = unique("traffic-").toLowerCase();
  const envName = `Traffic ${slug.slice(-6)}`;
  await addEnvironment(page, { slug, name: envName });
  const token = await createTokenInUi(page, { name: unique("traffic token "), environment: `${envName} (${slug})` });
  const fn = await openFunction(page, "review-sentiment");

  const invoke = () =>
    page.request.post(`/v1/functions/${fn.id}/invoke?capture=false`, {
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      data: JSON.stringify({ data: "The battery died after two days." }),
    });
  await expect.poll(async () => (await invoke()).status()).toBe(200);
  const answer = await invoke();
  expect(answer.headers()["x-modelpin-environment"]).toBe(slug);
  expect(answer.headers()["x-modelpin-model-id"]).toBe("latest");
  expect(await answer.json()).toMatchObject({ labelName: expect.any(String), confidence: expect.any(Number) });

  // Counters are written every few seconds.
  const card = page.getByTestId(`traffic-${slug}`);
  await expect(async () => {
    await page.reload();
    await expect(card).toContainText(/calls? on latest since/, { timeout: 1000 });
  }).toPass({ timeout: 20_000 });
  await expect(card.getByTestId("traffic-headline")).toContainText(`${envName} traffic:`);
  await expect(card).toContainText("all on the pin");
});

test("only admins open Settings → API tokens", async ({ page }) => {
  await signInAs(page, "editor");
  const res = await page.goto("/settings/tokens");
  expect(res?.status()).toBe(403);
  await expect(page.getByRole("heading", { name: "Not allowed" })).toBeVisible();
});

test("the form sets a token's scopes and the table shows them; a token without read gets 403 scope_missing", async ({ page }) => {
  await signInAs(page, "admin");
  await page.goto("/settings/tokens");
  const form = page.getByRole("form", { name: "Create an API token" });
  const scope = (s: string) => form.locator(`input[name="token-scopes"][value="${s}"]`);
  await expect(scope("read")).toBeChecked();
  await expect(scope("invoke")).toBeChecked();
  await expect(scope("evaluate")).not.toBeChecked();
  const name = unique("e2e scoped ");
  await form.getByLabel("Name").fill(name);
  await form.getByLabel("Environment").selectOption({ label: "Development (development)" });
  await scope("read").uncheck();
  await scope("invoke").uncheck();
  await form.getByRole("button", { name: "Create token" }).click();
  await expect(form.getByText("Choose at least one scope.")).toBeVisible();

  await scope("evaluate").check();
  await scope("request").check();
  await form.getByRole("button", { name: "Create token" }).click();
  await expect(page.getByTestId("new-token")).toContainText("with the scopes evaluate, request");
  // A pipeline's token: the example fetches the CLI instead of reading pins.
  await expect(page.getByTestId("new-token")).toContainText("/cli.mjs");
  await expect(page.getByTestId("new-token")).toContainText("MODELPIN_ENVIRONMENT=development");
  const token = await page.getByTestId("new-token-value").inputValue();
  const read = () => page.request.get("/api/v1/environments/development/pins", { headers: { authorization: `Bearer ${token}` } });
  await expect.poll(async () => (await read()).status()).toBe(403);
  const refused = await read();
  expect(await refused.json()).toMatchObject({ error: { code: "scope_missing", message: expect.stringContaining("the scope `read`") } });
  await page.getByRole("button", { name: "I have copied it" }).click();
  await expect(page.getByRole("row").filter({ hasText: name })).toContainText("evaluate, request");
});
