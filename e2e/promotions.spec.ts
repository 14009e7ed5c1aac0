import { expect, test, type Page, type Request } from "./fixtures/test";
import { openFunction, productionCandidate, registerModel, requestPromotion, unique } from "./fixtures/pins";
import { createTextSampleSet } from "./fixtures/samples";
import { newSession, signInAs } from "./fixtures/users";

test.skip(!process.env.NYCKEL_EMULATOR_URL, "NYCKEL_EMULATOR_URL is not set (run through npm test)");


/** Clicks a decision button, confirms in the dialog, and returns the server-action request it sent. */
async function decide(page: Page, requestId: string, button: "Approve…" | "Reject…" | "Cancel request…", confirm: string): Promise<Request> {
  await page.getByRole("button", { name: button }).click();
  const dialog = page.getByRole("dialog");
  await expect(dialog).toBeVisible();
  const sent = page.waitForRequest((r) => r.method() === "POST" && Boolean(r.headers()["next-action"]) && (r.postData() ?? "").includes(requestId));
  await dialog.getByRole("button", { name: confirm, exact: true }).click();
  return sent;
}

/** Replays a captured server-action request from another member's session. */
async function replay(page: Page, captured: Request, path: string): Promise<string> {
  const headers = captured.headers();
  const res = await page.request.post(path, {
    headers: { "next-action": headers["next-action"]!, "content-type": headers["content-type"]!, accept: "text/x-component" },
    data: captured.postData()!,
  });
  return res.text();
}

test("an editor requests production with evidence; the requester and a viewer cannot approve; two approvers apply it; the audit log has the whole chain", async ({
  page,
  browser,
}) => {
  test.setTimeout(240_000);
  await signInAs(page, "editor");
  const fn = await openFunction(page, "review-sentiment");
  const fnPath = `/functions/${encodeURIComponent(fn.id)}`;

  // A real emulator model that production is not on yet, registered under a nickname.
  const { production, modelId, nickname, prodId } = await productionCandidate(page, fn);
  const prodVersion = Number(await production.getAttribute("data-version"));

  // Evidence: a small sample set, compared from the request form itself.
  const words = ["great", "terrible", "okay", "love it", "awful", "fine", "excellent", "bad", "decent", "amazing"];
  const setName = await createTextSampleSet(
    page,
    fn.id,
    Array.from({ length: 20 }, (_, i) => `review ${i}: ${words[i % words.length]} product ${unique("")}`),
    "Promotion evidence ",
  );
  await page.goto(`${fnPath}#request`);
  const form = page.getByRole("form", { name: "Request a promotion" });
  await form.getByLabel("Environment").selectOption({ label: "Production (protected)" });
  await expect(page.getByTestId("request-policy")).toContainText("needs 2 approvals from others; one rejection ends it; expires after 72 h; no evidence required");
  await form.getByLabel("Move it to").selectOption({ label: `${nickname} (${modelId})` });
  const reason = unique("Candidate handles sarcasm better ");
  await form.getByLabel("Reason").fill(reason);
  await form.getByLabel("Sample set").selectOption({ label: `${setName} (20)` });
  await form.getByRole("button", { name: "Compare Production's pin with this model" }).click();
  await expect(page.getByTestId("request-started-run").getByTestId("progress-text")).toContainText("20 of 20 samples done, 0 with a failure", { timeout: 60_000 });
  // Once finished, the run is attached and the verdict shown.
  const evidence = form.getByLabel("Comparison run");
  await expect(evidence.locator("option:checked")).toContainText(`agreement on 20 · “${setName}”`);
  await expect(page.getByTestId("request-gate-verdict")).toHaveText("The comparison compares the current pin with the requested model.");
  await form.getByRole("button", { name: "Request promotion" }).click();
  const opened = form.getByText(/^Requested #\d+: move Production to/);
  await expect(opened).toBeVisible();
  const number = Number(((await opened.textContent()) ?? "").match(/#(\d+)/)![1]);
  await form.getByRole("link", { name: `Open request #${number}` }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Promotion #${number}: Production → ${nickname} (${modelId})`);
  const requestPath = new URL(page.url()).pathname;
  const requestId = requestPath.split("/").pop()!;

  // The request page: reason, diff, evidence with a link to the report, frozen policy.
  await expect(page.getByTestId("request-reason")).toContainText(reason);
  await expect(page.getByTestId("change-target")).toContainText(modelId);
  await expect(page.getByTestId("change-now")).toContainText(`unchanged since the request`);
  await expect(page.getByTestId("evidence-agreement")).toContainText(/They agree on \d+\.\d% of 20 samples both answered \(95% CI/);
  await expect(page.getByTestId("evidence").getByRole("link", { name: "Open the full report" })).toHaveAttribute("href", /\/comparisons\/[0-9a-f-]{36}$/);
  await expect(page.getByTestId("request-policy")).toContainText("needs 2 approvals from others, 0 so far; one rejection ends it; expires after 72 h");
  await expect(page.getByTestId("request-status")).toHaveAttribute("data-status", "pending");
  // The requester has no decision buttons, only cancel.
  await expect(page.getByText("You made this request: others approve or reject it.")).toBeVisible();
  await expect(page.getByRole("button", { name: "Approve…" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Reject…" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Cancel request…" })).toBeVisible();

  // The open request shows where the pin is: the function page's pins table and the overview link to it.
  await page.goto(fnPath);
  await expect(production.getByTestId("pending-requests")).toContainText(`Request #${number} pending → ${modelId}`);
  await page.goto("/");
  await page.getByTestId(`matrix-${fn.id}`).getByTestId("cell-production").getByRole("link", { name: `Request #${number} pending` }).click();
  await expect(page).toHaveURL(new RegExp(`${requestPath}$`));

  // Approver 1: the request waits for them; they approve (with a confirmation).
  const first = await newSession(browser, "approver");
  await expect(first.getByTestId("waiting-count")).toBeVisible();
  await first.goto("/promotions");
  await expect(first.getByRole("link", { name: "Waiting for me" })).toHaveAttribute("aria-current", "page");
  await first.getByTestId("requests-table").getByRole("link", { name: `#${number}` }).click();
  await expect(first).toHaveURL(new RegExp(`${requestPath}$`));
  await first.getByLabel("Comment").fill("Evidence looks right");
  const approval = await decide(first, requestId, "Approve…", "Approve");
  await expect(first.getByText(`Approved request #${number} (1 of 2); 1 more approval needed.`)).toBeVisible();
  await expect(first.getByTestId("my-decision")).toContainText("You approved this request");
  await expect(first.getByRole("button", { name: "Approve…" })).toHaveCount(0);
  await expect(first.getByTestId("request-timeline").getByTestId("timeline-event")).toHaveCount(2);

  // The requester replays that approval: the service refuses, nothing changes.
  expect(await replay(page, approval, requestPath)).toContain("You are not allowed to do this.");
  // A viewer: no decision buttons, and a direct call of the approve action is refused.
  const viewer = await newSession(browser, "viewer");
  await viewer.goto(requestPath);
  await expect(viewer.getByText("Approvers and admins decide promotion requests.")).toBeVisible();
  await expect(viewer.getByRole("button", { name: "Approve…" })).toHaveCount(0);
  await expect(viewer.getByRole("button", { name: "Reject…" })).toHaveCount(0);
  await expect(viewer.getByRole("button", { name: "Cancel request…" })).toHaveCount(0);
  expect(await replay(viewer, approval, requestPath)).toContain("You are not allowed to do this.");
  await viewer.reload();
  await expect(viewer.getByTestId("request-policy")).toContainText("1 so far");
  await expect(viewer.getByTestId("request-timeline").getByTestId("timeline-event")).toHaveCount(2);
  await page.goto(fnPath);
  await expect(production).toHaveAttribute("data-version", String(prodVersion));

  // Approver 2: the last approval moves the pin.
  const second = await newSession(browser, "approver2");
  await second.goto(requestPath);
  await expect(second.getByTestId("request-banner")).toContainText("Waiting for approvals: 1 of 2.");
  await decide(second, requestId, "Approve…", "Approve");
  await expect(second.getByText(`Request #${number} is applied: Production is now pinned to ${nickname} (${modelId}) (version ${prodVersion + 1}).`)).toBeVisible();
  await expect(second.getByTestId("request-status")).toHaveAttribute("data-status", "applied");
  const timeline = second.getByTestId("request-timeline").getByTestId("timeline-event");
  await expect(timeline).toHaveCount(4);
  expect(await timeline.evaluateAll((els) => els.map((e) => e.getAttribute("data-action")))).toEqual([
    "request.opened",
    "request.approved",
    "request.approved",
    "request.applied",
  ]);

  // The function page shows the new pin, with the request in its reason.
  await page.goto(fnPath);
  await expect(production.getByTestId("pin-model")).toContainText(modelId);
  await expect(production).toHaveAttribute("data-version", String(prodVersion + 1));
  await expect(production.getByTestId("pin-reason")).toHaveText(`Promotion #${number}: ${reason}`);
  await expect(production).toContainText("Bea Approver");

  // An editor cannot roll a protected environment back directly: the history offers a request back instead.
  const history = page.getByTestId("timeline-production");
  await expect(history.getByTestId("rollback-hint")).toContainText("Production is protected: roll back with a promotion request");
  await expect(history.getByRole("button", { name: "Roll back to this" })).toHaveCount(0);
  await history.getByRole("link", { name: "Request rollback" }).first().click();
  await expect(page).toHaveURL(/requestEnvironment=.*#request$/);
  const back = page.getByRole("form", { name: "Request a promotion" });
  await expect(back.getByLabel("Environment")).toHaveValue(prodId);
  await expect(back.getByLabel("Reason")).toHaveValue(/^Roll back Production to v\d+$/);

  // The audit log, filtered to this function and production: the whole chain, newest first.
  await page.goto(`/audit?function=${encodeURIComponent(fn.id)}&environment=${prodId}`);
  const rows = page.getByTestId("audit-row");
  const actions = await rows.evaluateAll((trs) => trs.slice(0, 5).map((tr) => tr.getAttribute("data-action")));
  expect(actions).toEqual(["request.applied", "pin.pinned", "request.approved", "request.approved", "request.opened"]);
  await expect(rows.nth(1).getByTestId("audit-reason")).toHaveText(`Promotion #${number}: ${reason}`);
  await expect(rows.nth(3).getByTestId("audit-reason")).toHaveText("Evidence looks right");
  await expect(rows.nth(4).getByTestId("audit-reason")).toHaveText(reason);

  for (const p of [first, second, viewer]) await p.context().close();
});

test("an approver cannot decide their own request (page or direct call); a rejection needs a comment; a moved pin makes a request stale; request again", async ({ page, browser }) => {
  test.setTimeout(240_000);
  // The approver requests staging (1 approval, no evidence gate) of a function for a model of their own.
  await signInAs(page, "approver");
  const fn = await openFunction(page, "churn-risk");
  const own = { modelId: unique("model_e2eown"), nickname: unique("Own ") };
  await registerModel(page, own);
  const form = page.getByRole("form", { name: "Request a promotion" });
  await form.getByLabel("Environment").selectOption({ label: "Staging (protected)" });
  await form.getByLabel("Move it to").selectOption({ label: `${own.nickname} (${own.modelId})` });
  await expect(form.getByLabel("Comparison run")).toHaveValue("none");
  await form.getByLabel("Reason").fill("my own request");
  await form.getByRole("button", { name: "Request promotion" }).click();
  await form.getByRole("link", { name: /Open request #\d+/ }).click();
  await expect(page).toHaveURL(/\/promotions\/[0-9a-f-]{36}$/);
  const ownPath = new URL(page.url()).pathname;
  await expect(page.getByText("You made this request: others approve or reject it.")).toBeVisible();
  await expect(page.getByRole("button", { name: "Approve…" })).toHaveCount(0);

  // An editor's request that the approver may decide: rejecting needs a comment.
  const editor = await newSession(browser, "editor");
  await editor.goto(`/functions/${encodeURIComponent(fn.id)}`);
  const other = { modelId: unique("model_e2eoth"), nickname: unique("Other ") };
  await registerModel(editor, other);
  const otherPath = await requestPromotion(editor, { environment: "Staging (protected)", target: `${other.nickname} (${other.modelId})`, reason: "the editor's request" });
  await editor.context().close();

  await page.goto(otherPath);
  await page.getByRole("button", { name: "Reject…" }).click();
  await expect(page.getByText("Say why you reject it: the requester and the audit log read it.")).toBeVisible();
  await expect(page.getByRole("dialog")).toBeHidden();
  await page.getByLabel("Comment").fill("Not on staging this week");
  const rejection = await decide(page, otherPath.split("/").pop()!, "Reject…", "Reject");
  await expect(page.getByText(/^Rejected request #\d+; it is closed\.$/)).toBeVisible();
  await expect(page.getByTestId("request-status")).toHaveAttribute("data-status", "rejected");

  // The same action, aimed at the approver's own request: the service refuses it.
  const ownId = ownPath.split("/").pop()!;
  const body = rejection.postData()!.replace(otherPath.split("/").pop()!, ownId);
  expect(body).toContain(ownId);
  const headers = rejection.headers();
  const res = await page.request.post(ownPath, {
    headers: { "next-action": headers["next-action"]!, "content-type": headers["content-type"]!, accept: "text/x-component" },
    data: body,
  });
  expect(await res.text()).toContain("You made this request, so you cannot decide it");
  await page.goto(ownPath);
  await expect(page.getByTestId("request-status")).toHaveAttribute("data-status", "pending");
  await expect(page.getByTestId("request-timeline").getByTestId("timeline-event")).toHaveCount(1);

  // An admin breaks glass on staging meanwhile: the approver's request is now based on an old pin version.
  const admin = await newSession(browser, "admin");
  await admin.goto(`/functions/${encodeURIComponent(fn.id)}`);
  await admin.getByTestId("pin-row-staging").getByRole("button", { name: "Break glass…" }).click();
  const glass = admin.getByTestId("pin-form-staging");
  await glass.getByLabel("Model").selectOption({ label: `${other.nickname} (${other.modelId})` });
  await glass.getByLabel("Reason").fill("incident on staging");
  await glass.getByRole("button", { name: "Break glass…" }).click();
  await admin.getByRole("dialog").getByRole("button", { name: "Break glass", exact: true }).click();
  await expect(admin.getByTestId("pin-row-staging").getByTestId("pin-model")).toContainText(other.modelId);
  await admin.goto(ownPath);
  await expect(admin.getByTestId("request-banner")).toContainText("Stale risk: the pin of Staging moved since this request was made (version 0 → 1).");
  await decide(admin, ownId, "Approve…", "Approve");
  await expect(admin.getByText(/is stale and was not applied\. The pin of Staging moved from version 0 to 1/)).toBeVisible();
  await expect(admin.getByTestId("request-status")).toHaveAttribute("data-status", "stale");
  await admin.context().close();

  // The requester sees why, and requests again from the current pin with the form prefilled.
  await page.goto(ownPath);
  await expect(page.getByTestId("request-banner")).toContainText("Stale: not applied. The pin of Staging moved from version 0 to 1");
  await page.getByRole("button", { name: "Request again" }).click();
  const again = page.getByRole("form", { name: "Request a promotion" });
  await expect(again.getByLabel("Environment")).toHaveValue(await again.getByLabel("Environment").locator("option", { hasText: "Staging" }).getAttribute("value") as string);
  await expect(again.getByLabel("Reason")).toHaveValue("my own request");
  await expect(page.getByTestId("again-policy")).toContainText(`is now on ${other.nickname} (${other.modelId}) (version 1)`);
  await again.getByRole("button", { name: "Request promotion" }).click();
  await again.getByRole("link", { name: /Open request #\d+/ }).click();
  await expect(page).toHaveURL(/\/promotions\/[0-9a-f-]{36}$/);
  await expect(page.getByTestId("request-status")).toHaveAttribute("data-status", "pending");
  await expect(page.getByTestId("change-base")).toContainText(other.modelId);

  // The approver cancels that one (their own request), after a confirmation.
  await decide(page, new URL(page.url()).pathname.split("/").pop()!, "Cancel request…", "Cancel request");
  await expect(page.getByTestId("request-status")).toHaveAttribute("data-status", "cancelled");
});
