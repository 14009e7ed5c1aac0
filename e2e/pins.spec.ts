import { readFile } from "node:fs/promises";
import { expect, test, type Request } from "./fixtures/test";
import Papa from "papaparse";
import { changePin, forgottenByNyckel, openFunction, registerModel, unique } from "./fixtures/pins";
import { signInAs } from "./fixtures/users";

test.skip(!process.env.NYCKEL_EMULATOR_URL, "NYCKEL_EMULATOR_URL is not set (run through npm test)");

test("an editor registers two models, pins development to one then the other, sees both in the timeline and the audit log, rolls back, and exports the log", async ({
  page,
}) => {
  test.setTimeout(120_000);
  await signInAs(page, "editor");
  const fn = await openFunction(page, "review-sentiment");
  const a = { modelId: unique("model_e2ea"), nickname: unique("Alpha ") };
  const b = { modelId: unique("model_e2eb"), nickname: unique("Beta ") };
  await registerModel(page, { ...a, notes: "first candidate" });
  await registerModel(page, b);

  // Bad input: a duplicate and a malformed id get clear messages.
  const register = page.getByRole("form", { name: "Register a model" });
  await register.getByLabel("Model id").fill(a.modelId);
  await register.getByLabel("Nickname").fill("Again");
  await register.getByRole("button", { name: "Register model" }).click();
  await expect(register.getByText(`The model id ${a.modelId} is already registered for this function as “${a.nickname}”. Edit it instead.`)).toBeVisible();
  await register.getByLabel("Model id").fill("model with spaces");
  await register.getByRole("button", { name: "Register model" }).click();
  await expect(register.getByText("Model ids contain no spaces.")).toBeVisible();

  // Check: a model id Nyckel has forgotten since it was registered gets Nyckel's error; the discovered current model answers.
  await forgottenByNyckel(fn.id, a.modelId);
  const modelA = page.getByTestId(`model-${a.modelId}`);
  await modelA.getByRole("button", { name: "Check" }).click();
  await modelA.getByLabel("Text sample").fill("Great product, works as advertised");
  await modelA.getByRole("button", { name: "Run check" }).click();
  await expect(modelA.getByTestId("check-output")).toContainText("Nyckel refused the request (400)");
  const latest = page.getByTestId(`model-${fn.modelIds.at(-1)}`);
  await latest.getByRole("button", { name: "Check" }).click();
  await latest.getByLabel("Text sample").fill("Great product, works as advertised");
  await latest.getByRole("button", { name: "Run check" }).click();
  await expect(latest.getByTestId("check-output")).toContainText(new RegExp(`${fn.modelIds.at(-1)} says (${fn.labels.map((l) => l.name).join("|")})`));

  // Pin development to A, then to B, each with a reason.
  const why1 = unique("try alpha on dev ");
  const why2 = unique("beta scores better ");
  const dev = page.getByTestId("pin-row-development");
  await changePin(page, "development", a, why1);
  await expect(page.getByText(`Development is now pinned to ${a.nickname} (${a.modelId})`)).toBeVisible();
  await expect(dev.getByTestId("pin-model")).toContainText(a.modelId);
  await expect(dev.getByTestId("pin-reason")).toHaveText(why1);
  await expect(modelA.getByTestId("pinned-in")).toContainText("Development");
  await changePin(page, "development", b, why2);
  await expect(dev.getByTestId("pin-model")).toContainText(b.modelId);
  await expect(dev.getByTestId("pin-reason")).toHaveText(why2);
  await expect(dev).toContainText("Eli Editor");

  // A missing reason is refused and changes nothing.
  await dev.getByRole("button", { name: "Change pin" }).click();
  const form = page.getByTestId("pin-form-development");
  await form.getByLabel("Model").selectOption({ label: `${a.nickname} (${a.modelId})` });
  await form.getByRole("button", { name: "Pin" }).click();
  await expect(form.getByText("Give a reason: it is recorded in the audit log.")).toBeVisible();
  await form.getByRole("button", { name: "Cancel" }).click();
  await expect(dev.getByTestId("pin-model")).toContainText(b.modelId);

  // Both changes are in the development timeline, newest first.
  const timeline = page.getByTestId("timeline-development");
  const entries = timeline.getByTestId("timeline-entry");
  await expect(entries.nth(0)).toContainText(b.nickname);
  await expect(entries.nth(0).getByTestId("timeline-reason")).toHaveText(why2);
  await expect(entries.nth(1)).toContainText(a.nickname);
  await expect(entries.nth(1).getByTestId("timeline-reason")).toHaveText(why1);

  // Roll back to A, after a preview from → to.
  await entries.nth(1).getByRole("button", { name: "Roll back to this" }).click();
  const dialog = page.getByRole("dialog");
  const preview = dialog.getByTestId("rollback-preview");
  await expect(preview).toContainText(`From${b.nickname} ${b.modelId}`);
  await expect(preview).toContainText(`To${a.nickname} ${a.modelId}`);
  await expect(preview).toContainText("by Eli Editor");
  const why3 = unique("beta misroutes refunds ");
  await dialog.getByLabel("Reason for the rollback").fill(why3);
  await dialog.getByRole("button", { name: "Roll back", exact: true }).click();
  await expect(page.getByText(`Rolled back Development to ${a.nickname} (${a.modelId})`)).toBeVisible();
  await expect(dev.getByTestId("pin-model")).toContainText(a.modelId);
  await expect(dev.getByTestId("pin-model")).toContainText("rollback to v");
  await expect(entries.nth(0)).toContainText("rolled back");
  await expect(entries.nth(0).getByTestId("timeline-reason")).toHaveText(why3);

  // The audit log, filtered to this function, shows the three pin changes with their reasons.
  await page.goto("/audit");
  await page.getByLabel("Function").selectOption({ label: fn.name });
  // And to development: other specs' comparison runs on this function write events at the same time.
  await page.getByLabel("Environment").selectOption({ label: "Development" });
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(new RegExp(`function=${fn.id}`));
  const rows = page.getByTestId("audit-row");
  await expect(rows.nth(0)).toHaveAttribute("data-action", "pin.rolled_back");
  await expect(rows.nth(0).getByTestId("audit-reason")).toHaveText(why3);
  await expect(rows.nth(1)).toHaveAttribute("data-action", "pin.pinned");
  await expect(rows.nth(1).getByTestId("audit-reason")).toHaveText(why2);
  await expect(rows.nth(2).getByTestId("audit-reason")).toHaveText(why1);
  await expect(rows.nth(0)).toContainText(`${b.nickname} (${b.modelId}) v`);

  // The CSV export of the filtered set has the rows of the page, in the same order.
  const pageRows = await rows.evaluateAll((trs) =>
    trs.map((tr) => ({
      id: tr.getAttribute("data-id"),
      action: tr.getAttribute("data-action"),
      reason: tr.querySelector("[data-testid=audit-reason]")?.textContent ?? "",
    })),
  );
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("export-csv").click()]);
  expect(download.suggestedFilename()).toMatch(/^modelpin-audit-.*\.csv$/);
  const csv = Papa.parse<Record<string, string>>(await readFile((await download.path())!, "utf8"), { header: true, skipEmptyLines: true });
  expect(csv.errors).toEqual([]);
  expect(csv.data.every((r) => r.function_id === fn.id)).toBe(true);
  expect(csv.data.map((r) => ({ id: r.id, action: r.action, reason: r.reason || "—" }))).toEqual(pageRows);
});

test("a viewer sees no pin controls, and a direct call of the pin action is refused", async ({ page, browser }) => {
  await signInAs(page, "editor");
  await openFunction(page, "churn-risk");
  const a = { modelId: unique("model_e2ev"), nickname: unique("Viewer test A ") };
  const b = { modelId: unique("model_e2ew"), nickname: unique("Viewer test B ") };
  await registerModel(page, a);
  await registerModel(page, b);
  const dev = page.getByTestId("pin-row-development");
  const version = Number(await dev.getAttribute("data-version"));

  // Capture the real server-action request of the editor's pin.
  const captured = page.waitForRequest((r: Request) => r.method() === "POST" && Boolean(r.headers()["next-action"]));
  await changePin(page, "development", a, "pin A for the viewer test");
  const request = await captured;
  await expect(dev.getByTestId("pin-model")).toContainText(a.modelId);
  await changePin(page, "development", b, "then B");
  await expect(dev.getByTestId("pin-model")).toContainText(b.modelId);
  await expect(dev).toHaveAttribute("data-version", String(version + 2));

  const viewerContext = await browser.newContext();
  const viewer = await viewerContext.newPage();
  await signInAs(viewer, "viewer");
  const fnUrl = new URL(page.url()).pathname;
  await viewer.goto(fnUrl);
  await expect(viewer.getByTestId("pin-row-development").getByTestId("pin-model")).toContainText(b.modelId);
  await expect(viewer.getByRole("button", { name: "Change pin" })).toHaveCount(0);
  await expect(viewer.getByRole("button", { name: /Break glass/ })).toHaveCount(0);
  await expect(viewer.getByRole("button", { name: "Roll back to this" })).toHaveCount(0);
  await expect(viewer.getByRole("form", { name: "Register a model" })).toHaveCount(0);

  // Replay "pin A" as the viewer, at the current version: it would succeed for an editor.
  const body = request.postData()!.replace(`"expectedVersion":${version}`, `"expectedVersion":${version + 2}`);
  expect(body).toContain(`"expectedVersion":${version + 2}`);
  const headers = request.headers();
  const direct = await viewer.request.post(fnUrl, {
    headers: { "next-action": headers["next-action"]!, "content-type": headers["content-type"]!, accept: "text/x-component" },
    data: body,
  });
  expect(await direct.text()).toContain("You are not allowed to do this.");
  await viewerContext.close();

  await page.reload();
  await expect(dev.getByTestId("pin-model")).toContainText(b.modelId);
  await expect(dev).toHaveAttribute("data-version", String(version + 2));
});

test("an editor cannot move production, in the page or by a direct call; an admin can break glass, marked everywhere", async ({ page, browser }) => {
  await signInAs(page, "editor");
  await openFunction(page, "pets");
  const m = { modelId: unique("model_e2ep"), nickname: unique("Prod test ") };
  await registerModel(page, m);
  const prod = page.getByTestId("pin-row-production");
  await expect(prod).toContainText("protected");
  await expect(prod).toContainText("Protected: changes go through promotion requests (2 approvals).");
  await expect(prod.getByRole("button")).toHaveCount(0);
  await expect(prod.getByTestId("pin-model")).toContainText("latest — not pinned");

  // The editor's own development pin, replayed against production.
  const captured = page.waitForRequest((r: Request) => r.method() === "POST" && Boolean(r.headers()["next-action"]));
  await changePin(page, "development", m, "dev first");
  const request = await captured;
  await expect(page.getByTestId("pin-row-development").getByTestId("pin-model")).toContainText(m.modelId);
  const devId = (await page.getByTestId("pin-row-development").getAttribute("data-environment-id"))!;
  const prodId = (await prod.getAttribute("data-environment-id"))!;
  const devVersion = Number(await page.getByTestId("pin-row-development").getAttribute("data-version")) - 1;
  const body = request.postData()!.replace(devId, prodId).replace(`"expectedVersion":${devVersion}`, `"expectedVersion":0`);
  expect(body).toContain(prodId);
  const headers = request.headers();
  const direct = await page.request.post(new URL(page.url()).pathname, {
    headers: { "next-action": headers["next-action"]!, "content-type": headers["content-type"]!, accept: "text/x-component" },
    data: body,
  });
  expect(await direct.text()).toContain("Production is protected: its pins move through promotion requests.");
  await page.reload();
  await expect(prod.getByTestId("pin-model")).toContainText("latest — not pinned");

  // An admin breaks glass on staging, with a confirmation and a reason.
  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  await signInAs(admin, "admin");
  await admin.goto(new URL(page.url()).pathname);
  const staging = admin.getByTestId("pin-row-staging");
  await staging.getByRole("button", { name: "Break glass…" }).click();
  const form = admin.getByTestId("pin-form-staging");
  await form.getByLabel("Model").selectOption({ label: `${m.nickname} (${m.modelId})` });
  const why = unique("incident: staging needs the known-good model ");
  await form.getByLabel("Reason").fill(why);
  await form.getByRole("button", { name: "Break glass…" }).click();
  const dialog = admin.getByRole("dialog");
  await expect(dialog).toContainText("Break glass in Staging?");
  await dialog.getByRole("button", { name: "Break glass", exact: true }).click();
  await expect(staging.getByTestId("pin-model")).toContainText(m.modelId);
  await expect(staging.getByTestId("pin-model")).toContainText("break-glass");
  await expect(admin.getByTestId("timeline-staging").getByTestId("timeline-entry").first()).toContainText("break-glass");
  await admin.goto("/audit?action=pin.break_glass");
  const row = admin.getByTestId("audit-row").filter({ hasText: why });
  await expect(row).toHaveAttribute("data-action", "pin.break_glass");
  await expect(row).toContainText("break-glass");
  await adminContext.close();
});

test("an editor retires a model after confirming (it leaves the pin picker) and restores it", async ({ page }) => {
  await signInAs(page, "editor");
  await openFunction(page, "review-sentiment");
  const m = { modelId: unique("model_e2er"), nickname: unique("Retiree ") };
  await registerModel(page, m);
  const row = page.getByTestId(`model-${m.modelId}`);
  const option = `${m.nickname} (${m.modelId})`;
  const pickerHas = async () => {
    await page.getByTestId("pin-row-development").getByRole("button", { name: "Change pin" }).click();
    const form = page.getByTestId("pin-form-development");
    const labels = await form.getByLabel("Model").locator("option").allTextContents();
    await form.getByRole("button", { name: "Cancel" }).click();
    return labels.includes(option);
  };
  expect(await pickerHas()).toBe(true);

  await row.getByRole("button", { name: "Retire" }).click();
  const dialog = page.getByRole("dialog", { name: `Retire ${m.nickname}?` });
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(row.getByText("retired", { exact: true })).toHaveCount(0);
  await row.getByRole("button", { name: "Retire" }).click();
  await dialog.getByRole("button", { name: "Retire" }).click();
  await expect(page.getByText(`${m.nickname} was retired: it can no longer be pinned.`)).toBeVisible();
  await expect(row.getByText("retired", { exact: true })).toBeVisible();
  expect(await pickerHas()).toBe(false);

  await row.getByRole("button", { name: "Restore" }).click();
  await expect(page.getByText(`${m.nickname} was restored: it can be pinned again.`)).toBeVisible();
  await expect(row.getByRole("button", { name: "Retire" })).toBeVisible();
  expect(await pickerHas()).toBe(true);
});
