/** The emulator over HTTP, as any Nyckel caller sees it (raw fetch, no client). */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { inputDigest } from "./models";
import { SEEDED_FUNCTIONS, seededFunction } from "./seed";
import { startEmulator, type EmulatorHandle } from "./server";
import { emulatorToken, sleep, tinyPng } from "@/scripts/testing/nyckel";

let emu: EmulatorHandle;
let token: string;
const triage = seededFunction("support-triage");
const pets = seededFunction("pets");
const churn = seededFunction("churn-risk");

beforeAll(async () => {
  emu = await startEmulator({ port: 0, quiet: true, rateLimit: false });
  token = await emulatorToken(emu);
});
afterAll(async () => {
  await emu.close();
});
afterEach(() => emu.state.reset());

function api(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (!headers.has("authorization")) headers.set("authorization", `Bearer ${token}`);
  return fetch(`${emu.url}${path}`, { ...init, headers });
}

function invoke(functionId: string, body: unknown, query = ""): Promise<Response> {
  return api(`/v1/functions/${functionId}/invoke${query}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

async function expectError(res: Response, status: number, message?: RegExp): Promise<void> {
  expect(res.status).toBe(status);
  const body = (await res.json()) as { message?: unknown };
  expect(typeof body.message).toBe("string");
  if (message) expect(body.message).toMatch(message);
}

function control(path: string, method = "GET", body?: unknown): Promise<Response> {
  return fetch(`${emu.url}/_emulator${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

describe("token endpoint", () => {
  const form = (fields: Record<string, string>) => ({
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields).toString(),
  });

  it("issues a bearer token for the right credentials", async () => {
    const res = await fetch(
      `${emu.url}/connect/token`,
      form({ grant_type: "client_credentials", client_id: "modelpin-emulator", client_secret: "modelpin-emulator-secret" }),
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ token_type: "Bearer", expires_in: 3600 });
    expect(body.access_token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  });

  it("refuses wrong credentials with invalid_client and a message", async () => {
    const res = await fetch(
      `${emu.url}/connect/token`,
      form({ grant_type: "client_credentials", client_id: "modelpin-emulator", client_secret: "nope" }),
    );
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: "invalid_client", message: "Invalid client credentials" });
    const basic = await fetch(`${emu.url}/connect/token`, {
      ...form({ grant_type: "client_credentials" }),
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: `Basic ${Buffer.from("modelpin-emulator:nope").toString("base64")}`,
      },
    });
    expect(basic.status).toBe(401);
  });

  it("refuses a wrong grant type or a JSON body", async () => {
    const grant = await fetch(`${emu.url}/connect/token`, form({ grant_type: "password", client_id: "a", client_secret: "b" }));
    expect(grant.status).toBe(400);
    expect(((await grant.json()) as { error: string }).error).toBe("unsupported_grant_type");
    const json = await fetch(`${emu.url}/connect/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    await expectError(json, 400);
  });

  it("uses configurable credentials and token lifetime", async () => {
    const other = await startEmulator({ port: 0, quiet: true, clientId: "id-2", clientSecret: "secret-2", tokenTtlSeconds: 1 });
    try {
      const res = await fetch(`${other.url}/connect/token`, form({ grant_type: "client_credentials", client_id: "id-2", client_secret: "secret-2" }));
      const body = (await res.json()) as { access_token: string; expires_in: number };
      expect(body.expires_in).toBe(1);
      const auth = { headers: { authorization: `Bearer ${body.access_token}` } };
      expect((await fetch(`${other.url}/v1/functions`, auth)).status).toBe(200);
      await sleep(1050);
      await expectError(await fetch(`${other.url}/v1/functions`, auth), 401, /expired/);
      const defaults = await fetch(
        `${other.url}/connect/token`,
        form({ grant_type: "client_credentials", client_id: "modelpin-emulator", client_secret: "modelpin-emulator-secret" }),
      );
      expect(defaults.status).toBe(400);
    } finally {
      await other.close();
    }
  });
});

describe("bearer checks", () => {
  it("answers 401 with a message without a token or with a bad one, on every API path", async () => {
    for (const path of ["/v1/functions", `/v1/functions/${triage.id}/labels`, `/v0.9/functions/${triage.id}/metrics`]) {
      await expectError(await fetch(`${emu.url}${path}`), 401, /Missing access token/);
      await expectError(await api(path, { headers: { authorization: "Bearer not-a-token" } }), 401, /Invalid access token/);
    }
    await expectError(await fetch(`${emu.url}/v1/functions/${triage.id}/invoke`, { method: "POST", body: "{}" }), 401);
    expect(emu.state.counters().unauthorized).toBe(7);
  });
});

describe("functions, labels, summary, samples, metrics", () => {
  it("lists functions as a JSON array with prefixed ids, name, input and output", async () => {
    const res = await api("/v1/functions");
    const list = (await res.json()) as Array<Record<string, unknown>>;
    expect(list).toHaveLength(SEEDED_FUNCTIONS.length);
    for (const fn of list) {
      expect(fn.id).toMatch(/^function_[a-z0-9]{16}$/);
      expect(typeof fn.name).toBe("string");
      expect(["Text", "Image", "Tabular"]).toContain(fn.input);
      expect(fn.output).toBe("Classification");
    }
  });

  it("gets a function by prefixed or bare id, and 404s an unknown one", async () => {
    const prefixed = (await (await api(`/v1/functions/${pets.id}`)).json()) as { id: string };
    const bare = (await (await api(`/v1/functions/${pets.id.slice("function_".length)}`)).json()) as { id: string };
    expect(prefixed.id).toBe(pets.id);
    expect(bare.id).toBe(pets.id);
    await expectError(await api("/v1/functions/function_nope"), 404, /Function 'function_nope' not found/);
  });

  it("pages labels with a host-relative Link header", async () => {
    const first = await api(`/v1/functions/${triage.id}/labels?batchSize=2`);
    expect(first.headers.get("link")).toBe(`</v1/functions/${triage.id}/labels?batchSize=2&start=2>; rel="next"`);
    const names: string[] = ((await first.json()) as Array<{ name: string }>).map((l) => l.name);
    let link = first.headers.get("link");
    while (link) {
      const next = /<([^>]+)>/.exec(link)?.[1] as string;
      const res = await api(next);
      names.push(...((await res.json()) as Array<{ name: string }>).map((l) => l.name));
      link = res.headers.get("link");
    }
    expect(names).toEqual(triage.labels.map((l) => l.name));
    const all = await api(`/v1/functions/${triage.id}/labels`);
    expect(all.headers.get("link")).toBeNull();
    const label = triage.labels[0] as { id: string };
    expect(((await (await api(`/v1/functions/${triage.id}/labels/${label.id}`)).json()) as { id: string }).id).toBe(label.id);
    // Like Nyckel: the id without its prefix names the same label; an unknown id is a 404 naming it.
    expect(((await (await api(`/v1/functions/${triage.id}/labels/${label.id.replace(/^label_/, "")}`)).json()) as { id: string }).id).toBe(label.id);
    const unknown = await api(`/v1/functions/${triage.id}/labels/label_nope`);
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain("Label 'label_nope' not found");
  });

  it("captures invokes as samples unless capture=false", async () => {
    await invoke(triage.id, { data: "first ticket" }, "?externalId=t-1");
    await invoke(triage.id, { data: "second ticket" }, "?capture=false");
    await invoke(triage.id, { data: "first ticket" }); // same input: still one sample
    const samples = (await (await api(`/v1/functions/${triage.id}/samples`)).json()) as Array<Record<string, unknown>>;
    expect(samples).toHaveLength(1);
    expect(samples[0]).toMatchObject({ data: "first ticket", origin: "InvokeCapture" });
    expect(samples[0]?.id).toMatch(/^sample_/);
    expect((samples[0]?.prediction as { labelId: string }).labelId).toMatch(/^label_/);
    const summary = (await (await api(`/v1/functions/${triage.id}/summary`)).json()) as Record<string, number>;
    expect(summary.sampleCount).toBe(906);
    expect(summary.annotatedSampleCount).toBe(905);
  });

  it("serves /v0.9 metrics with the SDK's fields and the current model id", async () => {
    const metrics = (await (await api(`/v0.9/functions/${pets.id}/metrics`)).json()) as Record<string, unknown>;
    expect(metrics).toMatchObject({ isTraining: false, modelId: pets.modelIds.at(-1) });
    expect(metrics.sampleCount).toBe(metrics.predictionCount);
    expect(Object.keys(metrics.annotatedLabelCounts as object)).toHaveLength(pets.labels.length);
    await expectError(await api("/v0.9/functions/nope/metrics"), 404);
  });

  it("hides the current model id from the metrics on request, until changed back or reset", async () => {
    expect(await (await control("/model-id", "PUT", { reported: false })).json()).toEqual({ reported: false });
    const hidden = (await (await api(`/v0.9/functions/${pets.id}/metrics`)).json()) as Record<string, unknown>;
    expect(hidden).not.toHaveProperty("modelId");
    expect(hidden).toMatchObject({ functionId: pets.id, isTraining: false });
    expect((await control("/model-id", "PUT", { reported: "no" })).status).toBe(400);
    expect((await control("/reset", "POST")).status).toBe(200);
    expect(await (await control("/model-id")).json()).toEqual({ reported: true });
    expect(await (await api(`/v0.9/functions/${pets.id}/metrics`)).json()).toMatchObject({ modelId: pets.modelIds.at(-1) });
  });

  it("answers unknown paths 404 and wrong methods 405, with a message", async () => {
    await expectError(await api("/v1/nothing-here"), 404);
    await expectError(await api(`/v1/functions/${triage.id}/invoke`), 405);
  });
});

describe("invoke", () => {
  it("classifies text and reports the model in a header", async () => {
    const res = await invoke(triage.id, { data: "I forgot my password" });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(["confidence", "labelId", "labelName"]);
    expect(body.labelId).toMatch(/^label_/);
    expect(res.headers.get("x-emulator-model-id")).toBe(triage.modelIds.at(-1));
  });

  it("treats an empty modelId= as latest, pins a given one, and refuses a foreign one with 400", async () => {
    const latest = await invoke(triage.id, { data: "x" }, "?modelId=");
    expect(latest.headers.get("x-emulator-model-id")).toBe(triage.modelIds.at(-1));
    const pinned = await invoke(triage.id, { data: "x" }, `?modelId=${triage.modelIds[0]}`);
    expect(pinned.headers.get("x-emulator-model-id")).toBe(triage.modelIds[0]);
    const bare = await invoke(triage.id, { data: "x" }, `?modelId=${(triage.modelIds[1] as string).slice("model_".length)}`);
    expect(bare.headers.get("x-emulator-model-id")).toBe(triage.modelIds[1]);
    await expectError(
      await invoke(triage.id, { data: "x" }, `?modelId=${pets.modelIds[0]}`),
      400,
      new RegExp(`Model '${pets.modelIds[0]}' not found for function '${triage.id}'`),
    );
    await expectError(await invoke(triage.id, { data: "x" }, "?modelId=model_doesnotexist"), 400, /not found/);
  });

  it("returns labelConfidences for labelCount, label metadata, and the externalId", async () => {
    const res = await invoke(triage.id, { data: "Please refund my order", externalId: "body-id" }, "?labelCount=10&includeMetadata=true");
    const body = (await res.json()) as {
      labelName: string;
      confidence: number;
      labelConfidences: Array<{ labelName: string; labelId: string; confidence: number }>;
      labelMetadata: Record<string, string>;
      externalId: string;
    };
    expect(body.labelName).toBe("Refund request");
    expect(body.labelConfidences).toHaveLength(5);
    expect(body.labelConfidences[0]).toMatchObject({ labelName: "Refund request", confidence: body.confidence });
    expect(body.labelConfidences.reduce((sum, l) => sum + l.confidence, 0)).toBeCloseTo(1, 12);
    expect(body.labelMetadata).toEqual({ queue: "finance" });
    expect(body.externalId).toBe("body-id");
    const byQuery = (await (await invoke(triage.id, { data: "y" }, "?externalId=query-id")).json()) as { externalId: string };
    expect(byQuery.externalId).toBe("query-id");
  });

  it("accepts image data URIs, image URLs and multipart part `data` (same bytes, same answer)", async () => {
    const png = tinyPng(2, 2, [10, 200, 10]);
    const uri = `data:image/png;base64,${Buffer.from(png).toString("base64")}`;
    const json = (await (await invoke(pets.id, { data: uri })).json()) as Record<string, unknown>;
    const form = new FormData();
    form.append("data", new Blob([png], { type: "image/png" }), "photo.png");
    const multipart = await api(`/v1/functions/${pets.id}/invoke`, { method: "POST", body: form });
    expect(multipart.status).toBe(200);
    expect(await multipart.json()).toEqual(json);
    const url = (await (await invoke(pets.id, { data: "https://example.com/a-happy-dog.jpg" })).json()) as { labelName: string };
    expect(url.labelName).toBe("Dog");
    expect(emu.state.recentInvokes().map((e) => [e.bodyKind, e.inputKind])).toEqual([
      ["json", "image"],
      ["multipart", "image"],
      ["json", "imageUrl"],
    ]);
  });

  it("logs each invoke's arrival and a digest of its input (same content, same digest, whatever the transport)", async () => {
    const png = tinyPng(2, 2, [10, 200, 10]);
    const before = Date.now();
    await invoke(pets.id, { data: `data:image/png;base64,${Buffer.from(png).toString("base64")}` });
    const form = new FormData();
    form.append("data", new Blob([png], { type: "image/png" }), "photo.png");
    await api(`/v1/functions/${pets.id}/invoke`, { method: "POST", body: form });
    await invoke(triage.id, { data: "my invoice is wrong" });
    const [json, multipart, text] = emu.state.recentInvokes();
    expect(json!.inputDigest).toBe(inputDigest({ kind: "image", bytes: png, mimeType: "image/png" }));
    expect(multipart!.inputDigest).toBe(json!.inputDigest);
    expect(text!.inputDigest).toBe(inputDigest({ kind: "text", text: "my invoice is wrong" }));
    expect(text!.inputDigest).not.toBe(json!.inputDigest);
    for (const entry of [json!, multipart!, text!]) {
      expect(Date.parse(entry.receivedAt)).toBeGreaterThanOrEqual(before - 1);
      expect(Date.parse(entry.receivedAt)).toBeLessThanOrEqual(Date.parse(entry.at));
    }
  });

  it("still handles and logs an invoke whose caller went away during injected latency (as a server that received it would)", async () => {
    emu.state.setFaults({ pathIncludes: "/invoke", latencyMs: 150 });
    const controller = new AbortController();
    const gone = api(`/v1/functions/${triage.id}/invoke`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ data: "abandoned request" }),
      signal: controller.signal,
    }).catch((e: unknown) => e);
    await sleep(50);
    controller.abort();
    expect(await gone).toBeInstanceOf(Error);
    await sleep(250);
    const [entry] = emu.state.recentInvokes();
    expect(entry).toMatchObject({ status: 200, inputDigest: inputDigest({ kind: "text", text: "abandoned request" }) });
    expect(Date.parse(entry!.at) - Date.parse(entry!.receivedAt)).toBeGreaterThanOrEqual(140);
  });

  it("accepts tabular objects by field name or field id", async () => {
    const byName = (await (await invoke(churn.id, { data: { logins_last_30d: 40, plan: "team" } })).json()) as { labelName: string };
    expect(byName.labelName).toBe("Will stay");
    const fields = (await (await api(`/v1/functions/${churn.id}/fields`)).json()) as Array<{ id: string; name: string }>;
    const loginsId = fields.find((f) => f.name === "logins_last_30d")?.id as string;
    const byId = (await (await invoke(churn.id, { data: { [loginsId]: 40, plan: "team" } })).json()) as { labelName: string };
    expect(byId).toEqual(byName);
  });

  it("answers malformed bodies with 400 and a message", async () => {
    await expectError(await invoke(triage.id, "{not json"), 400, /not valid JSON/);
    await expectError(await invoke(triage.id, "[1,2]"), 400, /JSON object/);
    await expectError(await invoke(triage.id, {}), 400, /no 'data'/);
    await expectError(await invoke(triage.id, { data: { a: 1 } }), 400, /JSON string/);
    await expectError(await invoke(triage.id, { data: "  " }), 400, /empty/);
    await expectError(await invoke(pets.id, { data: "just some text" }), 400, /data URI/);
    await expectError(await invoke(pets.id, { data: "data:image/png;base64,%%%" }), 400, /base64/);
    await expectError(await invoke(churn.id, { data: { unknown_column: 1 } }), 400, /Unknown field 'unknown_column'/);
    await expectError(await invoke(churn.id, { data: { seats: "three" } }), 400, /Number field/);
    await expectError(await invoke(triage.id, { data: "x" }, "?labelCount=many"), 400, /labelCount/);
    await expectError(await invoke(triage.id, { data: "x" }, "?capture=maybe"), 400, /capture/);
    const form = new FormData();
    form.append("file", new Blob([new Uint8Array([1])]), "x.png");
    await expectError(await api(`/v1/functions/${pets.id}/invoke`, { method: "POST", body: form }), 400, /part named 'data'/);
    await expectError(
      await api(`/v1/functions/${triage.id}/invoke`, { method: "POST", headers: { "content-type": "text/plain" }, body: "hi" }),
      415,
    );
    await expectError(await invoke("function_nope", { data: "x" }), 404, /not found/);
  });
});

describe("control API", () => {
  it("adds a model at run time: latest moves, older models stay invocable", async () => {
    const res = await control(`/functions/${triage.id}/models`, "POST", {});
    expect(res.status).toBe(201);
    const added = (await res.json()) as { modelId?: string; id: string; latest: boolean };
    expect(added.latest).toBe(true);
    const metrics = (await (await api(`/v0.9/functions/${triage.id}/metrics`)).json()) as { modelId: string };
    expect(metrics.modelId).toBe(added.id);
    const latest = await invoke(triage.id, { data: "x" });
    expect(latest.headers.get("x-emulator-model-id")).toBe(added.id);
    const old = await invoke(triage.id, { data: "x" }, `?modelId=${triage.modelIds.at(-1)}`);
    expect(old.status).toBe(200);

    const named = await control(`/functions/${triage.id}/models`, "POST", { modelId: "model_custom0000000001", flipShare: 0.5 });
    expect(((await named.json()) as { id: string }).id).toBe("model_custom0000000001");
    expect((await control(`/functions/${triage.id}/models`, "POST", { modelId: "model_custom0000000001" })).status).toBe(409);
    expect((await control(`/functions/nope/models`, "POST", {})).status).toBe(404);
    await expectError(await control(`/functions/${triage.id}/models`, "POST", { flipShare: 2 }), 400);
  });

  it("adds an older model id with latest: false: it answers when pinned, and latest and its answers stay", async () => {
    const texts = Array.from({ length: 40 }, (_, i) => `ticket ${i}: my invoice is wrong`);
    const answers = async (query = "") => Promise.all(texts.map(async (t) => ((await (await invoke(triage.id, { data: t }, query)).json()) as { labelName: string }).labelName));
    const before = await answers();
    const res = await control(`/functions/${triage.id}/models`, "POST", { modelId: "model_side0000000001", latest: false, flipShare: 0.5 });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ id: "model_side0000000001", latest: false });
    const metrics = (await (await api(`/v0.9/functions/${triage.id}/metrics`)).json()) as { modelId: string };
    expect(metrics.modelId).toBe(triage.modelIds.at(-1));
    expect(await answers()).toEqual(before);
    const side = await invoke(triage.id, { data: "x" }, "?modelId=model_side0000000001");
    expect(side.headers.get("x-emulator-model-id")).toBe("model_side0000000001");
    expect(await answers("?modelId=model_side0000000001")).not.toEqual(before);
    // A later retrain chains from the latest, not from the side model.
    const next = (await (await control(`/functions/${triage.id}/models`, "POST", { flipShare: 0 })).json()) as { id: string; latest: boolean };
    expect(next.latest).toBe(true);
    expect(await answers()).toEqual(before);
    const described = (await (await control("/functions")).json()) as Array<{ id: string; models: Array<{ id: string; latest: boolean }> }>;
    expect(described.find((f) => f.id === triage.id)?.models.filter((m) => m.latest).map((m) => m.id)).toEqual([next.id]);

    // Forgotten: pinned invokes are refused like any unknown id; only side models can be forgotten.
    expect((await control(`/functions/${triage.id}/models/model_side0000000001`, "DELETE")).status).toBe(200);
    await expectError(await invoke(triage.id, { data: "x" }, "?modelId=model_side0000000001"), 400, /not found/);
    expect((await control(`/functions/${triage.id}/models/model_side0000000001`, "DELETE")).status).toBe(404);
    expect((await control(`/functions/${triage.id}/models/${next.id}`, "DELETE")).status).toBe(409);
  });

  it("injects faults only into requests whose path and query string contain pathIncludes", async () => {
    emu.state.setFaults({ pathIncludes: `modelId=${triage.modelIds[0]}`, share503: 1 });
    expect((await invoke(triage.id, { data: "x" }, `?modelId=${triage.modelIds[0]}`)).status).toBe(503);
    expect((await invoke(triage.id, { data: "x" }, `?modelId=${triage.modelIds[1]}`)).status).toBe(200);
    expect((await invoke(triage.id, { data: "x" })).status).toBe(200);
  });

  it("counts requests per path and per received modelId, and logs recent invokes", async () => {
    await invoke(triage.id, { data: "a" }, `?modelId=${triage.modelIds[0]}`);
    await invoke(triage.id, { data: "b" }, `?modelId=${triage.modelIds[0]}&labelCount=2`);
    await invoke(triage.id, { data: "c" });
    await invoke(triage.id, { data: "d" }, "?modelId=");
    const counters = (await (await control("/counters")).json()) as {
      byPath: Record<string, number>;
      invokesByFunction: Record<string, { byModelIdReceived: Record<string, number>; byModelIdUsed: Record<string, number> }>;
    };
    expect(counters.byPath[`/v1/functions/${triage.id}/invoke`]).toBe(4);
    expect(counters.invokesByFunction[triage.id]?.byModelIdReceived).toEqual({
      [triage.modelIds[0] as string]: 2,
      "(absent)": 1,
      "(empty)": 1,
    });
    expect(counters.invokesByFunction[triage.id]?.byModelIdUsed[triage.modelIds.at(-1) as string]).toBe(2);
    const log = (await (await control("/invokes?limit=2")).json()) as Array<{ query: Record<string, string>; inputKind: string }>;
    expect(log).toHaveLength(2);
    expect(log[0]?.query).toEqual({});
    expect(log[1]?.query).toEqual({ modelId: "" });
    expect(log[1]?.inputKind).toBe("text");
  });

  it("injects faults at run time: statuses with Retry-After, latency, hangs; and clears them", async () => {
    await control("/faults", "PUT", { share503: 1, retryAfterSeconds: 2 });
    const failed = await api("/v1/functions");
    await expectError(failed, 503, /injected/);
    expect(failed.headers.get("retry-after")).toBe("2");
    await control("/faults", "DELETE");
    expect((await api("/v1/functions")).status).toBe(200);

    await control("/faults", "PUT", { latencyMs: 150, latencyRangeMs: [0, 20] });
    let t0 = performance.now();
    expect((await api("/v1/functions")).status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(145);

    await control("/faults", "PUT", { shareHang: 1, pathIncludes: "/labels" });
    t0 = performance.now();
    await expect(api(`/v1/functions/${triage.id}/labels`, { signal: AbortSignal.timeout(300) })).rejects.toThrow();
    expect(performance.now() - t0).toBeGreaterThanOrEqual(290);
    expect((await api("/v1/functions")).status).toBe(200); // other paths unaffected

    await control("/faults", "PUT", { share429: 0.5 });
    const statuses = await Promise.all(Array.from({ length: 200 }, async () => (await api("/v1/functions")).status));
    const throttled = statuses.filter((s) => s === 429).length;
    expect(throttled).toBeGreaterThan(60);
    expect(throttled).toBeLessThan(140);
    const counters = emu.state.counters();
    expect(counters.injected.status429).toBe(throttled);
    expect(counters.injected.hang).toBe(1);

    await expectError(await control("/faults", "PUT", { share500: 0.7, share503: 0.7 }), 400, /must not exceed 1/);
    await expectError(await control("/faults", "PUT", { bogus: true }), 400);
  });

  it("resets models, samples, faults and counters", async () => {
    await control(`/functions/${triage.id}/models`, "POST", {});
    await invoke(triage.id, { data: "to be captured" });
    await control("/faults", "PUT", { share500: 1 });
    expect((await control("/reset", "POST")).status).toBe(200);
    const info = (await (await control("")).json()) as {
      faults: object;
      functions: Array<{ id: string; latestModelId: string; capturedSamples: number }>;
    };
    expect(info.faults).toEqual({});
    const fn = info.functions.find((f) => f.id === triage.id);
    expect(fn?.latestModelId).toBe(triage.modelIds.at(-1));
    expect(fn?.capturedSamples).toBe(0);
    expect(((await (await control("/counters")).json()) as { requests: number }).requests).toBe(0);
  });
});

describe("rate limits", () => {
  it("answers 429 with a message past N requests in a sliding second", async () => {
    const limited = await startEmulator({ port: 0, quiet: true, rateLimit: { perSecond: 5, concurrency: 5 } });
    try {
      const bearer = { headers: { authorization: `Bearer ${await emulatorToken(limited)}` } };
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await fetch(`${limited.url}/v1/functions`, bearer)).status);
      // The token request counted too: 4 more fit into the window.
      expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
      const res = await fetch(`${limited.url}/v1/functions`, bearer);
      await expectError(res, 429, /more than 5 requests per second/);
      await sleep(1000);
      expect((await fetch(`${limited.url}/v1/functions`, bearer)).status).toBe(200);
      expect(limited.state.counters().rateLimited.rate).toBe(3);
      // Control endpoints are not limited.
      expect((await fetch(`${limited.url}/_emulator/counters`)).status).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it("answers 429 past N concurrent requests, and can be changed at run time", async () => {
    const limited = await startEmulator({ port: 0, quiet: true, rateLimit: { perSecond: 100, concurrency: 2 }, faults: { latencyMs: 200, pathIncludes: "/v1/" } });
    try {
      const bearer = { headers: { authorization: `Bearer ${await emulatorToken(limited)}` } };
      const statuses = await Promise.all([0, 1, 2].map(async (i) => {
        await sleep(i * 20);
        return (await fetch(`${limited.url}/v1/functions`, bearer)).status;
      }));
      expect([...statuses].sort()).toEqual([200, 200, 429]);
      expect(limited.state.counters().rateLimited.concurrency).toBe(1);

      await fetch(`${limited.url}/_emulator/rate-limit`, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ enabled: false }),
      });
      const unlimited = await Promise.all([0, 1, 2].map(async () => (await fetch(`${limited.url}/v1/functions`, bearer)).status));
      expect(unlimited).toEqual([200, 200, 200]);
    } finally {
      await limited.close();
    }
  });
});
