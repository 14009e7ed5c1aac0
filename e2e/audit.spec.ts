import { expect, request as playwrightRequest, test } from "./fixtures/test";
import { changePin, openFunction, registerModel, unique } from "./fixtures/pins";
import { signInAs } from "./fixtures/users";

test.skip(!process.env.NYCKEL_EMULATOR_URL, "NYCKEL_EMULATOR_URL is not set (run through npm test)");

type PinsAnswer = {
  environment: string;
  at: string;
  pins: Array<{ functionId: string; functionName: string; modelId: string | null; version: number; updatedAt: string | null }>;
};

test("the pins API answers what was pinned now and at a past time, in JSON, and 401/400/404 as JSON", async ({ page, baseURL }) => {
  const anonymous = await playwrightRequest.newContext({ baseURL });
  const unauth = await anonymous.get("/api/v1/environments/development/pins", { maxRedirects: 0 });
  expect(unauth.status()).toBe(401);
  expect(unauth.headers()["content-type"]).toContain("application/json");
  expect(await unauth.json()).toMatchObject({ error: { code: "unauthorized" } });
  await anonymous.dispose();

  await signInAs(page, "editor");
  const fn = await openFunction(page, "support-triage");
  const m = { modelId: unique("model_e2eapi"), nickname: unique("API test ") };
  await registerModel(page, m);
  await changePin(page, "development", m, "for the API test");
  await expect(page.getByTestId("pin-row-development").getByTestId("pin-model")).toContainText(m.modelId);

  const now = await page.request.get("/api/v1/environments/development/pins");
  expect(now.status()).toBe(200);
  const body = (await now.json()) as PinsAnswer;
  expect(body.environment).toBe("development");
  expect(Number.isNaN(Date.parse(body.at))).toBe(false);
  const names = body.pins.map((p) => p.functionName);
  for (const name of ["Cat vs dog vs bird", "Support ticket triage", "Review sentiment", "Churn risk"]) expect(names).toContain(name);
  const pin = body.pins.find((p) => p.functionId === fn.id)!;
  expect(pin).toEqual({ functionId: fn.id, functionName: fn.name, modelId: m.modelId, version: expect.any(Number), updatedAt: expect.any(String) });

  // At the moment of the change it counts; a millisecond earlier it was the version before.
  const at = (await (await page.request.get(`/api/v1/environments/development/pins?at=${encodeURIComponent(pin.updatedAt!)}`)).json()) as PinsAnswer;
  expect(at.at).toBe(pin.updatedAt);
  expect(at.pins.find((p) => p.functionId === fn.id)).toEqual(pin);
  const before = new Date(Date.parse(pin.updatedAt!) - 1).toISOString();
  const earlier = (await (await page.request.get(`/api/v1/environments/development/pins?at=${before}`)).json()) as PinsAnswer;
  expect(earlier.pins.find((p) => p.functionId === fn.id)?.version).toBe(pin.version - 1);
  const past = (await (await page.request.get("/api/v1/environments/development/pins?at=2020-01-01T00:00:00Z")).json()) as PinsAnswer;
  expect(past.pins.length).toBe(body.pins.length);
  expect(past.pins.every((p) => p.modelId === null && p.version === 0 && p.updatedAt === null)).toBe(true);

  const bad = await page.request.get("/api/v1/environments/development/pins?at=last-tuesday");
  expect(bad.status()).toBe(400);
  expect(await bad.json()).toMatchObject({ error: { code: "invalid_input", message: expect.stringContaining("ISO 8601") } });
  const unknown = await page.request.get("/api/v1/environments/nowhere/pins");
  expect(unknown.status()).toBe(404);
  expect(await unknown.json()).toMatchObject({ error: { code: "not_found" } });

  // The overview shows the same pin now, and "latest" in the past.
  await page.goto("/");
  await expect(page.getByTestId(`matrix-${fn.id}`).getByTestId("cell-development")).toContainText(m.modelId);
  await page.getByLabel("As of (UTC)").fill(before);
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page.getByTestId("pin-matrix")).toContainText(`Pins as of ${before.slice(0, 10)} ${before.slice(11, 19)} UTC`);
  await expect(page.getByTestId(`matrix-${fn.id}`).getByTestId("cell-development")).toContainText(`v${pin.version - 1}`);
  await page.getByLabel("As of (UTC)").fill("not a time");
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page.getByText("“not a time” is not a time.")).toBeVisible();
});

test("the audit log filters by action, actor and time, refuses a bad time with a message, and links rows to their targets", async ({ page }) => {
  await signInAs(page, "editor");
  const fn = await openFunction(page, "support-triage");
  const m = { modelId: unique("model_e2efilter"), nickname: unique("Filter test ") };
  await registerModel(page, m);

  await page.goto("/audit");
  await page.getByLabel("Action").selectOption({ label: "Model registered" });
  await page.getByLabel("Actor").selectOption({ label: "Eli Editor (editor@modelpin.local)" });
  await page.getByRole("button", { name: "Filter" }).click();
  const rows = page.getByTestId("audit-row");
  await expect(rows.first()).toContainText(m.modelId);
  for (const row of await rows.all()) {
    await expect(row).toHaveAttribute("data-action", "model.registered");
    await expect(row).toContainText("editor@modelpin.local");
  }
  await rows.first().getByRole("link", { name: `model of ${fn.name}` }).click();
  await expect(page).toHaveURL(new RegExp(`/functions/${fn.id}#models$`));
  await expect(page.getByTestId(`model-${m.modelId}`)).toBeVisible();

  await page.goto("/audit?action=model.registered&from=2999-01-01T00:00");
  await expect(page.getByText("No events match these filters")).toBeVisible();
  await page.goto("/audit?from=yesterday");
  await expect(page.getByText("“yesterday” is not a time.")).toBeVisible();
  await expect(page.getByTestId("audit-table")).toHaveCount(0);
  const badExport = await page.request.get("/api/audit/export?format=csv&from=yesterday");
  expect(badExport.status()).toBe(400);
  const json = await page.request.get(`/api/audit/export?format=json&function=${fn.id}&action=model.registered`);
  expect(json.headers()["content-type"]).toContain("application/json");
  const events = (await json.json()) as Array<{ action: string; after: { modelId: string } }>;
  expect(events.some((e) => e.after.modelId === m.modelId)).toBe(true);
  expect(events.every((e) => e.action === "model.registered")).toBe(true);
});

test("admins verify the audit chain and manage environments; others cannot", async ({ page, browser }) => {
  test.setTimeout(120_000); // verify, add, edit twice (with refusals), audit log, another session
  await signInAs(page, "admin");
  await page.goto("/settings/audit");
  await page.getByRole("button", { name: "Verify the audit log" }).click();
  await expect(page.getByTestId("verify-result")).toHaveText(/^ok \d+ events$/);

  await page.goto("/settings/environments");
  await expect(page.getByTestId("environment-production")).toContainText("Protected: 2 approvals, one rejection blocks, requests expire after 72 h.");
  const add = page.getByRole("form", { name: "Add an environment" });
  await add.getByLabel("Name").fill("Dup");
  await add.getByLabel("Slug").fill("development");
  await add.getByRole("button", { name: "Add environment" }).click();
  await expect(add.getByText('An environment with the slug "development" already exists.')).toBeVisible();
  await add.getByLabel("Slug").fill("Not A Slug");
  await add.getByRole("button", { name: "Add environment" }).click();
  await expect(add.getByText("Use lowercase letters, digits and single dashes")).toBeVisible();

  const slug = unique("qa-").toLowerCase();
  await add.getByLabel("Name").fill(`QA ${slug}`);
  await add.getByLabel("Slug").fill(slug);
  await add.getByLabel("Order").fill("900");
  await add.getByRole("button", { name: "Add environment" }).click();
  await expect(page.getByText(`Added QA ${slug}.`)).toBeVisible();
  const env = page.getByTestId(`environment-${slug}`);
  await expect(env).toContainText("Open: editors pin directly.");
  await env.getByRole("button", { name: "Edit" }).click();
  const edit = env.getByRole("form", { name: `Edit QA ${slug}` });
  await edit.getByLabel(/^Protected/).check();
  await edit.getByLabel("Approvals required").fill("11");
  await edit.getByRole("button", { name: "Save" }).click();
  await expect(edit.getByText("At most 10 approvals.")).toBeVisible();
  await edit.getByLabel("Approvals required").fill("3");
  await edit.getByLabel("Request expiry (hours)").fill("24");
  await edit.getByRole("button", { name: "Save" }).click();
  await expect(env).toContainText("Protected: 3 approvals, one rejection blocks, requests expire after 24 h.");
  // The evidence gate's rules: bad input is refused with the field's message, then saved and described.
  await env.getByRole("button", { name: "Edit" }).click();
  await edit.getByLabel("Minimum agreement (%)").fill("95");
  await edit.getByLabel("Maximum errors (%)").fill("101");
  await edit.getByRole("button", { name: "Save" }).click();
  await expect(edit.getByText("Errors are a percentage from 0 to 100.")).toBeVisible();
  await edit.getByLabel("Maximum errors (%)").fill("2");
  await edit.getByLabel("Minimum answered samples").fill("50");
  await edit.getByLabel(/lower bound of the agreement/).check();
  await edit.getByRole("button", { name: "Save" }).click();
  await expect(env).toContainText(
    "evidence against the current pin: the lower bound of the agreement's 95% interval ≥ 95% on at least 50 answered samples, with at most 2% errors.",
  );
  await page.goto("/audit?action=environment.updated");
  await expect(page.getByTestId("audit-row").filter({ hasText: "approvalsRequired: 0 → 3" }).first()).toBeVisible();
  await expect(page.getByTestId("audit-row").first()).toContainText("maxErrorPct: 5 → 2");

  const other = await browser.newContext();
  const editor = await other.newPage();
  await signInAs(editor, "editor");
  for (const path of ["/settings/environments", "/settings/audit"]) {
    const res = await editor.goto(path);
    expect(res?.status()).toBe(403);
  }
  await other.close();
});

test("the audit log reads in plain language: a request with its number, a promoted pin with requester and approvers; exports carry environment name and slug", async ({
  page,
  browser,
}) => {
  test.setTimeout(180_000);
  await signInAs(page, "editor");
  const fn = await openFunction(page, "support-triage");
  const m = { modelId: unique("model_e2eaudit"), nickname: unique("Readable ") };
  await registerModel(page, m);
  const staging = page.getByTestId("pin-row-staging");
  const baseVersion = Number(await staging.getAttribute("data-version"));
  const form = page.getByRole("form", { name: "Request a promotion" });
  await form.getByLabel("Environment").selectOption({ label: "Staging (protected)" });
  await form.getByLabel("Move it to").selectOption({ label: `${m.nickname} (${m.modelId})` });
  const reason = unique("readable audit ");
  await form.getByLabel("Reason").fill(reason);
  await form.getByRole("button", { name: "Request promotion" }).click();
  const opened = form.getByText(/^Requested #\d+: move Staging to/);
  await expect(opened).toBeVisible();
  const number = Number(((await opened.textContent()) ?? "").match(/#(\d+)/)![1]);

  // request.opened: one sentence, no JSON; the target link names the request; the JSON stays in the detail.
  await page.goto(`/audit?function=${encodeURIComponent(fn.id)}&action=request.opened`);
  const row = page.getByTestId("audit-row").filter({ hasText: reason }).first();
  const summary = row.getByTestId("audit-summary");
  await expect(summary).toHaveText(new RegExp(`^Requested Staging → ${m.nickname} \\(${m.modelId}\\), based on v${baseVersion} \\(.+\\); policy: 1 approval$`));
  await expect(summary).not.toContainText("{");
  await expect(row.getByTestId("audit-json")).toBeHidden();
  await row.getByText("Details (JSON)").click();
  await expect(row.getByTestId("audit-json")).toContainText('"modelId"');
  const link = row.getByRole("link", { name: `request #${number}` });
  await expect(link).toHaveAttribute("href", /\/promotions\/[0-9a-f-]{36}$/);
  const requestPath = (await link.getAttribute("href"))!;

  // An approver applies it: the pin's "Set by" names the requester and the approver, with the request.
  const other = await browser.newContext();
  const approver = await other.newPage();
  await signInAs(approver, "approver");
  await approver.goto(requestPath);
  await approver.getByRole("button", { name: "Approve…" }).click();
  await approver.getByRole("dialog").getByRole("button", { name: "Approve", exact: true }).click();
  await expect(approver.getByTestId("request-status")).toHaveAttribute("data-status", "applied");
  await other.close();

  await page.goto(`/functions/${encodeURIComponent(fn.id)}`);
  await expect(staging.getByTestId("pin-model")).toContainText(m.modelId);
  await expect(staging.getByTestId("promoted-by")).toHaveText(`Requested by Eli Editor; approved by Arne Approver (request #${number})`);
  await page.goto(`/audit?function=${encodeURIComponent(fn.id)}&action=pin.pinned`);
  const pinRow = page.getByTestId("audit-row").filter({ hasText: m.modelId }).first();
  await expect(pinRow.getByTestId("audit-summary")).toContainText(`${m.nickname} (${m.modelId}) v${baseVersion + 1}, by request #${number}`);
  await expect(pinRow.getByTestId("promoted-by")).toHaveText(`Requested by Eli Editor; approved by Arne Approver (request #${number})`);

  // Exports: environment name and slug, side by side.
  const csv = await (await page.request.get(`/api/audit/export?format=csv&function=${encodeURIComponent(fn.id)}&action=request.opened`)).text();
  const [header, ...lines] = csv.trim().split("\r\n");
  const columns = header!.split(",");
  expect(columns).toEqual(expect.arrayContaining(["environment_id", "environment_name", "environment_slug"]));
  const line = lines.find((l) => l.includes(reason))!;
  // The reason is plain text without commas or quotes: split is safe up to the environment columns.
  const cells = line.split(",");
  expect(cells[columns.indexOf("environment_name")]).toBe("Staging");
  expect(cells[columns.indexOf("environment_slug")]).toBe("staging");
  const json = (await (await page.request.get(`/api/audit/export?format=json&function=${encodeURIComponent(fn.id)}&action=request.opened`)).json()) as Array<{
    reason: string;
    environmentName: string;
    environmentSlug: string;
  }>;
  expect(json.find((e) => e.reason === reason)).toMatchObject({ environmentName: "Staging", environmentSlug: "staging" });
});
