import http from "node:http";
import { gunzipSync } from "node:zlib";
import { expect, test } from "./fixtures/test";
import { startNextServer, type NextServerHandle } from "../scripts/testing/next-server";
import { freePort } from "../scripts/testing/free-port";
import { bearer, setUpApiWorld, type ApiWorld } from "./fixtures/api";

/**
 * The invoke proxy's Node fast path (lib/serving/node-invoke.ts) answers exactly as
 * Next's route handler: the Playwright server (a production build, fast path on) and a
 * second instance of the same build with MODELPIN_INVOKE_FAST_PATH=off get the same
 * requests, and every answer must be the same — status, headers (all but the
 * connection and framing ones), body — for proxied calls, each refusal, and what the
 * fast path leaves to Next (other methods, odd paths). That the fast path served is
 * visible in the framing: it sends a Content-Length, Next's route handler streams
 * chunked.
 *
 * One difference is intended (docs/serving.md, "Performance"): for a caller that accepts
 * gzip, Next's streamed write gzips an answer of any size; the fast path writes it in one
 * piece and, like the compression middleware's 1 KB threshold says, leaves a smaller one
 * as it is. Larger answers are gzipped by both.
 */

test.skip(!process.env.NYCKEL_EMULATOR_URL, "NYCKEL_EMULATOR_URL is not set (run through npm test)");
test.describe.configure({ mode: "serial" });

let world: ApiWorld;
let viaNext: NextServerHandle | undefined;

test.beforeAll(async ({ browser, baseURL }) => {
  test.setTimeout(180_000);
  world = await setUpApiWorld(browser, { prefix: "fastpath" });
  const port = await freePort();
  viaNext = await startNextServer({ port, env: { ...process.env, AUTH_URL: `http://127.0.0.1:${port}`, MODELPIN_INVOKE_FAST_PATH: "off" } });
  // Both instances warm (serving cache loaded, token known) before answers are compared: a cold
  // instance on a loaded machine may answer its first requests 503 while its database times out.
  for (const base of [viaNext.url, baseURL!]) {
    await expect
      .poll(async () => (await fetch(`${base}/api/v1/environments/${world.slug}/pins/${world.fn.id}`, { headers: bearer(world.token) })).status, { timeout: 60_000 })
      .toBe(200);
  }
});

test.afterAll(async () => {
  await viaNext?.stop();
});

type Sent = { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer };
type Answer = { status: number; headers: Record<string, string>; framing: Record<string, string>; body: string };

const FRAMING = new Set(["date", "connection", "keep-alive", "transfer-encoding", "content-length"]);

/** One raw HTTP request (the path is sent as written: no client-side URL escaping). */
function send(base: string, r: Sent): Promise<Answer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, method: r.method ?? "POST", path: r.path, headers: r.headers, agent: false });
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const headers: Record<string, string> = {};
        const framing: Record<string, string> = {};
        for (const [name, value] of Object.entries(res.headers)) {
          const text = Array.isArray(value) ? value.join(", ") : String(value);
          (FRAMING.has(name) ? framing : headers)[name] = text;
        }
        const raw = Buffer.concat(chunks);
        const body = (headers["content-encoding"] === "gzip" ? gunzipSync(raw) : raw).toString("utf8");
        resolve({ status: res.statusCode ?? 0, headers, framing, body });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(r.body);
  });
}

/**
 * As a well-behaved caller: Modelpin's own 429 `budget_exhausted` (its Nyckel budget is shared
 * with the comparisons and drift runs of the specs beside this one, and a lone serving request
 * after a quiet second may find batch work still holding it) is retried after its Retry-After.
 */
async function sendServed(base: string, r: Sent): Promise<Answer> {
  for (let attempt = 1; ; attempt++) {
    const answer = await send(base, r);
    if (answer.status !== 429 || !answer.body.includes('"budget_exhausted"') || attempt === 5) return answer;
    await new Promise((resolve) => setTimeout(resolve, 1000 * Number(answer.headers["retry-after"] ?? 1)));
  }
}

/** The same request to both servers; their answers must be equal. Returns the fast path server's. */
async function same(baseURL: string, r: Sent): Promise<Answer> {
  const next = await sendServed(viaNext!.url, r);
  // Paced: both instances spend one Nyckel budget with the specs running beside this one.
  await new Promise((resolve) => setTimeout(resolve, 100));
  const fast = await sendServed(baseURL, r);
  expect({ status: fast.status, headers: fast.headers, body: fast.body }, `${r.method ?? "POST"} ${r.path}`).toEqual({
    status: next.status,
    headers: next.headers,
    body: next.body,
  });
  return fast;
}

const invokePath = (fn: string, query = "") => `/v1/functions/${fn}/invoke${query}`;
const jsonBody = (text: string) => JSON.stringify({ data: text });

test("proxied calls: the fast path answers them (Content-Length, not chunked) with what the route handler answers", async ({ baseURL }) => {
  const auth = { ...bearer(world.token), "content-type": "application/json" };
  const ok = await same(baseURL!, { path: invokePath(world.fn.id), headers: auth, body: jsonBody("I was charged twice") });
  expect(ok.status).toBe(200);
  expect(ok.headers).toMatchObject({ "x-modelpin-environment": world.slug, "x-modelpin-model-id": world.pinned, "x-frame-options": "DENY", "x-content-type-options": "nosniff" });
  expect(ok.framing["content-length"]).toBe(String(Buffer.byteLength(ok.body)));
  expect(ok.framing["transfer-encoding"]).toBeUndefined();
  const fromNext = await send(viaNext!.url, { path: invokePath(world.fn.id), headers: auth, body: jsonBody("I was charged twice") });
  expect(fromNext.framing["transfer-encoding"]).toBe("chunked");

  for (const query of ["?labelCount=2&includeMetadata=true&capture=false&externalId=order%2042", "?modelId=", `?externalId="a<b>'c'"&x=%ZZ`, "?_rsc=abc"]) {
    expect((await same(baseURL!, { path: invokePath(world.fn.id, query), headers: auth, body: jsonBody("password reset") })).status).toBe(200);
  }
  // Larger than what is read into memory (256 KB): streamed to Nyckel, which refuses text that long.
  const long = await same(baseURL!, { path: invokePath(world.fn.id), headers: auth, body: jsonBody("x".repeat(300 * 1024)) });
  expect(long.headers["x-modelpin-model-id"]).toBe(world.pinned);
});

test("refusals: 401s, 409, 400, Nyckel's own 404, 400 and 415 are the same from both paths", async ({ baseURL }) => {
  const json = { "content-type": "application/json" };
  const auth = { ...bearer(world.token), ...json };
  for (const headers of [json, { authorization: "Bearer nope", ...json }, { authorization: `Bearer mp_${"B".repeat(43)}`, ...json }]) {
    const refused = await same(baseURL!, { path: invokePath(world.fn.id), headers, body: jsonBody("x") });
    expect(refused.status).toBe(401);
    expect(refused.headers["www-authenticate"]).toMatch(/^Bearer realm="modelpin"/);
  }
  const conflict = await same(baseURL!, { path: invokePath(world.fn.id, `?modelId=${world.other}`), headers: auth, body: jsonBody("x") });
  expect(conflict.status).toBe(409);
  expect(JSON.parse(conflict.body)).toMatchObject({ error: { code: "model_conflict" } });
  expect((await same(baseURL!, { path: invokePath(world.fn.id, "?modelId=a&modelId=b"), headers: auth, body: jsonBody("x") })).status).toBe(400);
  expect((await same(baseURL!, { path: invokePath("function_doesnotexist0000"), headers: auth, body: jsonBody("x") })).status).toBe(404);
  expect((await same(baseURL!, { path: invokePath(world.fn.id), headers: auth, body: "{not json" })).status).toBe(400);
  expect((await same(baseURL!, { path: invokePath(world.fn.id), headers: { ...bearer(world.token), "content-type": "text/plain" }, body: "hi" })).status).toBe(415);
});

test("what the fast path leaves to Next: other methods, escapes, odd ids, a trailing slash", async ({ baseURL }) => {
  const auth = { ...bearer(world.token), "content-type": "application/json" };
  for (const method of ["GET", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]) {
    const answer = await same(baseURL!, { method, path: invokePath(world.fn.id), headers: auth, body: method === "PUT" || method === "PATCH" ? "{}" : undefined });
    expect(answer.status, method).toBe(method === "OPTIONS" ? 204 : 405);
  }
  expect((await same(baseURL!, { path: "/v1/functions/%ZZ/invoke", headers: auth, body: "{}" })).status).toBe(400);
  expect((await same(baseURL!, { path: "/v1/functions/a.b/invoke", headers: auth, body: "{}" })).status).toBe(404);
  expect((await same(baseURL!, { path: `/v1/functions/${world.fn.id.replace("_", "%5F")}/invoke`, headers: auth, body: jsonBody("x") })).status).toBe(200);
  expect((await same(baseURL!, { path: `${invokePath(world.fn.id)}/`, headers: auth, body: "{}" })).status).toBe(308);
});

test("compression for callers that accept gzip: the same body; answers over 1 KB gzipped by both paths, smaller ones only by Next", async ({ baseURL }) => {
  const headers = { ...bearer(world.token), "content-type": "application/json", "accept-encoding": "gzip" };
  const small: Sent = { path: invokePath(world.fn.id), headers, body: jsonBody("refund please") };
  const fromNext = await sendServed(viaNext!.url, small);
  const fast = await sendServed(baseURL!, small);
  expect(fromNext.headers["content-encoding"]).toBe("gzip");
  expect(fast.headers["content-encoding"]).toBeUndefined();
  expect(fast.framing["content-length"]).toBe(String(Buffer.byteLength(fast.body)));
  const { "content-encoding": _encoding, ...nextHeaders } = fromNext.headers;
  expect({ status: fast.status, headers: fast.headers, body: fast.body }).toEqual({ status: fromNext.status, headers: nextHeaders, body: fromNext.body });

  // Nyckel echoes externalId: an answer well over 1 KB.
  const large = await same(baseURL!, { path: invokePath(world.fn.id, `?externalId=${"e".repeat(1500)}`), headers, body: jsonBody("refund please") });
  expect(large.status).toBe(200);
  expect(large.headers["content-encoding"]).toBe("gzip");
  expect(large.body.length).toBeGreaterThan(1500);
});
