import { expect, test } from "./fixtures/test";
import type { OpenApiValidator } from "../scripts/testing/openapi-validator";
import { bearer, createToken, loadValidator, observe, recentInvokes, revokeToken, setUpApiWorld, type ApiWorld } from "./fixtures/api";
import { unique } from "./fixtures/pins";

/**
 * Every route's real answers, checked against the document the server itself
 * serves at /api/openapi.json: the status must be documented for the path and
 * method, the body must validate (ajv, JSON Schema 2020-12) against the
 * documented schema, and the documented required headers must be present.
 */

test.skip(!process.env.NYCKEL_EMULATOR_URL, "NYCKEL_EMULATOR_URL is not set (run through npm test)");
test.describe.configure({ mode: "serial" });

let world: ApiWorld;
let otherWorld: ApiWorld;
let validator: OpenApiValidator;
const seen = new Set<string>();

test.beforeAll(async ({ browser, baseURL }) => {
  test.setTimeout(180_000);
  world = await setUpApiWorld(browser, { prefix: "contract" });
  otherWorld = await setUpApiWorld(browser, { prefix: "contract-other" });
  validator = await loadValidator(baseURL!);
});

type Call = { method?: "GET" | "POST" | "PUT" | "DELETE"; url: string; headers?: Record<string, string>; data?: string | Buffer; multipart?: Record<string, string | { name: string; mimeType: string; buffer: Buffer }> };

/** Sends the request, checks the answer against the document, and returns it. */
async function call(request: import("@playwright/test").APIRequestContext, c: Call, expectedStatus: number) {
  const method = c.method ?? "GET";
  const res = await request.fetch(c.url, { method, headers: c.headers, data: c.data, multipart: c.multipart, maxRedirects: 0 });
  const seenAnswer = await observe(method, c.url, res);
  const check = validator.check(seenAnswer);
  expect(seenAnswer.status, `${method} ${c.url}: ${seenAnswer.body.slice(0, 300)}`).toBe(expectedStatus);
  expect(check.problems, `${method} ${c.url} → ${seenAnswer.status}`).toEqual([]);
  seen.add(`${method} ${check.template} ${seenAnswer.status}`);
  return { res, body: seenAnswer.body, json: () => JSON.parse(seenAnswer.body) as Record<string, unknown> };
}

test("the resolve API's answers match the document: 200, 304, 400, 401, 403, 404", async ({ request }) => {
  const list = `/api/v1/environments/${world.slug}/pins`;
  const one = `${list}/${world.fn.id}`;
  const auth = bearer(world.token);

  const all = await call(request, { url: list, headers: auth }, 200);
  const listed = all.json() as { environment: string; pins: Array<{ functionId: string; modelId: string | null }> };
  expect(listed.environment).toBe(world.slug);
  expect(listed.pins.find((p) => p.functionId === world.fn.id)?.modelId).toBe(world.pinned);
  expect(listed.pins.filter((p) => p.functionId !== world.fn.id).every((p) => p.modelId === null)).toBe(true);
  const single = await call(request, { url: one, headers: auth }, 200);
  expect(single.json()).toMatchObject({ functionId: world.fn.id, modelId: world.pinned, version: 1 });
  // The bare id (without function_) names the same function.
  const bare = await call(request, { url: `${list}/${world.fn.id.replace(/^function_/, "")}`, headers: auth }, 200);
  expect(bare.json()).toMatchObject({ functionId: world.fn.id, modelId: world.pinned });

  // ETag → 304 without a body, for both routes; another ETag → 200 again.
  const etag = single.res.headers()["etag"]!;
  expect(etag).toMatch(/^"[^"]+"$/);
  await call(request, { url: one, headers: { ...auth, "if-none-match": etag } }, 304);
  await call(request, { url: list, headers: { ...auth, "if-none-match": all.res.headers()["etag"]! } }, 304);
  await call(request, { url: one, headers: { ...auth, "if-none-match": '"something-else"' } }, 200);

  // 400: a bad point in time.
  const bad = await call(request, { url: `${one}?at=last-tuesday`, headers: auth }, 400);
  expect(bad.json()).toMatchObject({ error: { code: "invalid_input" } });
  const past = await call(request, { url: `${one}?at=2020-01-01T00:00:00Z`, headers: auth }, 200);
  expect(past.json()).toMatchObject({ modelId: null, version: 0 });

  // 401: no credentials, an empty or malformed header, another scheme, an unknown token. Never a redirect.
  const noAuth = await call(request, { url: list }, 401);
  expect(noAuth.json()).toMatchObject({ error: { code: "unauthorized" } });
  for (const [header, code] of [
    ["", "token_missing"],
    ["Bearer", "token_malformed"],
    ["Bearer not-a-token", "token_malformed"],
    [`Basic ${Buffer.from("a:b").toString("base64")}`, "token_malformed"],
    [`Bearer mp_${"A".repeat(43)}`, "token_invalid"],
  ] as const) {
    const r = await call(request, { url: one, headers: { authorization: header } }, 401);
    expect(r.json(), header).toMatchObject({ error: { code } });
  }

  // 403: a token of another environment, also for an environment that does not exist.
  const other = await call(request, { url: `/api/v1/environments/${otherWorld.slug}/pins`, headers: auth }, 403);
  expect(other.json()).toMatchObject({ error: { code: "forbidden" } });
  await call(request, { url: `/api/v1/environments/${otherWorld.slug}/pins/${world.fn.id}`, headers: auth }, 403);
  await call(request, { url: `/api/v1/environments/no-such-env/pins`, headers: auth }, 403);

  // 404: an unknown function, and a path segment that is not a function id.
  const unknownFn = await call(request, { url: `${list}/function_doesnotexist123`, headers: auth }, 404);
  expect(unknownFn.json()).toMatchObject({ error: { code: "not_found" } });
  await call(request, { url: `${list}/${encodeURIComponent("not a function!")}`, headers: auth }, 404);
});

test("a signed-in member's session reads the resolve API too; an unknown environment is 404 then", async ({ page }) => {
  const { signInAs } = await import("./fixtures/users");
  await signInAs(page, "viewer");
  const res = await page.request.get(`/api/v1/environments/no-such-env/pins`);
  const check = validator.check(await observe("GET", "/api/v1/environments/no-such-env/pins", res));
  expect(res.status()).toBe(404);
  expect(check.problems).toEqual([]);
  seen.add(`GET ${check.template} 404`);
  const mine = await page.request.get(`/api/v1/environments/${world.slug}/pins/${world.fn.id}`);
  expect(mine.status()).toBe(200);
  expect(validator.check(await observe("GET", `/api/v1/environments/${world.slug}/pins/${world.fn.id}`, mine)).problems).toEqual([]);
  expect(await mine.json()).toMatchObject({ modelId: world.pinned });
});

test("the invoke proxy's answers match the document: 200 (JSON and multipart), 401, 409, Nyckel's 400 and 404 passed through", async ({ request }) => {
  const url = `/v1/functions/${world.fn.id}/invoke`;
  const auth = bearer(world.token);
  const json = { ...auth, "content-type": "application/json" };

  // 200 with the pinned model, checked at the emulator; query parameters pass through.
  const externalId = unique("contract-");
  const ok = await call(request, { method: "POST", url: `${url}?labelCount=2&capture=false&externalId=${externalId}`, headers: json, data: JSON.stringify({ data: "I was charged twice, please refund" }) }, 200);
  expect(ok.res.headers()["x-modelpin-environment"]).toBe(world.slug);
  expect(ok.res.headers()["x-modelpin-model-id"]).toBe(world.pinned);
  const answer = ok.json() as { labelName: string; labelConfidences: unknown[]; externalId: string };
  expect(answer.labelConfidences).toHaveLength(2);
  expect(answer.externalId).toBe(externalId);
  const logged = (await recentInvokes()).filter((e) => e.externalId === externalId);
  expect(logged).toHaveLength(1);
  expect(logged[0]).toMatchObject({ modelIdParam: world.pinned, modelIdUsed: world.pinned, status: 200, bodyKind: "json" });
  expect(logged[0]!.query).toMatchObject({ labelCount: "2", capture: "false", externalId, modelId: world.pinned });

  // The same with a multipart body (a text part, as Nyckel accepts for text functions).
  const multipartId = unique("contract-mp-");
  await call(request, { method: "POST", url: `${url}?capture=false&externalId=${multipartId}`, headers: auth, multipart: { data: "I was charged twice, please refund" } }, 200);
  expect((await recentInvokes()).find((e) => e.externalId === multipartId)).toMatchObject({ bodyKind: "multipart", modelIdUsed: world.pinned });

  // The caller's own modelId: the pin is served; another model is refused with 409 and never reaches Nyckel.
  const before = (await recentInvokes()).at(-1)?.seq ?? 0;
  await call(request, { method: "POST", url: `${url}?capture=false&modelId=${world.pinned}`, headers: json, data: JSON.stringify({ data: "hello" }) }, 200);
  const conflict = await call(request, { method: "POST", url: `${url}?capture=false&modelId=${world.other}`, headers: json, data: JSON.stringify({ data: "hello" }) }, 409);
  expect(conflict.res.headers()["x-modelpin-model-id"]).toBe(world.pinned);
  expect(conflict.json()).toMatchObject({ error: { code: "model_conflict", pinnedModelId: world.pinned, requestedModelId: world.other, environment: world.slug } });
  expect((await recentInvokes()).filter((e) => e.seq > before && e.modelIdParam === world.other)).toEqual([]);

  // 401 before anything else; X-Modelpin-* present (empty: no environment identified).
  for (const header of [undefined, "Bearer nope", `Bearer mp_${"B".repeat(43)}`]) {
    const r = await call(request, { method: "POST", url, headers: header === undefined ? { "content-type": "application/json" } : { authorization: header, "content-type": "application/json" }, data: "{}" }, 401);
    expect(r.json()).toMatchObject({ message: expect.any(String), error: { code: expect.stringMatching(/^token_/) } });
  }

  // Nyckel's own errors pass through unchanged: 404 for an unknown function, 400 for bad JSON.
  const missing = await call(request, { method: "POST", url: `/v1/functions/function_doesnotexist123/invoke?capture=false`, headers: json, data: JSON.stringify({ data: "x" }) }, 404);
  expect(missing.json()).toEqual({ message: expect.stringContaining("not found") });
  expect(missing.res.headers()["x-modelpin-environment"]).toBe(world.slug);
  const badJson = await call(request, { method: "POST", url: `${url}?capture=false`, headers: json, data: "{not json" }, 400);
  expect(badJson.json()).toHaveProperty("message");
});

test("a revoked token gets 401 from both APIs", async ({ page, request }) => {
  const name = unique("revoke-me ");
  const token = await createToken({ environment: world.slug, name });
  await call(request, { url: `/api/v1/environments/${world.slug}/pins`, headers: bearer(token) }, 200);
  await revokeToken(page, name);
  await expect
    .poll(async () => (await request.get(`/api/v1/environments/${world.slug}/pins`, { headers: bearer(token) })).status(), { timeout: 5_000 })
    .toBe(401);
  const r = await call(request, { url: `/api/v1/environments/${world.slug}/pins`, headers: bearer(token) }, 401);
  expect(r.json()).toMatchObject({ error: { code: "token_revoked" } });
  const p = await call(request, { method: "POST", url: `/v1/functions/${world.fn.id}/invoke`, headers: { ...bearer(token), "content-type": "application/json" }, data: "{}" }, 401);
  expect(p.json()).toMatchObject({ error: { code: "token_revoked" } });
});

test("health and the document itself match the document", async ({ request }) => {
  const health = await call(request, { url: "/api/health" }, 200);
  expect(health.json()).toEqual({ status: "ok", role: "all" });
  const doc = await call(request, { url: "/api/openapi.json" }, 200);
  expect(doc.json()).toMatchObject({ openapi: "3.1.0" });
  await call(request, { url: "/api/openapi.json", headers: { "if-none-match": doc.res.headers()["etag"]! } }, 304);
});

test("the API page renders the document: endpoints, parameters, responses and curl examples", async ({ page, baseURL }) => {
  const { signInAs } = await import("./fixtures/users");
  await signInAs(page, "viewer");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "API" }).click();
  await expect(page).toHaveURL(/\/api-docs$/);
  await expect(page.getByRole("heading", { name: "API", level: 1 })).toBeVisible();
  // The shell setup names this server; viewers are told to ask an admin for a token.
  await expect(page.getByText(`export MODELPIN_URL=${baseURL}`)).toBeVisible();
  await expect(page.getByText("An admin creates tokens")).toBeVisible();
  const endpoints = page.getByRole("navigation", { name: "Endpoints" });
  for (const summary of ["The pins of every synced function in one environment", "The pin of one function in one environment", "Health check"]) {
    await expect(endpoints.getByRole("link", { name: summary })).toBeVisible();
  }
  const invoke = page.getByTestId("op-invokeFunction");
  await expect(invoke.getByRole("heading", { level: 2 })).toContainText("/v1/functions/{functionId}/invoke");
  for (const p of ["functionId", "modelId", "labelCount", "includeMetadata", "capture", "externalId"]) await expect(invoke.getByTestId(`param-${p}`)).toBeVisible();
  for (const status of ["200", "401", "404", "409", "429", "502"]) await expect(invoke.getByTestId(`response-${status}`)).toBeVisible();
  // A response opens to show its body fields and example.
  await invoke.getByTestId("response-409").getByText(/caller's modelId differs/).click();
  await expect(invoke.getByTestId("response-409")).toContainText("error.requestedModelId");
  await expect(invoke.getByText("curl, JSON", { exact: true })).toBeVisible();
  await expect(invoke.locator("pre").filter({ hasText: "/v1/functions/function_9ir4imph0v4g8hyr/invoke?labelCount=3" })).toContainText('-H "Authorization: Bearer $MODELPIN_TOKEN"');
  const resolve = page.getByTestId("op-getPin");
  await expect(resolve.getByTestId("param-If-None-Match")).toBeVisible();
  await expect(resolve.getByTestId("response-304")).toBeVisible();
  // The document link serves the JSON the page was rendered from.
  const href = await page.getByRole("link", { name: "OpenAPI JSON" }).getAttribute("href");
  expect(href).toBe("/api/openapi.json");
});

test("the automation API's answers match the document: 201/200, 202, 400, 403 scope_missing and human_approval_required, 404", async ({ request }) => {
  const automation = await createToken({ environment: world.slug, name: `e2e automation ${world.slug}`, scopes: "read,evaluate,request" });
  const auth = { ...bearer(automation), "content-type": "application/json" };
  const fnPath = `/api/v1/functions/${world.fn.id}`;
  const post = (url: string, body: unknown, headers: Record<string, string> = auth) => ({ method: "POST" as const, url, headers, data: JSON.stringify(body) });

  // A token without the scope: 403 scope_missing, in the document's shape.
  const refused = await call(request, post(`${fnPath}/models`, { modelId: world.other }, { ...bearer(world.token), "content-type": "application/json" }), 403);
  expect(refused.json()).toMatchObject({ error: { code: "scope_missing" } });
  const registered = await call(request, post(`${fnPath}/models`, { modelId: world.other }), 200);
  expect(registered.json()).toMatchObject({ modelId: world.other, created: false });
  await call(request, post(`${fnPath}/models`, { modelId: "not a model" }), 400);

  const set = await call(
    request,
    { method: "POST", url: `${fnPath}/sample-sets`, headers: bearer(automation), multipart: { name: unique("contract set "), files: { name: "s.txt", mimeType: "text/plain", buffer: Buffer.from("I was charged twice\nWhere is my parcel?\n") } } },
    201,
  );
  const setId = set.json().id as string;
  const started = await call(request, post(`${fnPath}/comparisons`, { sampleSetId: setId, modelA: `pinned:${world.slug}`, modelB: world.other }), 202);
  await call(request, post(`${fnPath}/comparisons`, { sampleSetId: setId, modelA: `pinned:${otherWorld.slug}`, modelB: world.other }), 403);
  const runId = started.json().id as string;
  await call(request, { url: `/api/v1/comparisons/${runId}`, headers: auth }, 200);
  await call(request, { url: "/api/v1/comparisons/00000000-0000-4000-8000-000000000000", headers: auth }, 404);

  // The world's environment needs no approvals: a token may not open a request that would apply at once.
  const apply = await call(request, post(`/api/v1/environments/${world.slug}/promotion-requests`, { functionId: world.fn.id, targetModelId: world.other, reason: "contract" }), 403);
  expect(apply.json()).toMatchObject({ error: { code: "human_approval_required" } });
  await call(request, post(`/api/v1/environments/${world.slug}/promotion-requests`, { functionId: world.fn.id }), 400);
  await call(request, { url: "/api/v1/promotion-requests/00000000-0000-4000-8000-000000000000", headers: auth }, 404);
  await call(request, post("/api/v1/promotion-requests/00000000-0000-4000-8000-000000000000/cancel", {}), 404);
});

test.afterAll(() => {
  // What this spec exercised (path template and status), for the report.
  console.log(`[api-contract] checked against /api/openapi.json: ${[...seen].sort().join(" | ")}`);
  const must = [
    "GET /api/v1/environments/{environment}/pins 200",
    "GET /api/v1/environments/{environment}/pins 304",
    "GET /api/v1/environments/{environment}/pins 401",
    "GET /api/v1/environments/{environment}/pins 403",
    "GET /api/v1/environments/{environment}/pins/{functionId} 200",
    "GET /api/v1/environments/{environment}/pins/{functionId} 304",
    "GET /api/v1/environments/{environment}/pins/{functionId} 404",
    "POST /v1/functions/{functionId}/invoke 200",
    "POST /v1/functions/{functionId}/invoke 401",
    "POST /v1/functions/{functionId}/invoke 404",
    "POST /v1/functions/{functionId}/invoke 409",
    "GET /api/health 200",
    "POST /api/v1/functions/{functionId}/models 200",
    "POST /api/v1/functions/{functionId}/sample-sets 201",
    "POST /api/v1/functions/{functionId}/comparisons 202",
    "GET /api/v1/comparisons/{id} 200",
    "POST /api/v1/environments/{environment}/promotion-requests 403",
  ];
  if (seen.size) for (const m of must) if (!seen.has(m)) console.log(`[api-contract] NOT exercised: ${m}`);
});
