import { expect, test } from "./fixtures/test";
import { bearer, setUpApiWorld, type ApiWorld } from "./fixtures/api";
import { HOST, PORT, agent, pool, send, type Case, type Outcome } from "./fixtures/malformed";
import { mulberry32 } from "../scripts/testing/random";

/**
 * 1,000 malformed requests against the resolve API and the invoke proxy — bad
 * JSON, wrong content types, huge headers, unknown functions, path tricks (../,
 * %2e%2e, encoded slashes, bad escapes, overlong ids), bad and missing tokens,
 * wrong methods, empty and truncated bodies, and raw bytes that are not HTTP —
 * must produce no 5xx (the emulator, our Nyckel, is reachable, so not even a
 * 502), and the server must keep answering normal requests afterwards.
 *
 * Sent with node:http (and raw sockets where node:http would refuse or fix the
 * request), never through fetch: fetch normalizes `..` and escapes away. Requests
 * the proxy forwards to Nyckel are paced (≈ 12/s) to stay under the emulator's
 * 25 requests per second, which other specs share.
 */

test.skip(!process.env.NYCKEL_EMULATOR_URL, "NYCKEL_EMULATOR_URL is not set (run through npm test)");

const TOTAL = 1000;

function buildCases(world: ApiWorld): Case[] {
  const slug = world.slug;
  const fid = world.fn.id;
  const good = bearer(world.token);
  const json = { ...good, "content-type": "application/json" };
  const list = `/api/v1/environments/${slug}/pins`;
  const one = `${list}/${fid}`;
  const invoke = `/v1/functions/${fid}/invoke`;
  const cases: Case[] = [];
  const add = (c: Case) => cases.push(c);

  // ---- path tricks, on both APIs, with a good token, a bad one and none
  const envTricks = ["..", "%2e%2e", "%2E%2E", ".%2e", "%2e.", "...", ".", "%2f", "a%2fb", "a%2Fb%2Fc", "%5c", "a%5cb", "%00", "a%00b", "%ZZ", "%", "%e2%82", "%c0%ae%c0%ae", "%252e%252e", "..%2f..", "..%5c..", "~", "%20", "+", "a;b", "a?b", "%3f", "%23", "UPPER", "ümlaut", "%C3%BC", "a".repeat(61), "a".repeat(4096), "-", "--", "a--b", "0", "%ff%fe"];
  const fnTricks = ["..", "%2e%2e", "..%2f..%2fhealth", "%2e%2e%2f%2e%2e%2fhealth", `${fid}%2f..`, `${fid}%00`, `${fid}%2Finvoke`, "%2f", "a%2Fb", "%5c..%5c", "function_", "_function", "function_" + "x".repeat(300), "x".repeat(201), "x".repeat(8000), "%ZZ", "%", "%e2%82", "ñ", "%C3%B1", "a%20b", "a+b", "<script>", "%3Cscript%3E", "'", "%27%20OR%201%3D1", "function_doesnotexist", "FUNCTION_ABC", "-x", "0"];
  const tokens: Array<[string, Record<string, string>]> = [["good", good], ["none", {}], ["bad", { authorization: "Bearer mp_nope" }]];
  for (const t of envTricks) for (const [kind, h] of tokens) add({ category: `path-env/${kind}`, method: "GET", path: `/api/v1/environments/${t}/pins`, headers: h });
  for (const t of fnTricks) for (const [kind, h] of tokens) add({ category: `path-fn/${kind}`, method: "GET", path: `${list}/${t}`, headers: h });
  for (const t of ["/api/v1/environments//pins", `/api/v1/environments/${slug}//pins`, `/api/v1/environments/${slug}/pins/`, `/api/v1/environments/${slug}/pins//`, `/api//v1/environments/${slug}/pins`, `/api/v1/environments/${slug}/pins/${fid}/extra`, `/api/v1/environments/${slug}/pins/../pins`, `/api/v1/environments/${slug}/./pins`, `/API/V1/environments/${slug}/pins`, `/api/v1/environments/${slug}/pins.json`, `/api/v1/environments/${slug}/pins;jsessionid=1`, `/api/v1/environments/${slug}/pins%3Fat=1`, `/api/v1/environments/${slug}/pins#frag`, `/%2e%2e/%2e%2e/etc/passwd`, `/api/v1/environments/..%2f..%2f..%2fetc%2fpasswd/pins`, `//api/v1/environments/${slug}/pins`, `/api/v1/environments/${slug}/pins\\${fid}`]) {
    add({ category: "path-shape", method: "GET", path: t, headers: good });
  }

  // ---- bad and missing tokens on both APIs
  const badAuth = [
    "", " ", "Bearer", "Bearer ", "Bearer  ", "bearer x", "BEARER mp_x", "Basic dXNlcjpwYXNz", "Digest x", "Token mp_x", `Bearer ${world.token} extra`, `Bearer ${world.token}x`, `Bearer ${world.token.slice(0, -1)}`,
    `Bearer ${world.token.toUpperCase()}`, `Bearer mp_${"A".repeat(43)}`, `Bearer mp_${"-".repeat(43)}`, `Bearer mp_${"A".repeat(42)}!`, `Bearer mp_${"A".repeat(1000)}`, `Bearer ${"x".repeat(8000)}`, "Bearer null", "Bearer undefined",
    "Bearer mp_", "mp_abc", world.token, `Bearer\t${world.token}`, `Bearer "${world.token}"`, `Bearer ${world.token},Bearer ${world.token}`, "Bearer %00", "Bearer ../../", "Bearer ' OR 1=1 --",
  ];
  for (const a of badAuth) {
    add({ category: "token/resolve", method: "GET", path: one, headers: { authorization: a } });
    add({ category: "token/resolve-list", method: "GET", path: list, headers: { authorization: a } });
    add({ category: "token/proxy", method: "POST", path: invoke, headers: { authorization: a, "content-type": "application/json" }, body: '{"data":"x"}' });
  }
  add({ category: "token/two-headers", method: "GET", path: one, headers: { authorization: [`Bearer ${world.token}`, "Bearer mp_other"] } });
  add({ category: "token/two-headers", method: "POST", path: invoke, headers: { authorization: ["Bearer mp_nope", `Bearer ${world.token}`], "content-type": "application/json" }, body: '{"data":"x"}' });
  add({ category: "token/cookie-only", method: "GET", path: one, headers: { cookie: "authjs.session-token=garbage; __Secure-authjs.session-token=garbage" } });
  add({ category: "token/cookie-only", method: "GET", path: list, headers: { cookie: `authjs.session-token=${"x".repeat(4000)}` } });

  // ---- wrong methods
  for (const m of ["POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD", "TRACE", "PROPFIND", "FOO"]) {
    add({ category: "method/resolve", method: m, path: one, headers: json, body: m === "HEAD" || m === "TRACE" ? undefined : "{}" });
    add({ category: "method/resolve-list", method: m, path: list, headers: json, body: m === "HEAD" || m === "TRACE" ? undefined : "{}" });
  }
  for (const m of ["GET", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD", "TRACE", "PROPFIND", "FOO"]) {
    add({ category: "method/proxy", method: m, path: invoke, headers: json, body: m === "GET" || m === "HEAD" || m === "TRACE" ? undefined : '{"data":"x"}' });
  }

  // ---- huge and odd headers
  for (const kb of [8, 15, 17, 24, 32, 48, 64]) {
    const big = "x".repeat(kb * 1024);
    add({ category: "huge-header", method: "GET", path: one, headers: { ...good, "x-padding": big } });
    add({ category: "huge-header", method: "POST", path: invoke, headers: { ...json, "x-padding": big }, body: '{"data":"x"}' });
    add({ category: "huge-header", method: "GET", path: list, headers: { authorization: `Bearer ${big}` } });
    add({ category: "huge-header", method: "GET", path: one, headers: { ...good, "if-none-match": `"${big}"` } });
    add({ category: "huge-header", method: "GET", path: `${one}?at=${big}`, headers: good });
  }
  const many: Record<string, string> = { ...good };
  for (let i = 0; i < 300; i++) many[`x-h-${i}`] = "v".repeat(60);
  add({ category: "huge-header", method: "GET", path: one, headers: many });
  add({ category: "huge-header", method: "POST", path: invoke, headers: { ...many, "content-type": "application/json" }, body: '{"data":"x"}' });

  // ---- query and conditional-request garbage on resolve
  for (const q of ["at=", "at=last-tuesday", "at=9999-99-99", "at=2026-02-30T00:00:00Z", "at=1e308", "at=-1", "at[]=1", "at=1&at=2", "at=%ZZ", "at=%00", "at=2026-01-01T00:00:00Z&at=x", `at=${"9".repeat(2000)}`, "=", "&&&", "at", "%", "a=%", "at=2026-01-01T25:61:61Z", "at=0000-01-01T00:00:00Z", "at=2026-01-01T00:00:00%2B99:99"]) {
    add({ category: "query/resolve", method: "GET", path: `${one}?${q}`, headers: good });
    add({ category: "query/resolve-list", method: "GET", path: `${list}?${q}`, headers: good });
  }
  for (const inm of ["*", "", '""', "W/", 'W/"x"', '"a", "b"', "garbage", '"unterminated', ",,,,", '"' + "x".repeat(5000) + '"']) {
    add({ category: "if-none-match", method: "GET", path: one, headers: { ...good, "if-none-match": inm } });
    add({ category: "if-none-match", method: "GET", path: list, headers: { ...good, "if-none-match": inm } });
  }

  // ---- proxy: bad JSON (forwarded: Nyckel's 400 passes through)
  const deep = "[".repeat(20_000) + "]".repeat(20_000);
  const badJson = [
    "{", "}", "{\"data\":", "{\"data\"}", "{data:1}", "{'data':'x'}", "[]", "null", "true", "1", "\"x\"", "{\"data\": NaN}", "{\"data\": 1e999}", "{\"data\": \"\\ud800\"}", "{\"data\":\"x\",}", "{\"data\":\"x\"}}", "{\"data\":\"x\"} trailing",
    "\u0000", "\ufeff{\"data\":\"x\"}", "{\"data\":{\"a\":{\"b\":{\"c\":{}}}}}", "{\"nodata\":\"x\"}", "{\"data\":null}", "{\"data\":123}", "{\"data\":[1,2,3]}", "{\"data\":\"data:image/png;base64,!!!\"}", "{\"data\":\"data:,\"}", deep, "{\"data\":\"" + "x".repeat(300_000) + "\"}", "{\"data\":\"x\",\"externalId\":{}}", "{\"__proto__\":{\"polluted\":1},\"data\":\"x\"}", "{\"constructor\":{\"prototype\":{}},\"data\":\"x\"}",
  ];
  for (const b of badJson) add({ category: "bad-json", method: "POST", path: `${invoke}?capture=false`, headers: json, body: b, forwards: true });
  add({ category: "bad-json", method: "POST", path: `${invoke}?capture=false`, headers: json, body: Buffer.from([0x7b, 0x22, 0x64, 0x61, 0x74, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0xff, 0xfe, 0x22, 0x7d]), forwards: true });

  // ---- proxy: wrong content types (forwarded: Nyckel's 415/400 pass through)
  for (const ct of ["text/plain", "application/xml", "application/x-www-form-urlencoded", "application/octet-stream", "image/png", "multipart/form-data", "multipart/form-data; boundary=", "multipart/mixed; boundary=x", "application/json; charset=utf-16", "application/json; charset=nonsense", "APPLICATION/JSON", "application/jsonx", "json", ";;;", "application/json, text/plain", "*/*"]) {
    add({ category: "content-type", method: "POST", path: `${invoke}?capture=false`, headers: { ...good, "content-type": ct }, body: '{"data":"I was charged twice"}', forwards: true });
  }
  add({ category: "content-type", method: "POST", path: `${invoke}?capture=false`, headers: good, body: '{"data":"x"}', forwards: true });

  // ---- proxy: truncated and broken multipart
  const boundary = "----modelpinfuzz";
  const part = (body: string) => `--${boundary}\r\nContent-Disposition: form-data; name="data"\r\n\r\n${body}`;
  const multiparts = [
    part("I was charged twice"), // no closing boundary
    `${part("x")}\r\n--${boundary}`, // missing the final --
    `--${boundary}\r\nContent-Disposition: form-data\r\n\r\nx\r\n--${boundary}--\r\n`, // part without a name
    `--${boundary}\r\n\r\nx\r\n--${boundary}--\r\n`, // no part headers
    `--${boundary}--\r\n`, // no parts
    "", // empty
    `--wrong\r\nContent-Disposition: form-data; name="data"\r\n\r\nx\r\n--wrong--\r\n`,
    `--${boundary}\r\nContent-Disposition: form-data; name="data"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n\x1a\n\r\n--${boundary}--\r\n`, // truncated PNG
    `--${boundary}\r\nContent-Disposition: form-data; name="data"\r\n${"X-Long: " + "y".repeat(20_000)}\r\n\r\nx\r\n--${boundary}--\r\n`,
    `--${boundary}\r\nContent-Disposition: form-data; name="externalId"\r\n\r\nonly-externalId\r\n--${boundary}--\r\n`,
    `--${boundary}\r\nContent-Disposition: form-data; name="data"\r\n\r\n`, // cut right after the headers
    `--${boundary}\r\nContent-Disp`, // cut inside the headers
  ];
  for (const m of multiparts) {
    add({ category: "multipart", method: "POST", path: `${invoke}?capture=false`, headers: { ...good, "content-type": `multipart/form-data; boundary=${boundary}` }, body: m, forwards: true });
  }

  // ---- proxy: empty bodies
  add({ category: "empty-body", method: "POST", path: `${invoke}?capture=false`, headers: { ...json, "content-length": "0" }, body: "", forwards: true });
  add({ category: "empty-body", method: "POST", path: `${invoke}?capture=false`, headers: json, forwards: true });
  add({ category: "empty-body", method: "POST", path: `${invoke}?capture=false`, headers: good, forwards: true });
  add({ category: "empty-body", method: "POST", path: `${invoke}?capture=false`, headers: { ...good, "content-type": `multipart/form-data; boundary=${boundary}` }, body: "", forwards: true });

  // ---- proxy: a body larger than Nyckel accepts (streamed through; Nyckel's 413 passes back)
  add({ category: "huge-body", method: "POST", path: `${invoke}?capture=false`, headers: json, body: `{"data":"${"x".repeat(21 * 1024 * 1024)}"}`, forwards: true });

  // ---- proxy: unknown functions and path tricks
  for (const f of ["function_doesnotexist", "doesnotexist", "function_" + "z".repeat(16), "FUNCTION_UPPER", "toxic-language-identifier"]) {
    add({ category: "unknown-function", method: "POST", path: `/v1/functions/${f}/invoke?capture=false`, headers: json, body: '{"data":"x"}', forwards: true });
  }
  for (const f of ["..", "%2e%2e", "a%2Fb", "%2F", `${fid}%2F..`, "%00", "%ZZ", "%", "x".repeat(201), "x".repeat(9000), "ñ", "a%20b", "<x>", "-", "_", ".", "%5c", "a%5cb", `${fid}%3Fx`]) {
    add({ category: "path-proxy", method: "POST", path: `/v1/functions/${f}/invoke`, headers: json, body: '{"data":"x"}' });
    add({ category: "path-proxy/no-token", method: "POST", path: `/v1/functions/${f}/invoke`, headers: { "content-type": "application/json" }, body: '{"data":"x"}' });
  }
  for (const p of [`/v1/functions/${fid}/invoke/`, `/v1/functions/${fid}/invoke/extra`, `/v1/functions/${fid}/../${fid}/invoke`, `/v1/functions/${fid}/%2e%2e/invoke`, `/v1//functions/${fid}/invoke`, `/v1/functions//invoke`, `/v1/functions/${fid}//invoke`, `/V1/functions/${fid}/invoke`, `/v1/functions/${fid}/INVOKE`, `/v1/functions/${fid}/invoke;x=1`, `/v1/functions/${fid}/invoke%3Fmodel=1`, `/v1/functions/${fid}/invoke.json`, `/v0.9/functions/${fid}/invoke`, `/v2/functions/${fid}/invoke`, `/v1/functions/${fid}`, `/v1/functions`, `/v1/functions/${fid}/samples`, `/v1/functions/${fid}/labels`, `/connect/token`, `/_emulator/reset`]) {
    add({ category: "path-proxy-shape", method: "POST", path: p, headers: json, body: '{"data":"x"}' });
  }

  // ---- proxy: modelId tricks (a conflicting one is refused before Nyckel)
  for (const q of [`modelId=${world.other}`, `ModelId=${world.other}`, `MODELID=${world.other}`, `modelid=${world.other}`, `modelId=${world.other}&modelId=${world.pinned}`, `modelId=${world.pinned}&modelId=${world.other}`, `model%49d=${world.other}`, "modelId=%00", "modelId=%ZZ", `modelId=${"m".repeat(5000)}`, "modelId[]=x", "modelId=latest", "modelId=null", "modelId=%20", "modelId=..%2f..", "modelId=model_" + "x".repeat(16)]) {
    add({ category: "model-id", method: "POST", path: `${invoke}?capture=false&${q}`, headers: json, body: '{"data":"x"}' });
  }
  for (const q of ["modelId=", `modelId=${world.pinned}`, `modelId=${encodeURIComponent(world.pinned)}&labelCount=abc`, "labelCount=-1", "labelCount=1e9", "capture=maybe", "includeMetadata=2", "externalId=" + "e".repeat(3000), "%ZZ=1", "a=%ZZ", "&&&&", "capture=false&capture=true"]) {
    add({ category: "query/proxy", method: "POST", path: `${invoke}?${q.includes("capture=") ? q : `capture=false&${q}`}`, headers: json, body: '{"data":"x"}', forwards: true });
  }

  // ---- raw bytes: not HTTP, broken HTTP, lying Content-Length, smuggling shapes
  const rawRequests = [
    "GARBAGE\r\n\r\n",
    "GET\r\n\r\n",
    `GET ${one}\r\n\r\n`,
    `GET ${one} HTTP/9.9\r\nHost: x\r\n\r\n`,
    `GET ${one} HTTP/1.1\r\n\r\n`, // no Host
    `GET ${one} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${world.token}\r\nX: \u00ff\u00fe\r\n\r\n`,
    `GET ${one} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${world.token}\r\nBad Header Name: 1\r\n\r\n`,
    `GET ${one} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${world.token}\r\n X-Folded: continuation\r\n\r\n`,
    `GET /api/v1/environments/${slug}/../../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n`,
    `GET http://evil.example/${one} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${world.token}\r\n\r\n`,
    `GET * HTTP/1.1\r\nHost: x\r\n\r\n`,
    `CONNECT ${HOST}:${PORT} HTTP/1.1\r\nHost: x\r\n\r\n`,
    `POST ${invoke} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${world.token}\r\nContent-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    `POST ${invoke} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${world.token}\r\nContent-Type: application/json\r\nContent-Length: 10\r\nContent-Length: 12\r\n\r\n{"data":"x"}`,
    `POST ${invoke} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${world.token}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nnot a chunk\r\n\r\n`,
    `POST ${invoke} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${world.token}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"dat`,
    `POST ${invoke} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${world.token}\r\nContent-Type: application/json\r\nContent-Length: -1\r\n\r\n`,
    `POST ${invoke} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${world.token}\r\nContent-Type: application/json\r\nContent-Length: abc\r\n\r\n`,
    `POST ${invoke} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${world.token}\r\nContent-Type: application/json\r\nContent-Length: 99999999999999999999\r\n\r\n`,
    `POST ${invoke} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${world.token}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"data":"x"}`, // shorter than announced, then the connection ends
    `POST ${invoke} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${world.token}\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 500\r\n\r\n--b\r\nContent-Disposition: form-data; name="data"\r\n\r\nx`,
    `GET ${one} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${world.token}\r\n`, // headers never finished
    "\r\n\r\n\r\n",
    "\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003", // a TLS ClientHello on the plain port
    `GET ${one} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${world.token}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`,
    `GET ${one} HTTP/1.0\r\nAuthorization: Bearer ${world.token}\r\n\r\n`,
    `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`,
  ];
  for (const r of rawRequests) add({ category: "raw", method: "RAW", path: "", raw: Buffer.from(r, "latin1") });

  // ---- top up to TOTAL with seeded random mutations of the above shapes
  const rand = mulberry32(7);
  const pick = <T,>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  const alphabet = ["..", "%2e", "%2f", "%5c", "%00", "%ZZ", "/", "\\", "~", "%", ";", "ü", "%C3", "a", "Z", "_", "-", "0", "%20", "'", '"', "<", ">"];
  while (cases.length < TOTAL) {
    const junk = Array.from({ length: 1 + Math.floor(rand() * 12) }, () => pick(alphabet)).join("");
    const safe = junk.replace(/[\\"<>'ü ]/g, (c) => encodeURIComponent(c));
    const kind = Math.floor(rand() * 5);
    if (kind === 0) add({ category: "fuzz/env", method: "GET", path: `/api/v1/environments/${safe}/pins`, headers: pick([good, {}, { authorization: `Bearer ${junk.replace(/[^\x20-\x7e]/g, "")}` }]) });
    else if (kind === 1) add({ category: "fuzz/fn", method: "GET", path: `${list}/${safe}`, headers: pick([good, {}]) });
    else if (kind === 2) add({ category: "fuzz/proxy-path", method: "POST", path: `/v1/functions/${safe}/invoke`, headers: pick<Record<string, string>>([{ "content-type": "application/json" }, { authorization: "Bearer mp_x", "content-type": "application/json" }]), body: '{"data":"x"}' });
    else if (kind === 3) add({ category: "fuzz/token", method: pick(["GET", "POST"]), path: pick([one, list, invoke]), headers: { authorization: `${pick(["Bearer ", "bearer ", "", "Bearer  "])}${pick(["mp_", "", "mp"])}${junk.replace(/[^\x21-\x7e]/g, "")}`, "content-type": "application/json" }, body: '{"data":"x"}' });
    else add({ category: "fuzz/query", method: "GET", path: `${one}?${safe}=${safe}`, headers: good });
  }
  return cases.slice(0, TOTAL);
}

test("1,000 malformed requests: no 5xx, and the server keeps serving", async ({ browser, request }) => {
  test.setTimeout(600_000);
  const world = await setUpApiWorld(browser, { prefix: "malformed" });
  const cases = buildCases(world);
  expect(cases).toHaveLength(TOTAL);

  const started = Date.now();
  const local = cases.filter((c) => !c.forwards);
  const forwarded = cases.filter((c) => c.forwards);
  const localOutcomes = await pool(local, 6, send);
  // Paced: about 12 per second, well under the emulator's 25.
  const forwardedOutcomes = await pool(forwarded, 1, async (c) => {
    const t = Date.now();
    const o = await send(c);
    await new Promise((r) => setTimeout(r, Math.max(0, 85 - (Date.now() - t))));
    return o;
  });
  const results = [...local.map((c, i) => ({ c, o: localOutcomes[i]! })), ...forwarded.map((c, i) => ({ c, o: forwardedOutcomes[i]! }))];
  const seconds = (Date.now() - started) / 1000;

  // The distribution, overall and per category.
  const byStatus = new Map<string, number>();
  const byCategory = new Map<string, Map<string, number>>();
  for (const { c, o } of results) {
    const s = String(o.status);
    byStatus.set(s, (byStatus.get(s) ?? 0) + 1);
    const top = c.category.split("/")[0]!;
    const m = byCategory.get(top) ?? new Map<string, number>();
    m.set(s, (m.get(s) ?? 0) + 1);
    byCategory.set(top, m);
  }
  const fmt = (m: Map<string, number>) => [...m.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([s, n]) => `${s}×${n}`).join(" ");
  const report = [
    `[api-malformed] ${results.length} requests in ${seconds.toFixed(1)} s (${forwarded.length} of them forwarded to Nyckel, paced)`,
    `[api-malformed] statuses: ${fmt(byStatus)}`,
    ...[...byCategory.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([cat, m]) => `[api-malformed]   ${cat}: ${fmt(m)}`),
  ].join("\n");
  console.log(report);
  await test.info().attach("status distribution", { body: report, contentType: "text/plain" });

  // A 5xx that Nyckel (the emulator) sent is passed through unchanged — Nyckel's `{ message }`, under an
  // identified environment; anything else with a 5xx status came from Modelpin itself.
  const fromNyckel = (o: Outcome) => {
    if (!o.environment) return false;
    try {
      const body = JSON.parse(o.body ?? "") as Record<string, unknown>;
      return typeof body.message === "string" && !("error" in body);
    } catch {
      return false;
    }
  };
  // Two requests Next.js 16.4.6 itself answers with 500 before any Modelpin code runs, which no route handler
  // or proxy.ts can intercept: the TRACE method (Next builds a WHATWG Request for every request, and
  // undici refuses TRACE) and the asterisk-form target `GET * HTTP/1.1` (not a URL). Reported, not counted.
  const frameworkOnly = (c: Case) => c.method === "TRACE" || (c.raw !== undefined && c.raw.toString("latin1").startsWith("GET * "));
  const framework = results.filter(({ c, o }) => frameworkOnly(c) && typeof o.status === "number" && o.status >= 500);
  if (framework.length) console.log(`[api-malformed] Next.js's own 500 (TRACE, GET *), not counted: ${framework.length}`);
  const fiveXx = results.filter(({ c, o }) => typeof o.status === "number" && o.status >= 500 && !frameworkOnly(c));
  const upstream = fiveXx.filter(({ o }) => fromNyckel(o));
  if (upstream.length) console.log(`[api-malformed] Nyckel's own 5xx passed through: ${upstream.map(({ c, o }) => `${o.status} ${c.category} ${o.body}`).join("; ")}`);
  expect(
    fiveXx.filter(({ o }) => !fromNyckel(o)).map(({ c, o }) => `${o.status} ${c.category} ${c.method} ${c.path.slice(0, 120)} ${JSON.stringify(c.headers ?? {}).slice(0, 120)} → ${o.body}`),
    "Modelpin itself answers no request with a 5xx",
  ).toEqual([]);
  // Everything got an answer — except raw bytes that are not HTTP, what node:http would not send, and
  // oversized requests the server may cut off while they are still being sent.
  const mayClose = new Set(["raw", "huge-header", "huge-body"]);
  const unanswered = results.filter(({ c, o }) => typeof o.status !== "number" && o.status !== "client-error" && !mayClose.has(c.category));
  expect(unanswered.map(({ c, o }) => `${o.status} ${o.detail ?? ""} ${c.category} ${c.method} ${c.path.slice(0, 80)}`)).toEqual([]);
  expect(results.filter(({ o }) => o.status === "client-error").map(({ c, o }) => `${c.category} ${c.path.slice(0, 60)}: ${o.detail}`)).toEqual([]);

  // The server still serves normal requests: resolve, the proxy, health.
  const resolve = await request.get(`/api/v1/environments/${world.slug}/pins/${world.fn.id}`, { headers: bearer(world.token) });
  expect(resolve.status()).toBe(200);
  expect(await resolve.json()).toMatchObject({ functionId: world.fn.id, modelId: world.pinned });
  const invoked = await request.post(`/v1/functions/${world.fn.id}/invoke?capture=false`, { headers: { ...bearer(world.token), "content-type": "application/json" }, data: JSON.stringify({ data: "I was charged twice" }) });
  expect(invoked.status()).toBe(200);
  expect(invoked.headers()["x-modelpin-model-id"]).toBe(world.pinned);
  expect((await request.get("/api/health")).status()).toBe(200);
  agent.destroy();
});
