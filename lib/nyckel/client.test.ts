import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { NyckelClient } from "./client";
import { ensurePrefix, stripPrefix } from "./ids";
import { parseNextLink, parseRetryAfter, readModelId } from "./parse";
import { NyckelError, isUnknownModelError } from "./errors";
import { seededFunction } from "@/scripts/emulator/seed";
import { startEmulator, type EmulatorHandle } from "@/scripts/emulator/server";
import { emulatorClient, nyckelFailure, recordingLogger, sleep, tinyPng } from "@/scripts/testing/nyckel";

let emu: EmulatorHandle;
const triage = seededFunction("support-triage");
const pets = seededFunction("pets");
const churn = seededFunction("churn-risk");

beforeAll(async () => {
  emu = await startEmulator({ port: 0, quiet: true, rateLimit: false });
});
afterAll(async () => {
  await emu.close();
});
afterEach(() => {
  emu.state.reset();
  vi.restoreAllMocks();
});


describe("ids", () => {
  it("strips prefixes like the official SDK and leaves slugs alone", () => {
    expect(stripPrefix("function_abc123")).toBe("abc123");
    expect(stripPrefix("abc123")).toBe("abc123");
    expect(stripPrefix("toxic-language-identifier")).toBe("toxic-language-identifier");
    expect(stripPrefix("a_b_c")).toBe("a_b_c");
    expect(ensurePrefix("function", "abc123")).toBe("function_abc123");
    expect(ensurePrefix("function", "function_abc123")).toBe("function_abc123");
    expect(ensurePrefix("function", "toxic-language-identifier")).toBe("toxic-language-identifier");
  });

  it("accepts prefixed and bare function ids and sends them bare", async () => {
    const client = emulatorClient(emu);
    const bare = stripPrefix(triage.id);
    const a = await client.invoke(triage.id, { kind: "text", text: "My card was charged twice" });
    const b = await client.invoke(bare, { kind: "text", text: "My card was charged twice" });
    expect(b.output).toEqual(a.output);
    expect((await client.getFunction(bare)).id).toBe(triage.id);
    expect((await client.listLabels(triage.id)).map((l) => l.name)).toContain("Billing");
    const log = emu.state.recentInvokes();
    expect(log.map((entry) => entry.functionIdParam)).toEqual([bare, bare]);
    expect(log.every((entry) => entry.functionId === triage.id)).toBe(true);
  });
});

describe("tokens", () => {
  it("reuses one token across calls, and fetches it once for concurrent callers", async () => {
    const client = emulatorClient(emu);
    await Promise.all(Array.from({ length: 10 }, (_, i) => client.invoke(triage.id, { kind: "text", text: `ticket ${i}` })));
    await client.listFunctions();
    await client.getSummary(triage.id);
    expect(emu.state.counters().tokensIssued).toBe(1);
  });

  it("refreshes the token before expires_in runs out (10 % margin, at least 60 s)", async () => {
    let now = Date.parse("2025-06-01T00:00:00Z");
    const client = emulatorClient(emu, { now: () => now });
    await client.listFunctions();
    now += 3000 * 1000; // 50 min of a 60 min token: still inside the margin
    await client.listFunctions();
    expect(emu.state.counters().tokensIssued).toBe(1);
    now += 241 * 1000; // 54 min 1 s: past expires_in − 360 s
    await client.listFunctions();
    expect(emu.state.counters().tokensIssued).toBe(2);
  });

  it("retries once with a fresh token after a 401", async () => {
    const client = emulatorClient(emu);
    await client.listFunctions();
    expect(emu.state.revokeTokens()).toBeGreaterThanOrEqual(1);
    const result = await client.invoke(triage.id, { kind: "text", text: "I cannot log in" });
    expect(result.output.labelName).toBeTruthy();
    const counters = emu.state.counters();
    expect(counters.unauthorized).toBe(1);
    expect(counters.tokensIssued).toBe(2);
  });

  it("gives up with `unauthorized` when the fresh token is refused too", async () => {
    const client = emulatorClient(emu);
    emu.state.setFaults({ pathIncludes: "/v1/functions", next: [401, 401] });
    const error = await nyckelFailure(client.listFunctions());
    expect(error.code).toBe("unauthorized");
    expect(error.status).toBe(401);
    expect(emu.state.counters().tokensIssued).toBe(2);
  });

  it("reports wrong credentials as `unauthorized` without leaking the secret", async () => {
    const secret = "wrong-secret-4f9a1c";
    const client = emulatorClient(emu, { clientSecret: secret });
    const error = await nyckelFailure(client.testConnection());
    expect(error.code).toBe("unauthorized");
    expect(error.status).toBe(400);
    expect(error.nyckelMessage).toBe("Invalid client credentials");
    expect(error.message).toMatch(/client id and secret/);
    expect(JSON.stringify(error)).not.toContain(secret);
    expect(error.message).not.toContain(secret);
    expect(JSON.stringify(client)).not.toContain(secret);
  });
});

describe("retries", () => {
  it("retries 429, 500, 502, 503 and 504 and then succeeds", async () => {
    const client = emulatorClient(emu, { maxRetries: 5 });
    emu.state.setFaults({ pathIncludes: "/invoke", next: [429, 500, 502, 503, 504] });
    const result = await client.invoke(triage.id, { kind: "text", text: "refund please" });
    expect(result.attempts).toBe(6);
    expect(result.output.labelName).toBe("Refund request");
    expect(emu.state.counters().byStatus).toMatchObject({ "429": 1, "500": 1, "502": 1, "503": 1, "504": 1, "200": 2 });
  });

  it("does not retry other 4xx answers", async () => {
    const client = emulatorClient(emu);
    emu.state.setFaults({ pathIncludes: "/invoke", next: [{ status: 409, message: "Duplicate sample" }] });
    const error = await nyckelFailure(client.invoke(triage.id, { kind: "text", text: "x" }));
    expect(error.code).toBe("conflict");
    expect(error.attempts).toBe(1);
  });

  it("backs off exponentially, capped", async () => {
    vi.spyOn(Math, "random").mockReturnValue(0.999); // full jitter at its ceiling
    const faults = { pathIncludes: "/invoke", next: [503, 503, 503] };

    emu.state.setFaults(structuredClone(faults));
    const uncapped = emulatorClient(emu, { retryBaseDelayMs: 60, retryMaxDelayMs: 10_000 });
    let t0 = performance.now();
    await uncapped.invoke(triage.id, { kind: "text", text: "x" });
    const uncappedMs = performance.now() - t0; // ≈ 60 + 120 + 240

    emu.state.setFaults(structuredClone(faults));
    const capped = emulatorClient(emu, { retryBaseDelayMs: 60, retryMaxDelayMs: 70 });
    t0 = performance.now();
    await capped.invoke(triage.id, { kind: "text", text: "x" });
    const cappedMs = performance.now() - t0; // ≈ 60 + 70 + 70

    expect(uncappedMs).toBeGreaterThanOrEqual(400);
    expect(cappedMs).toBeGreaterThanOrEqual(190);
    expect(cappedMs).toBeLessThan(uncappedMs - 100);
  });

  it("throws `upstream` after the last retry, with the attempt count", async () => {
    const client = emulatorClient(emu, { maxRetries: 2 });
    emu.state.setFaults({ pathIncludes: "/invoke", share503: 1 });
    const error = await nyckelFailure(client.invoke(triage.id, { kind: "text", text: "x" }));
    expect(error.code).toBe("upstream");
    expect(error.status).toBe(503);
    expect(error.attempts).toBe(3);
    expect(error.nyckelMessage).toMatch(/temporarily unavailable/);
    expect(error.retryable).toBe(true);
  });

  it("throws `rate_limited` when 429s do not stop", async () => {
    const client = emulatorClient(emu, { maxRetries: 1 });
    emu.state.setFaults({ pathIncludes: "/invoke", share429: 1 });
    const error = await nyckelFailure(client.invoke(triage.id, { kind: "text", text: "x" }));
    expect(error.code).toBe("rate_limited");
    expect(error.status).toBe(429);
  });

  it("honours Retry-After in seconds", async () => {
    const client = emulatorClient(emu);
    emu.state.setFaults({ pathIncludes: "/invoke", next: [{ status: 429, retryAfter: "1" }] });
    const t0 = performance.now();
    const result = await client.invoke(triage.id, { kind: "text", text: "x" });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(950);
    expect(result.attempts).toBe(2);
  });

  it("honours Retry-After as an HTTP date, and caps long waits", async () => {
    const client = emulatorClient(emu, { maxRetryAfterMs: 300 });
    const inAMinute = new Date(Date.now() + 60_000).toUTCString();
    emu.state.setFaults({ pathIncludes: "/invoke", next: [{ status: 503, retryAfter: inAMinute }] });
    const t0 = performance.now();
    await client.invoke(triage.id, { kind: "text", text: "x" });
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(2000);
  });

  it("parses Retry-After values", () => {
    const now = Date.parse("2025-01-01T00:00:00Z");
    expect(parseRetryAfter("3", now)).toBe(3000);
    expect(parseRetryAfter("0.5", now)).toBe(500);
    expect(parseRetryAfter("Wed, 01 Jan 2025 00:00:10 GMT", now)).toBe(10_000);
    expect(parseRetryAfter("Tue, 31 Dec 2024 00:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe("timeouts and network errors", () => {
  it("times out a hanging request and retries it", async () => {
    const client = emulatorClient(emu, { timeoutMs: 200 });
    emu.state.setFaults({ pathIncludes: "/invoke", next: ["hang"] });
    const t0 = performance.now();
    const result = await client.invoke(triage.id, { kind: "text", text: "x" });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(195);
    expect(result.attempts).toBe(2);
  });

  it("throws `timeout` when every attempt hangs, and frees the emulator's slots", async () => {
    const client = emulatorClient(emu, { timeoutMs: 150, maxRetries: 1 });
    emu.state.setFaults({ pathIncludes: "/invoke", shareHang: 1 });
    const error = await nyckelFailure(client.invoke(triage.id, { kind: "text", text: "x" }));
    expect(error.code).toBe("timeout");
    expect(error.status).toBeUndefined();
    expect(error.attempts).toBe(2);
    expect(error.message).toContain("150 ms");
    await sleep(50);
    expect(emu.state.limit.inFlight).toBe(0);
  });

  it("throws `network` when nothing listens", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const client = new NyckelClient({
      baseUrl: `http://127.0.0.1:${port}`,
      clientId: "x",
      clientSecret: "y-secret",
      maxRetries: 1,
      retryBaseDelayMs: 5,
      rateLimit: false,
    });
    const error = await nyckelFailure(client.listFunctions());
    expect(error.code).toBe("network");
    expect(error.attempts).toBe(2);
    expect(error.message).toMatch(/Could not reach Nyckel/);
  });

  it("stops at once when the caller aborts", async () => {
    const client = emulatorClient(emu, { timeoutMs: 5000 });
    emu.state.setFaults({ pathIncludes: "/invoke", shareHang: 1 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("user cancelled")), 100);
    await expect(client.invoke(triage.id, { kind: "text", text: "x" }, { signal: controller.signal })).rejects.toThrow(
      "user cancelled",
    );
  });
});

describe("error typing", () => {
  const cases: Array<[number, string]> = [
    [400, "bad_request"],
    [402, "payment_required"],
    [403, "forbidden"],
    [404, "not_found"],
    [409, "conflict"],
    [422, "bad_request"],
  ];
  it.each(cases)("maps %i to %s and keeps Nyckel's message", async (status, code) => {
    const client = emulatorClient(emu);
    emu.state.setFaults({ pathIncludes: "/invoke", next: [{ status, message: `nyckel says ${status}` }] });
    const error = await nyckelFailure(client.invoke(triage.id, { kind: "text", text: "x" }));
    expect(error).toBeInstanceOf(NyckelError);
    expect(error.code).toBe(code);
    expect(error.status).toBe(status);
    expect(error.nyckelMessage).toBe(`nyckel says ${status}`);
    expect(error.path).toBe(`/v1/functions/${stripPrefix(triage.id)}/invoke`);
  });

  it("reports an unknown function as `not_found` with the emulator's message", async () => {
    const error = await nyckelFailure(emulatorClient(emu).getFunction("function_doesnotexist0000"));
    expect(error.code).toBe("not_found");
    expect(error.nyckelMessage).toBe("Function 'doesnotexist0000' not found");
  });

  it("recognises an unknown model id", async () => {
    const error = await nyckelFailure(
      emulatorClient(emu).invoke(triage.id, { kind: "text", text: "x" }, { modelId: pets.modelIds[0] }),
    );
    expect(error.code).toBe("bad_request");
    expect(isUnknownModelError(error)).toBe(true);
    expect(isUnknownModelError(new NyckelError("bad_request", "x", { status: 400, nyckelMessage: "Text is empty" }))).toBe(false);
  });

  it("treats a 2xx without a label as `invalid_response`", async () => {
    const fakeFetch: typeof fetch = async (input) => {
      const url = String(input);
      if (url.endsWith("/connect/token")) return Response.json({ access_token: "t", expires_in: 3600 });
      return Response.json({ something: "else" });
    };
    const client = new NyckelClient({ baseUrl: "http://127.0.0.1:1", clientId: "a", clientSecret: "b", fetch: fakeFetch, rateLimit: false });
    const error = await nyckelFailure(client.invoke("function_x", { kind: "text", text: "x" }));
    expect(error.code).toBe("invalid_response");
  });

  it("never puts the secret or the bearer token into errors or log lines", async () => {
    const { logger, lines } = recordingLogger();
    const client = emulatorClient(emu, { logger });
    await client.listFunctions();
    const leaky = `secret=${emu.state.clientSecret}`;
    emu.state.setFaults({ pathIncludes: "/invoke", next: [503, { status: 400, message: leaky }] });
    const error = await nyckelFailure(client.invoke(triage.id, { kind: "text", text: "x" }));
    expect(error.message).toContain("secret=[redacted]");
    expect(error.nyckelMessage).toBe("secret=[redacted]");
    expect(lines.some((line) => line.level === "warn")).toBe(true);
    const everything = JSON.stringify({ error, lines, client });
    expect(everything).not.toContain(emu.state.clientSecret);
    expect(everything).not.toMatch(/eyJ[\w-]+\.[\w-]+\.[\w-]+/); // no JWT
  });

  it("rejects bad options before any request", () => {
    expect(() => new NyckelClient({ baseUrl: "not a url", clientId: "a", clientSecret: "b" })).toThrow(NyckelError);
    expect(() => new NyckelClient({ baseUrl: "ftp://x", clientId: "a", clientSecret: "b" })).toThrow(/https/);
    expect(() => new NyckelClient({ baseUrl: "https://x", clientId: "", clientSecret: "b" })).toThrow(/client id/);
  });
});

describe("invoke", () => {
  it("sends text, image (JSON and multipart), image URL and tabular inputs", async () => {
    const client = emulatorClient(emu);
    const png = tinyPng(4, 4, [200, 30, 30]);
    await client.invoke(triage.id, { kind: "text", text: "Please add dark mode" });
    const json = await client.invoke(pets.id, { kind: "image", bytes: png, mimeType: "image/png" });
    const multipart = await client.invoke(pets.id, { kind: "image", bytes: png, mimeType: "image/png", transport: "multipart" });
    const url = await client.invoke(pets.id, { kind: "imageUrl", url: "https://example.com/photos/kitten.jpg" });
    const row = await client.invoke(churn.id, { kind: "tabular", fields: { plan: "pro", seats: 3, logins_last_30d: 1 } });

    expect(multipart.output).toEqual(json.output); // same bytes → same answer, whatever the transport
    expect(url.output.labelName).toBe("Cat");
    expect(row.output.labelName).toBe("Will churn");
    const log = emu.state.recentInvokes();
    expect(log.map((e) => [e.bodyKind, e.inputKind])).toEqual([
      ["json", "text"],
      ["json", "image"],
      ["multipart", "image"],
      ["json", "imageUrl"],
      ["json", "tabular"],
    ]);
  });

  it("passes modelId, labelCount, includeMetadata, capture and externalId", async () => {
    const client = emulatorClient(emu);
    const oldest = triage.modelIds[0] as string;
    const result = await client.invoke(
      triage.id,
      { kind: "text", text: "I was charged twice on my invoice" },
      { modelId: oldest, labelCount: 3, includeMetadata: true, capture: false, externalId: "ticket-42" },
    );
    expect(result.output.labelName).toBe("Billing");
    expect(result.output.labelMetadata).toEqual({ queue: "finance" });
    expect(result.output.externalId).toBe("ticket-42");
    const confidences = result.output.labelConfidences ?? [];
    expect(confidences).toHaveLength(3);
    expect(confidences.map((c) => c.confidence)).toEqual([...confidences.map((c) => c.confidence)].sort((a, b) => b - a));
    expect(confidences[0]?.labelName).toBe("Billing");
    expect(result.latencyMs).toBeGreaterThan(0);
    expect(result.totalMs).toBeGreaterThanOrEqual(result.latencyMs);

    const [entry] = emu.state.recentInvokes(1);
    expect(entry?.modelIdParam).toBe(oldest);
    expect(entry?.modelIdUsed).toBe(oldest);
    expect(entry?.query).toEqual({
      modelId: oldest,
      labelCount: "3",
      includeMetadata: "true",
      capture: "false",
      externalId: "ticket-42",
    });
    const fn = emu.state.findFunction(triage.id);
    expect(fn?.samples.size).toBe(0);
  });

  it("omits modelId for latest, and captures by default", async () => {
    const client = emulatorClient(emu);
    await client.invoke(triage.id, { kind: "text", text: "hello" }, { modelId: null });
    await client.invoke(triage.id, { kind: "text", text: "hello again" }, { modelId: "" });
    const log = emu.state.recentInvokes();
    expect(log.map((e) => e.modelIdParam)).toEqual([null, null]);
    expect(log.map((e) => e.modelIdUsed)).toEqual([triage.modelIds.at(-1), triage.modelIds.at(-1)]);
    expect(emu.state.findFunction(triage.id)?.samples.size).toBe(2);
  });

  it("refuses nonsense input before sending anything", async () => {
    const client = emulatorClient(emu);
    await expect(client.invoke(pets.id, { kind: "image", bytes: new Uint8Array(), mimeType: "image/png" })).rejects.toThrow(
      /no bytes/,
    );
    await expect(client.invoke(pets.id, { kind: "imageUrl", url: "file:///etc/passwd" })).rejects.toThrow(/http/);
    await expect(client.invoke(triage.id, { kind: "text", text: "x" }, { labelCount: 0 })).rejects.toThrow(/labelCount/);
    expect(emu.state.counters().requests).toBe(0);
  });
});

describe("reads", () => {
  it("lists functions and gets one", async () => {
    const client = emulatorClient(emu);
    const functions = await client.listFunctions();
    expect(functions.map((f) => f.id)).toEqual(expect.arrayContaining([triage.id, pets.id]));
    const one = await client.getFunction(pets.id);
    expect(one).toMatchObject({ id: pets.id, name: "Cat vs dog vs bird", input: "Image", output: "Classification" });
  });

  it("follows host-relative Link pagination", async () => {
    const client = emulatorClient(emu);
    const labels = await client.listLabels(triage.id, { pageSize: 2 });
    expect(labels.map((l) => l.name)).toEqual(["Billing", "Technical issue", "Account access", "Refund request", "Feature request"]);
    expect(emu.state.counters().byRoute["GET /v1/functions/:functionId/labels"]).toBe(3);
  });

  it("follows absolute same-origin links and refuses links to another host", async () => {
    const rewrite = (to: (link: string) => string): typeof fetch => async (input, init) => {
      const res = await fetch(input, init);
      const link = res.headers.get("link");
      if (!link) return res;
      const headers = new Headers(res.headers);
      headers.set("link", link.replace(/<([^>]*)>/, (_, path: string) => `<${to(path)}>`));
      return new Response(await res.text(), { status: res.status, headers });
    };
    const absolute = emulatorClient(emu, { fetch: rewrite((path) => `${emu.url}${path}`) });
    expect(await absolute.listLabels(triage.id, { pageSize: 2 })).toHaveLength(5);

    const urls: string[] = [];
    const toElsewhere = rewrite((path) => `http://127.0.0.2:9${path}`);
    const elsewhere = emulatorClient(emu, {
      fetch: (input, init) => {
        urls.push(String(input));
        return toElsewhere(input, init);
      },
    });
    const error = await nyckelFailure(elsewhere.listLabels(triage.id, { pageSize: 2 }));
    expect(error.code).toBe("invalid_response");
    expect(urls.length).toBeGreaterThan(0);
    expect(urls.every((url) => url.startsWith(emu.url))).toBe(true);
  });

  it("reads the summary tolerantly", async () => {
    const summary = await emulatorClient(emu).getSummary(triage.id);
    expect(summary.sampleCount).toBe(905);
    expect(summary.annotatedSampleCount).toBe(905);
    expect(summary.labelCounts?.find((l) => l.labelName === "Billing")?.count).toBe(210);
    expect(summary.raw).toMatchObject({ functionId: triage.id });
  });

  it("reads the current model id from /metrics, and follows runtime retraining", async () => {
    const client = emulatorClient(emu);
    expect(await client.getCurrentModelId(triage.id)).toBe(triage.modelIds.at(-1));
    const added = emu.state.addModel(triage.id);
    expect(await client.getCurrentModelId(stripPrefix(triage.id))).toBe(added.id);
    const metrics = await client.getMetrics(triage.id);
    expect(metrics).toMatchObject({ isTraining: false, sampleCount: 905, predictionCount: 905, annotatedLabelCount: 5 });
  });

  it("returns null for the current model when /metrics is missing", async () => {
    expect(await emulatorClient(emu).getCurrentModelId("function_doesnotexist0000")).toBeNull();
  });

  it("finds the model id under any of the likely field names", () => {
    expect(readModelId({ modelId: "m1" })).toBe("m1");
    expect(readModelId({ currentModelId: "m2" })).toBe("m2");
    expect(readModelId({ latestModelId: "m3" })).toBe("m3");
    expect(readModelId({ model: { id: "m4" } })).toBe("m4");
    expect(readModelId({ currentModel: { modelId: "m5" } })).toBe("m5");
    expect(readModelId({ isTraining: false, sampleCount: 3 })).toBeNull();
    expect(readModelId({ modelId: "" })).toBeNull();
  });

  it("parses Link headers", () => {
    expect(parseNextLink('</v1/x?start=2>; rel="next"')).toBe("/v1/x?start=2");
    expect(parseNextLink('<https://a/p?1>; rel="prev", <https://a/p?3>; rel="next"')).toBe("https://a/p?3");
    expect(parseNextLink("</v1/x?start=2>; rel=next")).toBe("/v1/x?start=2");
    expect(parseNextLink('</v1/x>; rel="last"')).toBeNull();
    expect(parseNextLink(null)).toBeNull();
  });

  it("tests the connection", async () => {
    expect(await emulatorClient(emu).testConnection()).toEqual({ ok: true, functionCount: 4 });
  });
});
