import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { prisma } from "@/lib/db/client";
import { closePgPool } from "@/lib/db/pool";
import { syncFunctions } from "@/lib/functions/service";
import { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET } from "@/scripts/emulator/state";
import { seededFunction } from "@/scripts/emulator/seed";
import { saveNyckelSettings } from "@/lib/nyckel-settings/service";
import { emulatorAsNyckelForFile } from "@/scripts/testing/emulator-as-nyckel";
import { freePort } from "@/scripts/testing/free-port";
import { revokeApiToken } from "@/lib/tokens/service";
import { closeServingCache } from "./cache";
import { forgetProxyNyckelClient } from "./nyckel";
import { getFunctionTraffic } from "./queries";
import { modelConflictErrorSchema, proxyErrorSchema } from "./schemas";
import { flushServingUsage } from "./usage";
import { bearer, getPins, invoke, newEnvironment, newToken, pinTo, sys, until } from "@/scripts/testing/serving";

// This file sends bursts of proxied calls right after its process budget joins, while its share is
// still rising (docs/budget.md): serving waits for a permit here instead of answering 429 after
// 250 ms. The refusal itself is tested in proxy-budget.integration.test.ts.
process.env.NYCKEL_SERVING_MAX_WAIT_MS = "3000";

const triage = seededFunction("support-triage");
const pets = seededFunction("pets");
const churn = seededFunction("churn-risk");
// No rate limit: these tests fire requests faster than 25 per second; 429 pass-through is tested with an injected fault.
const emulator = emulatorAsNyckelForFile({ rateLimit: false });

let pinned: { id: string; slug: string };
let latest: { id: string; slug: string };
let open: { id: string; slug: string };
let pinnedToken: { id: string; token: string };
let latestToken: { id: string; token: string };
let openToken: { id: string; token: string };
const PINNED_MODEL = triage.modelIds[1]!;
const PETS_MODEL = pets.modelIds[0]!;

const json = (data: unknown) => JSON.stringify({ data });

/** Waits until the cache knows the token (a NOTIFY away after creation). */
async function usable(token: string) {
  await until(async () => (await getPins("any", bearer(token))).status !== 401, 2000);
}

beforeAll(async () => {
  await syncFunctions(sys);
  pinned = await newEnvironment();
  latest = await newEnvironment();
  open = await newEnvironment({ allowCallerModelOverride: true });
  await pinTo(pinned.id, triage.id, PINNED_MODEL);
  await pinTo(pinned.id, pets.id, PETS_MODEL);
  await pinTo(open.id, triage.id, PINNED_MODEL);
  pinnedToken = await newToken(pinned.id);
  latestToken = await newToken(latest.id);
  openToken = await newToken(open.id);
  for (const t of [pinnedToken, latestToken, openToken]) await usable(t.token);
});

beforeEach(() => {
  emulator().state.resetCounters();
  emulator().state.clearFaults();
});

afterAll(async () => {
  await flushServingUsage();
  await closeServingCache();
  await closePgPool();
});

function lastInvoke() {
  const [entry] = emulator().state.recentInvokes(1);
  if (!entry) throw new Error("the emulator received no invoke");
  return entry;
}

/** The same request straight to the emulator (with an access token), for comparison. */
async function direct(functionId: string, query: string, init: { body: BodyInit; headers?: Record<string, string> }) {
  const tokenRes = await fetch(`${emulator().url}/connect/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "client_credentials", client_id: DEFAULT_CLIENT_ID, client_secret: DEFAULT_CLIENT_SECRET }),
  });
  const { access_token } = (await tokenRes.json()) as { access_token: string };
  return fetch(`${emulator().url}/v1/functions/${functionId}/invoke${query}`, {
    method: "POST",
    headers: { authorization: `Bearer ${access_token}`, ...init.headers },
    body: init.body,
  });
}

function expectModelpinHeaders(res: Response, environment: string, modelId: string) {
  expect(res.headers.get("x-modelpin-environment")).toBe(environment);
  expect(res.headers.get("x-modelpin-model-id")).toBe(modelId);
}

describe("invoke proxy (route handler → emulator as Nyckel)", () => {
  it("adds the environment's pinned modelId and answers exactly what Nyckel answers for that model", async () => {
    const body = json("I was charged twice for my subscription");
    const res = await invoke(triage.id, { headers: { ...bearer(pinnedToken.token), "content-type": "application/json" }, body });
    expect(res.status).toBe(200);
    expectModelpinHeaders(res, pinned.slug, PINNED_MODEL);
    expect(res.headers.get("content-type")).toContain("application/json");
    const answer = await res.json();
    const entry = lastInvoke();
    expect(entry.modelIdParam).toBe(PINNED_MODEL);
    expect(entry.modelIdUsed).toBe(PINNED_MODEL);
    expect(entry.bodyKind).toBe("json");
    const reference = await direct(triage.id, `?modelId=${PINNED_MODEL}`, { body, headers: { "content-type": "application/json" } });
    expect(answer).toEqual(await reference.json());
  });

  it("sends no modelId when the environment serves latest (and an empty modelId= from SDKs means the pin)", async () => {
    const res = await invoke(triage.id, { headers: { ...bearer(latestToken.token), "content-type": "application/json" }, body: json("refund please") });
    expect(res.status).toBe(200);
    expectModelpinHeaders(res, latest.slug, "latest");
    expect(lastInvoke().modelIdParam).toBeNull();
    expect(lastInvoke().modelIdUsed).toBe(triage.modelIds.at(-1));

    // The official Python SDK always sends `modelId=` (empty): the pin still applies.
    const sdk = await invoke(triage.id, { headers: { ...bearer(pinnedToken.token), "content-type": "application/json" }, query: "?modelId=", body: json("x") });
    expect(sdk.status).toBe(200);
    expect(lastInvoke().modelIdParam).toBe(PINNED_MODEL);
  });

  it("passes every query parameter through unchanged (labelCount, includeMetadata, capture, externalId, unknown ones)", async () => {
    const query = "?labelCount=2&includeMetadata=true&capture=false&externalId=order%2042&custom=a+b";
    const res = await invoke(triage.id, { headers: { ...bearer(pinnedToken.token), "content-type": "application/json" }, query, body: json("password reset") });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { labelConfidences: unknown[]; labelMetadata: unknown; externalId: string };
    expect(answer.labelConfidences).toHaveLength(2);
    expect(answer.labelMetadata).toBeDefined();
    expect(answer.externalId).toBe("order 42");
    expect(lastInvoke().query).toEqual({
      labelCount: "2",
      includeMetadata: "true",
      capture: "false",
      externalId: "order 42",
      custom: "a b",
      modelId: PINNED_MODEL,
    });
  });

  it("streams multipart image bodies through (and large ones without a length), with the same answer as a direct call", async () => {
    const bytes = new Uint8Array(3 * 1024 * 1024).map((_, i) => (i * 31) % 251);
    const form = () => {
      const f = new FormData();
      f.append("data", new Blob([bytes], { type: "image/png" }), "photo.png");
      return f;
    };
    const res = await invoke(pets.id, { headers: bearer(pinnedToken.token), body: form(), query: "?capture=false" });
    expect(res.status).toBe(200);
    expectModelpinHeaders(res, pinned.slug, PETS_MODEL);
    const entry = lastInvoke();
    expect(entry).toMatchObject({ bodyKind: "multipart", inputKind: "image", modelIdParam: PETS_MODEL });
    const reference = await direct(pets.id, `?capture=false&modelId=${PETS_MODEL}`, { body: form() });
    expect(await res.json()).toEqual(await reference.json());
    expect(lastInvoke().inputDigest).toBe(entry.inputDigest);

    // A JSON body given as a stream, as a large upload arrives (no content-length known up front).
    const stream = new Blob([json("my account is locked")]).stream();
    const streamed = await invoke(triage.id, { headers: { ...bearer(pinnedToken.token), "content-type": "application/json" }, body: stream });
    expect(streamed.status).toBe(200);
    expect(lastInvoke()).toMatchObject({ bodyKind: "json", inputKind: "text", modelIdParam: PINNED_MODEL });
  });

  it("returns Nyckel's 429 and 404 (status, body, content-type) unchanged, with the X-Modelpin headers", async () => {
    emulator().state.setFaults({ pathIncludes: "/invoke", retryAfterSeconds: 2, next: [429] });
    const limited = await invoke(triage.id, { headers: { ...bearer(pinnedToken.token), "content-type": "application/json" }, body: json("x") });
    expect(limited.status).toBe(429);
    expectModelpinHeaders(limited, pinned.slug, PINNED_MODEL);
    expect(limited.headers.get("retry-after")).toBe("2");
    expect(limited.headers.get("content-type")).toContain("application/json");
    expect(await limited.json()).toEqual({ message: expect.stringContaining("injected") });
    // Not retried by Modelpin: exactly one request reached Nyckel.
    expect(emulator().state.counters().byPath[`/v1/functions/${triage.id}/invoke`]).toBe(1);
    expect(emulator().state.counters().injected.status429).toBe(1);

    const missing = await invoke("function_doesnotexist0000", { headers: { ...bearer(pinnedToken.token), "content-type": "application/json" }, body: json("x") });
    expect(missing.status).toBe(404);
    expectModelpinHeaders(missing, pinned.slug, "latest");
    expect(await missing.json()).toEqual({ message: expect.stringMatching(/not found/i) });

    const badBody = await invoke(triage.id, { headers: { ...bearer(pinnedToken.token), "content-type": "application/json" }, body: "{not json" });
    expect(badBody.status).toBe(400);
    expectModelpinHeaders(badBody, pinned.slug, PINNED_MODEL);
    const wrongType = await invoke(triage.id, { headers: { ...bearer(pinnedToken.token), "content-type": "text/plain" }, body: "hello" });
    expect(wrongType.status).toBe(415);
    expectModelpinHeaders(wrongType, pinned.slug, PINNED_MODEL);
  });

  it("refuses a caller modelId that differs from the pin with 409 (also when the pin is latest), serves an equal one", async () => {
    const other = triage.modelIds[0]!;
    const before = emulator().state.counters().invokes;
    const refused = await invoke(triage.id, { headers: { ...bearer(pinnedToken.token), "content-type": "application/json" }, query: `?modelId=${other}`, body: json("x") });
    expect(refused.status).toBe(409);
    expectModelpinHeaders(refused, pinned.slug, PINNED_MODEL);
    const body = modelConflictErrorSchema.parse(await refused.json());
    expect(body.error).toMatchObject({ code: "model_conflict", environment: pinned.slug, functionId: triage.id, pinnedModelId: PINNED_MODEL, requestedModelId: other });
    expect(body.message).toContain("Leave out modelId");

    // `ModelId=` is the same parameter to Nyckel: it cannot slip past the pin.
    const sneaky = await invoke(triage.id, { headers: { ...bearer(pinnedToken.token), "content-type": "application/json" }, query: `?ModelId=${other}`, body: json("x") });
    expect(sneaky.status).toBe(409);

    const onLatest = await invoke(triage.id, { headers: { ...bearer(latestToken.token), "content-type": "application/json" }, query: `?modelId=${other}`, body: json("x") });
    expect(onLatest.status).toBe(409);
    expectModelpinHeaders(onLatest, latest.slug, "latest");
    expect(modelConflictErrorSchema.parse(await onLatest.json()).error.pinnedModelId).toBeNull();
    expect(emulator().state.counters().invokes).toBe(before);

    const same = await invoke(triage.id, { headers: { ...bearer(pinnedToken.token), "content-type": "application/json" }, query: `?modelId=${PINNED_MODEL}`, body: json("x") });
    expect(same.status).toBe(200);
    expect(lastInvoke().modelIdParam).toBe(PINNED_MODEL);
    expect(lastInvoke().query).toEqual({ modelId: PINNED_MODEL });
  });

  it("forwards the caller's modelId where the environment allows overrides", async () => {
    const other = triage.modelIds[0]!;
    const res = await invoke(triage.id, { headers: { ...bearer(openToken.token), "content-type": "application/json" }, query: `?modelId=${other}`, body: json("x") });
    expect(res.status).toBe(200);
    expectModelpinHeaders(res, open.slug, other);
    expect(lastInvoke().modelIdUsed).toBe(other);
  });

  it("answers 401 JSON for missing, malformed, unknown and revoked tokens, with (empty) X-Modelpin headers, never calling Nyckel", async () => {
    const revoked = await newToken(latest.id);
    await usable(revoked.token);
    await revokeApiToken(sys, { id: revoked.id });
    await until(async () => (await getPins("any", bearer(revoked.token))).status === 401, 1000);
    const cases: Array<[Record<string, string>, string]> = [
      [{}, "token_missing"],
      [{ authorization: "Bearer nope" }, "token_malformed"],
      [{ authorization: `Bearer mp_${"B".repeat(43)}` }, "token_invalid"],
      [bearer(revoked.token), "token_revoked"],
    ];
    for (const [headers, code] of cases) {
      const res = await invoke(triage.id, { headers: { ...headers, "content-type": "application/json" }, body: json("x") });
      expect(res.status, code).toBe(401);
      expect(res.headers.get("x-modelpin-environment")).toBe("");
      expect(res.headers.get("x-modelpin-model-id")).toBe("");
      const body = proxyErrorSchema.parse(await res.json());
      expect(body.error.code).toBe(code);
      expect(body.message).toBe(body.error.message);
    }
    expect(emulator().state.counters().invokes).toBe(0);
  });

  it("refreshes Nyckel's access token once after a 401 and retries (replayable body)", async () => {
    emulator().state.revokeTokens();
    const body = json("hello");
    const res = await invoke(triage.id, {
      headers: { ...bearer(pinnedToken.token), "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) },
      body,
    });
    expect(res.status).toBe(200);
    expect(emulator().state.counters().unauthorized).toBe(1);
    expect(emulator().state.counters().tokensIssued).toBe(1);
    expect(emulator().state.counters().byPath[`/v1/functions/${triage.id}/invoke`]).toBe(2);
  });

  it("answers 502 JSON when Nyckel cannot be reached, 405 for other methods, 404 for path tricks", async () => {
    const deadPort = await freePort();
    await saveNyckelSettings(sys, { baseUrl: `http://127.0.0.1:${deadPort}`, clientId: DEFAULT_CLIENT_ID, clientSecret: DEFAULT_CLIENT_SECRET });
    forgetProxyNyckelClient();
    try {
      const res = await invoke(triage.id, { headers: { ...bearer(pinnedToken.token), "content-type": "application/json" }, body: json("x") });
      expect(res.status).toBe(502);
      expectModelpinHeaders(res, pinned.slug, PINNED_MODEL);
      expect(proxyErrorSchema.parse(await res.json()).error.code).toBe("nyckel_unreachable");
    } finally {
      await saveNyckelSettings(sys, { baseUrl: emulator().url, clientId: DEFAULT_CLIENT_ID, clientSecret: DEFAULT_CLIENT_SECRET });
      forgetProxyNyckelClient();
    }
    const get = await invoke(triage.id, { headers: bearer(pinnedToken.token), method: "GET" });
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
    expect(get.headers.get("x-modelpin-model-id")).toBe("");
    for (const trick of ["..%2F..%2Fconnect%2Ftoken", "../connect/token", "a b", "%00"]) {
      const res = await invoke(trick, { headers: bearer(pinnedToken.token), body: json("x") });
      expect(res.status, trick).toBe(404);
      expect(proxyErrorSchema.parse(await res.json()).error.code).toBe("not_found");
    }
    expect(emulator().state.counters().invokes).toBe(0);
  });

  it("counts calls per token, function and served model (aggregated, flushed in batches) and records last use", async () => {
    const env = await newEnvironment({ allowCallerModelOverride: true });
    await pinTo(env.id, churn.id, churn.modelIds[1]!);
    const token = await newToken(env.id);
    await usable(token.token);
    const call = (query = "") =>
      invoke(churn.id, {
        headers: { ...bearer(token.token), "content-type": "application/json" },
        query,
        body: json({ plan: "pro", seats: 5, logins_last_30d: 12, tenure_months: 7 }),
      });
    for (let i = 0; i < 5; i++) expect((await call()).status).toBe(200);
    expect((await call(`?modelId=${churn.modelIds[0]}`)).status).toBe(200);
    emulator().state.setFaults({ pathIncludes: "/invoke", next: [503] });
    expect((await call()).status).toBe(503);

    await flushServingUsage();
    const rows = await prisma.proxyUsage.findMany({ where: { tokenId: token.id }, orderBy: { modelId: "asc" } });
    const byModel = Object.fromEntries(rows.map((r) => [r.modelId, { calls: Number(r.calls), errors: Number(r.errorCalls), env: r.environmentId }]));
    expect(byModel).toEqual({
      [churn.modelIds[1]!]: { calls: 6, errors: 1, env: env.id },
      [churn.modelIds[0]!]: { calls: 1, errors: 0, env: env.id },
    });
    // A second batch adds to the same rows (UPSERT increments).
    expect((await call()).status).toBe(200);
    await flushServingUsage();
    const again = await prisma.proxyUsage.findUniqueOrThrow({ where: { tokenId_functionId_modelId: { tokenId: token.id, functionId: churn.id, modelId: churn.modelIds[1]! } } });
    expect(Number(again.calls)).toBe(7);
    expect((await prisma.apiToken.findUniqueOrThrow({ where: { id: token.id } })).lastUsedAt).not.toBeNull();

    const traffic = (await getFunctionTraffic(churn.id)).find((t) => t.environment.id === env.id)!;
    expect(traffic).toMatchObject({
      pinnedModelId: churn.modelIds[1],
      totalCalls: 8,
      totalErrors: 1,
      otherCalls: 1,
      tokenCount: 1,
      onPinned: { calls: 7, errorCalls: 1, since: expect.any(Date) },
    });
    expect(traffic.models.map((m) => [m.modelId, m.calls, m.pinned])).toEqual([
      [churn.modelIds[1], 7, true],
      [churn.modelIds[0], 1, false],
    ]);
  });
  it("a refused call asking for a malformed model id (NUL byte) is counted as such and does not block later counts", async () => {
    const env = await newEnvironment();
    await pinTo(env.id, triage.id, PINNED_MODEL);
    const token = await newToken(env.id);
    await usable(token.token);
    const call = (query = "") =>
      invoke(triage.id, { headers: { ...bearer(token.token), "content-type": "application/json" }, query, body: json("where is my refund") });
    expect((await call("?modelId=bad%00id")).status).toBe(409);
    await flushServingUsage();
    expect((await call()).status).toBe(200);
    await flushServingUsage();
    const rows = await prisma.proxyUsage.findMany({ where: { tokenId: token.id }, orderBy: { modelId: "asc" } });
    expect(rows.map((r) => [r.modelId, Number(r.calls), Number(r.errorCalls)])).toEqual([
      ["(malformed)", 1, 1],
      [PINNED_MODEL, 1, 0],
    ]);
  });
});
