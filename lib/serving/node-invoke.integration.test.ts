/**
 * The invoke proxy's Node fast path (lib/serving/node-invoke.ts) against the App Router
 * route handler: every request is sent both ways — through a real HTTP server whose
 * request listener is wrapped as in production, and to the route handler as Next
 * calls it — and the answers must be equal: status, headers (plus the security
 * headers next.config.js adds to the route's answers), body. The real PostgreSQL
 * and the emulator as Nyckel. Requests the fast path leaves to Next must reach the
 * server's own listener.
 */
import http from "node:http";
import net from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { prisma } from "@/lib/db/client";
import { resetConfigForTests } from "@/lib/env";
import { syncFunctions } from "@/lib/functions/service";
import { servingMetrics } from "@/lib/metrics/registry";
import type { Release } from "@/lib/nyckel/budget/budget";
import { getNyckelBudget, stopNyckelBudget } from "@/lib/nyckel/budget/service";
import { saveNyckelSettings } from "@/lib/nyckel-settings/service";
import { STATIC_SECURITY_HEADERS } from "@/lib/security/headers";
import { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET } from "@/scripts/emulator/state";
import { seededFunction } from "@/scripts/emulator/seed";
import { emulatorAsNyckelForFile } from "@/scripts/testing/emulator-as-nyckel";
import { freePort } from "@/scripts/testing/free-port";
import { bearer, getPins, invoke, newEnvironment, newToken, pinTo, sleep, sys, until } from "@/scripts/testing/serving";
import { closeServingCache } from "./cache";
import { fastInvokeFunctionId, wrapServer } from "./node-invoke";
import { forgetProxyNyckelClient } from "./nyckel";
import { flushServingUsage } from "./usage";

process.env.MODELPIN_METRICS_TOKEN = "node-invoke-metrics-token-0123456789";
// Every request is sent twice, faster than Nyckel's 25 per second: the budget's rate must not be what refuses them.
process.env.NYCKEL_RATE_LIMIT_RPS = "1000";
resetConfigForTests();

const triage = seededFunction("support-triage");
const pets = seededFunction("pets");
const emulator = emulatorAsNyckelForFile({ rateLimit: false });
const PINNED = triage.modelIds[1]!;

let environment: { id: string; slug: string };
let token: string;
let tokenId: string;
let server: http.Server;
let base: string;
/** Requests that reached the server's own listener (what Next would answer). */
const reachedNext: string[] = [];

beforeAll(async () => {
  await syncFunctions(sys);
  environment = await newEnvironment();
  await pinTo(environment.id, triage.id, PINNED);
  await pinTo(environment.id, pets.id, pets.modelIds[0]!);
  const created = await newToken(environment.id);
  token = created.token;
  tokenId = created.id;
  await until(async () => (await getPins("any", bearer(token))).status !== 401, 2000);
  server = http.createServer((req, res) => {
    reachedNext.push(`${req.method} ${req.url}`);
    res.writeHead(299, { "x-answered-by": "next" });
    res.end("next");
  });
  wrapServer(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // The process's budget starts with its first proxied call; let its share settle as a running server's would.
  expect((await invoke(triage.id, call("warm up")).then((r) => r.status))).toBe(200);
  await sleep(1_500);
});

beforeEach(() => {
  emulator().state.resetCounters();
  emulator().state.clearFaults();
  reachedNext.length = 0;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await flushServingUsage();
  await stopNyckelBudget();
  await closeServingCache();
});

type Init = { headers?: Record<string, string>; query?: string; body?: string | FormData | ReadableStream<Uint8Array>; method?: string };

const call = (text: string, extra: Omit<Init, "body"> = {}): Init => ({
  ...extra,
  headers: { ...bearer(token), "content-type": "application/json", ...extra.headers },
  body: JSON.stringify({ data: text }),
});

/** Through the wrapped server, as a caller sends it. */
function viaNode(functionId: string, init: Init): Promise<Response> {
  return fetch(`${base}/v1/functions/${functionId}/invoke${init.query ?? ""}`, {
    method: init.method ?? "POST",
    headers: init.headers,
    body: init.body,
    ...(init.body instanceof ReadableStream ? { duplex: "half" } : {}),
  } as RequestInit);
}

/** Framing and connection headers: each server sets its own (fetch decodes a gzipped body; e2e/invoke-fast-path.spec.ts checks the encoding). */
const TRANSPORT = new Set(["date", "connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding"]);
/** The Vary `next start` gives every App Router answer, before the route's own and its compression's. */
const APP_ROUTER_VARY = "rsc, next-router-state-tree, next-router-prefetch, next-router-segment-prefetch";

type Seen = { status: number; headers: Record<string, string>; body: string };

async function seen(res: Response): Promise<Seen> {
  const headers: Record<string, string> = {};
  res.headers.forEach((value, name) => {
    if (!TRANSPORT.has(name)) headers[name] = value;
  });
  return { status: res.status, headers, body: await res.text() };
}

/** The route's answer as `next start` sends it: the security headers of next.config.js, the App Router's and compression's Vary. */
async function viaRoute(functionId: string, init: Init): Promise<Seen> {
  const answer = await seen(await invoke(functionId, { ...init, body: init.body ?? null }));
  for (const [name, value] of Object.entries(STATIC_SECURITY_HEADERS)) answer.headers[name.toLowerCase()] ??= value;
  answer.headers.vary = [APP_ROUTER_VARY, answer.headers.vary, "Accept-Encoding"].filter(Boolean).join(", ");
  return answer;
}

/** Sends `init` both ways; the answers must be equal. Returns the fast path's. */
async function same(functionId: string, init: Init | (() => Init)): Promise<Seen> {
  const make = typeof init === "function" ? init : () => init;
  const route = await viaRoute(functionId, make());
  const node = await seen(await viaNode(functionId, make()));
  expect(node).toEqual(route);
  expect(reachedNext).toEqual([]);
  return node;
}

describe("the invoke proxy's Node fast path answers as the route handler does", () => {
  it("proxies to Nyckel with the pinned modelId: same status, headers and body (JSON, query, multipart, the SDK's empty modelId=)", async () => {
    const ok = await same(triage.id, call("I was charged twice"));
    expect(ok.status).toBe(200);
    expect(ok.headers).toMatchObject({ "x-modelpin-environment": environment.slug, "x-modelpin-model-id": PINNED, "x-frame-options": "DENY" });
    expect(emulator().state.recentInvokes(2).map((e) => e.modelIdParam)).toEqual([PINNED, PINNED]);

    await same(triage.id, call("password reset", { query: "?labelCount=2&includeMetadata=true&capture=false&externalId=order%2042&custom=a+b" }));
    expect(emulator().state.recentInvokes(1)[0]!.query).toMatchObject({ labelCount: "2", externalId: "order 42", custom: "a b", modelId: PINNED });
    await same(triage.id, call("sdk", { query: "?modelId=" }));

    const image = new Uint8Array(300 * 1024).map((_, i) => (i * 31) % 251);
    const form = (): Init => {
      const f = new FormData();
      f.append("data", new Blob([image], { type: "image/png" }), "photo.png");
      return { headers: bearer(token), query: "?capture=false", body: f };
    };
    expect((await same(pets.id, form)).status).toBe(200);
    expect(emulator().state.recentInvokes(1)[0]).toMatchObject({ bodyKind: "multipart", inputKind: "image", modelIdParam: pets.modelIds[0] });
  });

  it("streams a body sent without a Content-Length to Nyckel (chunked), with the same answer", async () => {
    const text = JSON.stringify({ data: "my account is locked" });
    const answer = await same(triage.id, () => ({ headers: { ...bearer(token), "content-type": "application/json" }, body: new Blob([text]).stream() }));
    expect(answer.status).toBe(200);
    expect(emulator().state.recentInvokes(1)[0]).toMatchObject({ bodyKind: "json", inputKind: "text", modelIdParam: PINNED });
  });

  it("sends Nyckel the query as the route does, also with characters a URL parser escapes", async () => {
    const query = `?externalId="a<b>'c'"&labelCount=2`;
    expect((await invoke(triage.id, { ...call("q"), query })).status).toBe(200);
    const [fromRoute] = emulator().state.recentInvokes(1);
    const raw = await new Promise<number>((resolve, reject) => {
      const body = JSON.stringify({ data: "q" });
      const req = http.request(`${base}/v1/functions/${triage.id}/invoke`, {
        method: "POST",
        path: `/v1/functions/${triage.id}/invoke${query}`,
        headers: { ...bearer(token), "content-type": "application/json", "content-length": String(body.length) },
      });
      req.on("response", (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.end(body);
    });
    expect(raw).toBe(200);
    const [fromNode] = emulator().state.recentInvokes(1);
    expect(fromNode!.query).toEqual(fromRoute!.query);
    expect(fromNode!.query).toMatchObject({ externalId: `"a<b>'c'"`, modelId: PINNED });
  });

  it("gives the same 401s (each code, WWW-Authenticate, empty X-Modelpin headers) without calling Nyckel", async () => {
    const tokens: Array<Record<string, string>> = [{}, { authorization: "Bearer nope" }, { authorization: `Bearer mp_${"B".repeat(43)}` }];
    for (const headers of tokens) {
      const answer = await same(triage.id, { headers: { ...headers, "content-type": "application/json" }, body: "{}" });
      expect(answer.status).toBe(401);
      expect(answer.headers["www-authenticate"]).toMatch(/^Bearer realm="modelpin"/);
      expect(answer.headers["x-modelpin-environment"]).toBe("");
    }
    expect(emulator().state.counters().invokes).toBe(0);
  });

  it("gives the same 409 for another model, 400 for two modelIds, and Nyckel's own 404, 400, 415 and 429 unchanged", async () => {
    const conflict = await same(triage.id, call("x", { query: `?modelId=${triage.modelIds[0]}` }));
    expect(conflict.status).toBe(409);
    expect(JSON.parse(conflict.body)).toMatchObject({ error: { code: "model_conflict", pinnedModelId: PINNED } });
    expect((await same(triage.id, call("x", { query: `?modelId=a&modelId=b` }))).status).toBe(400);
    expect((await same("function_doesnotexist0000", call("x"))).status).toBe(404);
    expect((await same(triage.id, { headers: { ...bearer(token), "content-type": "application/json" }, body: "{not json" })).status).toBe(400);
    expect((await same(triage.id, { headers: { ...bearer(token), "content-type": "text/plain" }, body: "hello" })).status).toBe(415);
    const limited = await same(triage.id, () => {
      emulator().state.setFaults({ pathIncludes: "/invoke", retryAfterSeconds: 2, next: [429] });
      return call("x");
    });
    expect(limited).toMatchObject({ status: 429, headers: { "retry-after": "2" } });
  });

  it("gives the same 429 budget_exhausted with Retry-After when this process has no permit, and counts it", async () => {
    const budget = getNyckelBudget();
    const held: Release[] = [];
    try {
      for (let r = budget.tryAcquire("serving"); r; r = budget.tryAcquire("serving")) held.push(r);
      expect(held.length).toBeGreaterThan(0);
      const refused = await same(triage.id, call("starved"));
      expect(refused.status).toBe(429);
      expect(refused.headers["retry-after"]).toBe("1");
      expect(JSON.parse(refused.body)).toMatchObject({ error: { code: "budget_exhausted" } });
    } finally {
      for (const release of held) release();
    }
    expect(emulator().state.counters().invokes).toBe(0);
    await flushServingUsage();
    const row = await prisma.proxyUsage.findUniqueOrThrow({ where: { tokenId_functionId_modelId: { tokenId, functionId: triage.id, modelId: PINNED } } });
    expect(Number(row.budgetRefusedCalls)).toBe(2);
  });

  it("gives the same 502 when Nyckel cannot be reached", async () => {
    await saveNyckelSettings(sys, { baseUrl: `http://127.0.0.1:${await freePort()}`, clientId: DEFAULT_CLIENT_ID, clientSecret: DEFAULT_CLIENT_SECRET });
    forgetProxyNyckelClient();
    try {
      const answer = await same(triage.id, call("x"));
      expect(answer.status).toBe(502);
      expect(JSON.parse(answer.body)).toMatchObject({ error: { code: "nyckel_unreachable" } });
    } finally {
      await saveNyckelSettings(sys, { baseUrl: emulator().url, clientId: DEFAULT_CLIENT_ID, clientSecret: DEFAULT_CLIENT_SECRET });
      forgetProxyNyckelClient();
    }
  });

  it("refreshes Nyckel's access token after a Nyckel 401 and sends the request once more", async () => {
    emulator().state.revokeTokens();
    const res = await viaNode(triage.id, call("hello"));
    expect(res.status).toBe(200);
    expect(emulator().state.counters().unauthorized).toBe(1);
    expect(emulator().state.counters().byPath[`/v1/functions/${triage.id}/invoke`]).toBe(2);
  });

  it("counts its calls and reports them to /metrics like the route", async () => {
    const before = await proxyRequestsCounted(environment.slug, triage.id, "200");
    await flushServingUsage();
    const key = { tokenId_functionId_modelId: { tokenId, functionId: triage.id, modelId: PINNED } };
    const rowBefore = await prisma.proxyUsage.findUnique({ where: key });
    for (let i = 0; i < 3; i++) expect((await viaNode(triage.id, call(`count ${i}`))).status).toBe(200);
    await flushServingUsage();
    const rowAfter = await prisma.proxyUsage.findUniqueOrThrow({ where: key });
    expect(Number(rowAfter.calls) - Number(rowBefore?.calls ?? 0)).toBe(3);
    expect((await proxyRequestsCounted(environment.slug, triage.id, "200")) - before).toBe(3);
  });

  it("leaves everything else to the server's own listener: other methods, other paths, escapes, a trailing slash", async () => {
    const path = `/v1/functions/${triage.id}/invoke`;
    const cases: Array<[string, string]> = [
      ["GET", path],
      ["PUT", path],
      ["DELETE", path],
      ["OPTIONS", path],
      ["HEAD", path],
      ["POST", `${path}/`],
      ["POST", `/v1/functions/function%5Fabc/invoke`],
      ["POST", `/v1/functions/a.b/invoke`],
      ["POST", `/V1/functions/${triage.id}/invoke`],
      ["POST", "/api/health"],
    ];
    for (const [method, target] of cases) {
      const res = await fetch(`${base}${target}`, { method, headers: bearer(token), body: method === "POST" || method === "PUT" ? "{}" : undefined });
      expect(res.headers.get("x-answered-by"), `${method} ${target}`).toBe("next");
    }
    expect(reachedNext).toEqual(cases.map(([m, t]) => `${m} ${t}`));
    expect(emulator().state.counters().invokes).toBe(0);
    // The same decision, as a pure function.
    expect(fastInvokeFunctionId("POST", `${path}?capture=false`)).toBe(triage.id);
    expect(fastInvokeFunctionId("POST", `http://x${path}`)).toBeNull();
    expect(fastInvokeFunctionId("POST", `${path}#x`)).toBeNull();
  });

  it("survives callers that go away mid-body or mid-answer, and keeps serving", async () => {
    const port = (server.address() as AddressInfo).port;
    for (const sent of ["{\"data\":", "x".repeat(300 * 1024)]) {
      // Content-Length promises more than is sent, then the connection closes.
      await new Promise<void>((resolve) => {
        const socket = net.connect(port, "127.0.0.1", () => {
          socket.write(
            `POST /v1/functions/${triage.id}/invoke HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${sent.length + 1000}\r\n\r\n${sent}`,
            () => setTimeout(() => socket.destroy(), 50),
          );
        });
        socket.on("close", () => resolve());
        socket.on("error", () => undefined);
      });
    }
    await sleep(100);
    expect((await viaNode(triage.id, call("still here"))).status).toBe(200);
  });
});

async function proxyRequestsCounted(environmentSlug: string, functionId: string, status: string): Promise<number> {
  const metric = await servingMetrics().proxyRequests.get();
  const found = metric.values.find((v) => v.labels.environment === environmentSlug && v.labels.function === functionId && v.labels.status === status);
  return found?.value ?? 0;
}
