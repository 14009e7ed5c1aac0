import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as cancelRoute } from "@/app/api/v1/promotion-requests/[id]/cancel/route";
import { GET as getRequestRoute } from "@/app/api/v1/promotion-requests/[id]/route";
import { GET as getComparisonRoute } from "@/app/api/v1/comparisons/[id]/route";
import { POST as openRequestRoute } from "@/app/api/v1/environments/[environment]/promotion-requests/route";
import { POST as startComparisonRoute } from "@/app/api/v1/functions/[functionId]/comparisons/route";
import { POST as registerRoute } from "@/app/api/v1/functions/[functionId]/models/route";
import { POST as uploadRoute } from "@/app/api/v1/functions/[functionId]/sample-sets/route";
import { runComparisonJob } from "@/lib/compare/worker";
import { userContext } from "@/lib/context";
import { prisma } from "@/lib/db/client";
import { createEnvironment } from "@/lib/environments/service";
import { createMember } from "@/lib/members/service";
import { approveRequest } from "@/lib/promotions/service";
import { currentSnapshot } from "@/lib/serving/cache";
import { seededFunction } from "@/scripts/emulator/seed";
import { emulatorAsNyckelForFile } from "@/scripts/testing/emulator-as-nyckel";
import { releaseServing } from "@/scripts/testing/teardown";
import { OPEN_POLICY } from "@/scripts/testing/environments";
import { HOST, bearer, newToken, pinTo, sys, tag, until, type TokenScope } from "@/scripts/testing/serving";

emulatorAsNyckelForFile({ rateLimit: false });

const fn = seededFunction("support-triage");
const [oldModel, newModel] = [fn.modelIds[0]!, fn.modelIds[fn.modelIds.length - 1]!];
let gated: { id: string; slug: string };
let open: { id: string; slug: string };
let full: string;
let otherEnvToken: string;
let runForRequest: { runId: string; passes: boolean };

type Answer = { status: number; json: Record<string, unknown> & { error?: { code: string; message: string; rule?: string; fieldErrors?: Record<string, string[]> } } };

async function call(handler: (r: Request, s: { params: Promise<Record<string, string>> }) => Promise<Response>, path: string, params: Record<string, string>, init: { token: string; body?: unknown; form?: FormData; method?: string }): Promise<Answer> {
  const headers: Record<string, string> = bearer(init.token);
  let body: BodyInit | undefined;
  if (init.form) body = init.form;
  else if (init.body !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(init.body);
  }
  const res = await handler(new Request(`${HOST}${path}`, { method: init.method ?? (body ? "POST" : "GET"), headers, body }), { params: Promise.resolve(params) });
  expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  return { status: res.status, json: (await res.json()) as Answer["json"] };
}

const register = (token: string, body: unknown, functionId = fn.id) => call(registerRoute, `/api/v1/functions/${functionId}/models`, { functionId }, { token, body });
const compare = (token: string, body: unknown) => call(startComparisonRoute, `/api/v1/functions/${fn.id}/comparisons`, { functionId: fn.id }, { token, body });
const comparison = (token: string, id: string) => call(getComparisonRoute, `/api/v1/comparisons/${id}`, { id }, { token });
const openRequest = (token: string, environment: string, body: unknown) =>
  call(openRequestRoute, `/api/v1/environments/${environment}/promotion-requests`, { environment }, { token, body });
const requestStatus = (token: string, id: string) => call(getRequestRoute, `/api/v1/promotion-requests/${id}`, { id }, { token });
const cancel = (token: string, id: string) => call(cancelRoute, `/api/v1/promotion-requests/${id}/cancel`, { id }, { token, body: {} });

function upload(token: string, name: string, lines: string[]) {
  const form = new FormData();
  form.set("name", name);
  form.append("files", new File([lines.join("\n")], "samples.txt", { type: "text/plain" }));
  return call(uploadRoute, `/api/v1/functions/${fn.id}/sample-sets`, { functionId: fn.id }, { token, form });
}

async function tokenFor(environmentId: string, scopes: TokenScope[]) {
  const t = await newToken(environmentId, null, scopes);
  await until(async () => (await currentSnapshot()).tokens.size > 0 && [...(await currentSnapshot()).tokens.values()].some((e) => e.id === t.id), 3000);
  return t;
}

beforeAll(async () => {
  await prisma.nyckelFunction.upsert({
    where: { id: fn.id },
    create: { id: fn.id, name: fn.name, inputType: "Text", outputType: "Classification", labelCount: fn.labels.length, lastSyncedAt: new Date() },
    update: {},
  });
  const t = tag();
  gated = await createEnvironment(sys, { ...OPEN_POLICY, approvalsRequired: 1, minAgreementPct: 1, slug: `auto-${t}`, name: `Auto ${t}`, sortOrder: 600 });
  open = await createEnvironment(sys, { ...OPEN_POLICY, slug: `auto-open-${t}`, name: `Auto open ${t}`, sortOrder: 601 });
  await prisma.environment.update({ where: { id: gated.id }, data: { minAnsweredSamples: 5 } });
  await pinTo(gated.id, fn.id, oldModel);
  full = (await tokenFor(gated.id, ["read", "evaluate", "request"])).token;
  otherEnvToken = (await tokenFor(open.id, ["evaluate", "request"])).token;
}, 60_000);

afterAll(() => releaseServing({ boss: true, pool: true }));

describe("automation API (real PostgreSQL, the emulator as Nyckel)", () => {
  it("every route refuses a token without its scope: 403 scope_missing naming the scope", async () => {
    const readOnly = (await tokenFor(gated.id, ["read", "invoke"])).token;
    const evaluateOnly = (await tokenFor(gated.id, ["evaluate"])).token;
    const uuid = "00000000-0000-4000-8000-000000000000";
    for (const answer of [
      await register(readOnly, { modelId: newModel }),
      await upload(readOnly, "x", ["a"]),
      await compare(readOnly, { sampleSetId: uuid, modelA: "latest", modelB: "latest" }),
      await comparison(readOnly, uuid),
    ]) {
      expect(answer).toMatchObject({ status: 403, json: { error: { code: "scope_missing", message: expect.stringContaining("the scope `evaluate`") } } });
    }
    for (const answer of [await openRequest(evaluateOnly, gated.slug, {}), await requestStatus(evaluateOnly, uuid), await cancel(evaluateOnly, uuid)]) {
      expect(answer).toMatchObject({ status: 403, json: { error: { code: "scope_missing", message: expect.stringContaining("the scope `request`") } } });
    }
    const none = await call(registerRoute, `/api/v1/functions/${fn.id}/models`, { functionId: fn.id }, { token: "mp_nope", body: {} });
    expect(none).toMatchObject({ status: 401, json: { error: { code: "token_malformed" } } });
  });

  it("registers a model (201, audited as the token), answers 200 when already registered, and refuses bad input", async () => {
    const tokenName = (await prisma.apiToken.findFirstOrThrow({ where: { environmentId: gated.id, scopes: { has: "request" } } })).name;
    const first = await register(full, { modelId: newModel, nickname: "CI candidate" });
    expect(first).toMatchObject({ status: 201, json: { modelId: newModel, nickname: "CI candidate", created: true, retired: false, verified: true, verificationNote: null } });
    const event = await prisma.auditEvent.findFirstOrThrow({ where: { action: "model.registered", targetId: first.json.id as string } });
    expect(event.actorLabel).toBe(`token: ${tokenName}`);
    expect(event.actorId).toBeNull();
    const again = await register(full, { modelId: newModel });
    expect(again).toMatchObject({ status: 200, json: { id: first.json.id, created: false } });
    expect(await prisma.auditEvent.count({ where: { action: "model.registered", targetId: first.json.id as string } })).toBe(1);

    // Nyckel does not know the id (the models service's check): 422, nothing saved, nothing audited.
    const events = await prisma.auditEvent.count();
    expect(await register(full, { modelId: "model_doesnotexist00" })).toMatchObject({
      status: 422,
      json: { error: { code: "unknown_model", fieldErrors: { modelId: [expect.stringContaining("Nyckel does not know model")] } } },
    });
    expect(await prisma.model.count({ where: { modelId: "model_doesnotexist00" } })).toBe(0);
    expect(await prisma.auditEvent.count()).toBe(events);
    expect(await register(full, { modelId: "model with spaces" })).toMatchObject({ status: 400, json: { error: { code: "invalid_input", fieldErrors: { modelId: ["Model ids contain no spaces."] } } } });
    expect(await register(full, { modelId: newModel }, "function_doesnotexist0000")).toMatchObject({ status: 404, json: { error: { code: "not_found" } } });
    const notJson = await registerRoute(new Request(`${HOST}/api/v1/functions/${fn.id}/models`, { method: "POST", headers: { ...bearer(full), "content-type": "text/plain" }, body: "x" }), {
      params: Promise.resolve({ functionId: fn.id }),
    });
    expect(notJson.status).toBe(415);
  });

  it("uploads a sample set, runs a comparison (pinned:<own environment> only), and reports progress and the environment's gate", async () => {
    const lines = Array.from({ length: 12 }, (_, i) => `My invoice ${i} was charged twice ${tag()}`);
    const set = await upload(full, `ci-${tag()}`, [...lines, lines[0]!]);
    expect(set).toMatchObject({ status: 201, json: { counts: { samples: 12, duplicates: 1, rejected: 0 }, rejected: [] } });
    const setId = set.json.id as string;
    expect(await upload(full, "", ["a"])).toMatchObject({ status: 400 });

    expect(await compare(full, { sampleSetId: setId, modelA: `pinned:${open.slug}`, modelB: newModel })).toMatchObject({
      status: 403,
      json: { error: { code: "forbidden", message: expect.stringContaining(`may be pinned:${gated.slug}`) } },
    });
    expect(await compare(full, { sampleSetId: setId, modelA: "model_notregistered", modelB: newModel })).toMatchObject({
      status: 422,
      json: { error: { code: "unknown_model", message: expect.stringContaining("is not registered for this function") } },
    });
    const started = await compare(full, { sampleSetId: setId, modelA: `pinned:${gated.slug}`, modelB: newModel });
    expect(started).toMatchObject({ status: 202, json: { status: "queued" } });
    const runId = started.json.id as string;
    const queued = await comparison(full, runId);
    expect(queued.json).toMatchObject({ status: "queued", total: 12, done: 0, gate: { environment: gated.slug, passed: false, rule: "not_finished" } });
    await runComparisonJob(runId);
    const done = await comparison(full, runId);
    expect(done.json).toMatchObject({ id: runId, status: "finished", total: 12, done: 12, failed: 0, modelA: oldModel, modelB: newModel });
    expect(done.json.reportUrl).toMatch(new RegExp(`^https?://[^/]+/comparisons/${runId}$`));
    const agreement = done.json.agreement as { n: number; rate: number; low: number; high: number };
    expect(agreement.n).toBe(12);
    expect(agreement.low).toBeLessThanOrEqual(agreement.rate);
    expect(agreement.high).toBeGreaterThanOrEqual(agreement.rate);
    expect(agreement.rate).toBeGreaterThan(0.01);
    expect(done.json.gate).toEqual({ environment: gated.slug, passed: true, rule: null, message: expect.any(String) });
    expect((await prisma.auditEvent.findFirstOrThrow({ where: { action: "comparison.started", targetId: runId } })).actorLabel).toMatch(/^token: /);
    runForRequest = { runId, passes: true };
  }, 120_000);

  it("opens a request only in its own environment, never one that would apply at once, and names the gate rule that refused", async () => {
    const body = { functionId: fn.id, targetModelId: newModel, reason: "CI: nightly retrain" };
    expect(await openRequest(full, open.slug, body)).toMatchObject({ status: 403, json: { error: { code: "forbidden" } } });
    expect(await openRequest(otherEnvToken, open.slug, body)).toMatchObject({ status: 403, json: { error: { code: "human_approval_required" } } });
    expect(await prisma.promotionRequest.count({ where: { environmentId: open.id } })).toBe(0);
    expect(await openRequest(full, gated.slug, body)).toMatchObject({ status: 422, json: { error: { code: "gate_refused", rule: "no_run" } } });
    expect(await openRequest(full, gated.slug, { ...body, targetModelId: "model_unknown1" })).toMatchObject({ status: 422, json: { error: { code: "unknown_model", fieldErrors: { targetModelId: expect.any(Array) } } } });
    expect(runForRequest.passes).toBe(true);
    const opened = await openRequest(full, gated.slug, { ...body, evidenceComparisonId: runForRequest.runId });
    expect(opened).toMatchObject({ status: 201, json: { status: "pending", approvalsRequired: 1, gate: { passed: true } } });
    const id = opened.json.id as string;
    const row = await prisma.promotionRequest.findUniqueOrThrow({ where: { id } });
    expect(row.requestedByLabel).toMatch(/^token: /);
    expect(row.requestedById).toBeNull();
    expect((await prisma.auditEvent.findFirstOrThrow({ where: { action: "request.opened", targetId: id } })).actorLabel).toBe(row.requestedByLabel);

    // Another token of the environment cannot cancel it; a token of another environment cannot see it.
    const sibling = (await tokenFor(gated.id, ["request"])).token;
    expect(await cancel(sibling, id)).toMatchObject({ status: 403, json: { error: { code: "forbidden", message: "A token may cancel only the requests it opened itself." } } });
    expect(await requestStatus(otherEnvToken, id)).toMatchObject({ status: 404 });

    // A person approves: the status shows the decision and the applied pin version.
    const approver = await createMember(sys, { email: `auto-approver-${tag()}@example.com`, name: "Auto Approver", role: "approver", password: "auto-approver-pass" });
    await approveRequest(userContext({ id: approver.id, role: "approver", email: approver.email }, "t"), { requestId: id, comment: "looks good" });
    const applied = await requestStatus(full, id);
    expect(applied).toMatchObject({ status: 200, json: { status: "applied", approvals: 1, appliedVersion: 2, decisions: [{ decision: "approve", by: approver.email, comment: "looks good" }] } });
    expect(await cancel(full, id)).toMatchObject({ status: 409 });

    // Its own pending request it may cancel (back to the old model: the evidence matches either way round).
    const back = await openRequest(full, gated.slug, { ...body, targetModelId: oldModel, evidenceComparisonId: runForRequest.runId });
    expect(back.status).toBe(201);
    const cancelled = await cancel(full, back.json.id as string);
    expect(cancelled).toMatchObject({ status: 200, json: { status: "cancelled" } });
    expect((await prisma.auditEvent.findFirstOrThrow({ where: { action: "request.cancelled", targetId: back.json.id as string } })).actorLabel).toMatch(/^token: /);
  }, 60_000);
});
