import { randomBytes } from "node:crypto";
import pg from "pg";
import { expect, test } from "./fixtures/test";
import { agent, pool, send, type Case, type Outcome } from "./fixtures/malformed";
import { mulberry32 } from "../scripts/testing/random";
import { signInAs } from "./fixtures/users";
import { SEEDED_FUNCTIONS } from "../scripts/emulator/seed";
import { tinyPng } from "../scripts/testing/nyckel";
import { databaseFingerprint, fingerprintDiff } from "../scripts/testing/db-fingerprint";
import { cookieRouteFiles, exportedMethods, readSource, routePath } from "../scripts/testing/entry-point-files";
import { HUGE, UNICODE, UNKNOWN_UUID } from "../scripts/testing/malformed-values";

/**
 * Issue 13 item 11: every cookie-authenticated route handler (every route file
 * the wrapper scan finds outside its allow-list, scripts/testing/entry-point-files.ts,
 * so a new route is fuzzed as soon as it exists — or this spec fails asking for a
 * value of its new path parameter) gets malformed requests as a signed-in admin:
 * ids that are not uuids, unknown, 10 kB, unicode, `../`, NUL; query garbage;
 * bodies of the wrong type, shape and size under every content type; wrong
 * methods, foreign origins, broken cookies. No answer is a 5xx, and nothing
 * changes: no audit event carries the request id of any of these requests, no
 * sample set comes from them, the world's rows are untouched, and (run alone,
 * E2E_WORKERS=1, so no other spec writes meanwhile) the fingerprint of the
 * whole database — row counts and max(updated_at) of every table — is equal.
 */

test.skip(!process.env.DATABASE_URL, "DATABASE_URL is not set (run through npm test)");

const pets = SEEDED_FUNCTIONS.find((f) => f.key === "pets")!;
const marker = `fuzzcase${randomBytes(4).toString("hex")}`;

type World = { functionId: string; setId: string; sampleId: string; runId: string; requestId: string };

/** A bad value for one path segment, already URL-encoded as it goes on the wire. */
const BAD_SEGMENTS = [
  "not-a-uuid", UNKNOWN_UUID, UNKNOWN_UUID.toUpperCase(), "x".repeat(10 * 1024), encodeURIComponent(UNICODE), "..", "%2e%2e", "..%2f..%2fhealth", "%2f", "%5c",
  "%00", "a%00b", "%ZZ", "%", "%20", "'%20OR%201%3D1", "%3Cscript%3E", "-1", "0", "NaN", "null", "undefined", "%5B%5D", "%7B%7D", "function_doesnotexist",
];
const QUERY_KEYS = ["format", "function", "environment", "actor", "action", "from", "to", "preview", "functionId", "a", "b", "name", "before", "status"];
const BAD_QUERY = ["", "%00", "%ZZ", "x".repeat(10 * 1024), encodeURIComponent(UNICODE), "..%2f..", "-1", "NaN", "1e309", "%5B%5D", "model%3A%00", "pinned%3Anot-a-uuid"];
const CONTENT_TYPES = [
  undefined, "application/json", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data", "multipart/form-data; boundary=", `multipart/form-data; boundary=${"b".repeat(5000)}`,
  "multipart/mixed; boundary=x", "image/png", "image/svg+xml", "application/octet-stream", "APPLICATION/JSON", ";;;", "*/*",
];

function bodies(): Array<[string, Buffer | string]> {
  const rand = mulberry32(13);
  const noise = Buffer.from(Array.from({ length: 64 * 1024 }, () => Math.floor(rand() * 256)));
  return [
    ["empty", ""], ["bad JSON", "{"], ["null", "null"], ["array", "[]"], ["wrong types", '{"name":null,"files":123,"functionId":[1],"a":{}}'], ["array of objects", '[{"a":1},{"b":2}]'],
    ["10 kB+ string", HUGE], ["deep nesting", "[".repeat(5000) + "]".repeat(5000)], ["random bytes", noise], ["NUL bytes", "\u0000".repeat(1024)], ["form", "name=x&files=y&preview=1"],
    ["NaN-ish JSON", '{"n":NaN,"m":Infinity,"o":-1e999}'], ["html", "<html><body>not an image</body></html>"],
  ];
}

/** Multipart bodies for the upload route that must be refused (none of them holds a sample the function accepts). */
function badUploads(): Array<[string, string]> {
  const b = "----modelpinfuzz";
  const file = (name: string, content: string, type = "application/octet-stream") =>
    `--${b}\r\nContent-Disposition: form-data; name="files"; filename="${name}"\r\nContent-Type: ${type}\r\n\r\n${content}\r\n`;
  const field = (name: string, value: string) => `--${b}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const end = `--${b}--\r\n`;
  const html = "<html><body>not an image</body></html>";
  const list: Array<[string, string]> = [
    ["no parts", end],
    ["name only", field("name", `${marker} name only`) + end],
    ["huge name", field("name", HUGE) + file(`${marker}.png`, html, "image/png") + end],
    ["NUL name", field("name", `${marker}\u0000`) + file(`${marker}.png`, html, "image/png") + end],
    ["html as png", field("name", `${marker} html`) + file(`${marker}.png`, html, "image/png") + end],
    ["traversal file name", field("name", `${marker} traversal`) + file(`../../${marker}/etc/passwd`, html) + end],
    ["NUL lines", field("name", `${marker} nul`) + file(`${marker}.txt`, "\u0000\n\u0000\n", "text/plain") + end],
    ["bad columns", field("name", `${marker} cols`) + field("dataColumn", "nope") + field("labelColumn", "\u0000") + file(`${marker}.csv`, "a,b\n1,2\n", "text/csv") + end],
    ["unknown field", field("name", `${marker} field`) + field("isAdmin", "true") + field("functionId", "function_x") + end],
    ["part without name", `--${b}\r\nContent-Disposition: form-data\r\n\r\nx\r\n` + end],
    ["no closing boundary", field("name", `${marker} open`) + file(`${marker}.png`, html, "image/png")],
    ["cut inside headers", `--${b}\r\nContent-Disp`],
    ["huge part header", `--${b}\r\nContent-Disposition: form-data; name="name"\r\nX-Long: ${"y".repeat(20_000)}\r\n\r\n${marker}\r\n` + end],
    ["empty file", field("name", `${marker} empty`) + file(`${marker}.png`, "", "image/png") + end],
  ];
  return list;
}

function buildCases(world: World, auth: { cookie: string; origin: string }): { cases: Case[]; missing: string[] } {
  const cases: Case[] = [];
  const missing: string[] = [];
  const values: Record<string, string> = {
    runId: world.runId,
    sampleId: world.sampleId,
    functionId: encodeURIComponent(world.functionId),
    requestId: world.requestId,
    // No shadow runs in this spec's world: an unknown id (404), and its malformed variants.
    shadowId: UNKNOWN_UUID,
  };
  const png = Buffer.from(tinyPng(3, 3, [7, 7, 7]));
  const signedIn = { cookie: auth.cookie, origin: auth.origin, "sec-fetch-site": "same-origin" };
  for (const file of cookieRouteFiles()) {
    const template = routePath(file);
    const params = [...template.matchAll(/\[(?:\.\.\.)?(\w+)\]/g)].map((m) => m[1]!);
    const unknown = params.filter((p) => !(p in values));
    if (unknown.length) {
      missing.push(`${file}: no value for ${unknown.join(", ")}`);
      continue;
    }
    const fill = (override: Record<string, string> = {}) => template.replace(/\[(?:\.\.\.)?(\w+)\]/g, (_, p: string) => override[p] ?? values[p]!);
    const good = fill();
    for (const method of exportedMethods(readSource(file))) {
      const post = method !== "GET" && method !== "HEAD";
      const category = `${method} ${template}`;
      // What a request that is right apart from the one malformed part sends: a valid upload or image.
      const goodBody = post ? (template.includes("sample-sets") ? uploadOf(png) : { headers: { "content-type": "image/png" }, body: png }) : undefined;
      const add = (c: Omit<Case, "category">, kind: string) => cases.push({ ...c, category: `${category} · ${kind}` });
      for (const p of params) {
        for (const seg of BAD_SEGMENTS) add({ method, path: fill({ [p]: seg }), headers: { ...signedIn, ...goodBody?.headers }, body: goodBody?.body }, `param ${p}`);
        add({ method, path: fill({ [p]: `${values[p]}%00` }), headers: { ...signedIn, ...goodBody?.headers }, body: goodBody?.body }, `param ${p}`);
        add({ method, path: fill({ [p]: `${values[p]}x` }), headers: { ...signedIn, ...goodBody?.headers }, body: goodBody?.body }, `param ${p}`);
      }
      // Query garbage; a POST carries a body its route refuses (never a valid upload).
      const queryBody = post ? { headers: { "content-type": "image/png" }, body: png } : undefined;
      for (const key of QUERY_KEYS) {
        for (const value of BAD_QUERY) add({ method, path: `${good}?${key}=${value}`, headers: { ...signedIn, ...queryBody?.headers }, body: queryBody?.body }, "query");
      }
      for (const q of ["%ZZ=1", "&&&", "=", "preview=1&preview=0", `${"k=v&".repeat(2000)}`, "a[]=1&a[b]=2", "__proto__[x]=1"]) {
        add({ method, path: `${good}?${q}`, headers: { ...signedIn, ...queryBody?.headers }, body: queryBody?.body }, "query");
      }
      if (post) {
        for (const type of CONTENT_TYPES) {
          for (const [, body] of bodies()) add({ method, path: good, headers: { ...signedIn, ...(type ? { "content-type": type } : {}) }, body }, "body");
        }
        if (template.includes("sample-sets")) {
          for (const [, body] of badUploads()) {
            for (const path of [good, `${good}?preview=1`]) add({ method, path, headers: { ...signedIn, "content-type": "multipart/form-data; boundary=----modelpinfuzz" }, body }, "upload");
          }
          // A broken image is refused only by Nyckel, so it is sent as a preview (which keeps nothing).
          add({ method, path: `${good}?preview=1`, headers: { ...signedIn, ...uploadOf(png.subarray(0, 20)).headers }, body: uploadOf(png.subarray(0, 20)).body }, "upload");
        } else {
          const quick = `${good}?functionId=${encodeURIComponent(world.functionId)}&a=latest&b=latest`;
          for (const [, body] of bodies()) add({ method, path: quick, headers: { ...signedIn, "content-type": "image/png" }, body }, "image");
          add({ method, path: quick, headers: { ...signedIn, "content-type": "image/png" }, body: Buffer.alloc(11 * 1024 * 1024) }, "image too large");
          add({ method, path: quick, headers: { ...signedIn, "content-type": "image/png", "content-length": "5" }, body: png.subarray(0, 5) }, "image");
          add({ method, path: `${good}?functionId=${encodeURIComponent(world.functionId)}&a=model%3A${UNKNOWN_UUID}&b=pinned%3A${UNKNOWN_UUID}`, headers: { ...signedIn, "content-type": "image/png" }, body: png }, "image");
          add({ method, path: `${good}?functionId=function_doesnotexist&a=latest&b=latest`, headers: { ...signedIn, "content-type": "image/png" }, body: png }, "image");
        }
        // Foreign or missing origins, with a request that is otherwise right.
        const foreign: Array<Record<string, string>> = [{ origin: "https://wiki.corp.example" }, { origin: "null" }, { "sec-fetch-site": "cross-site" }, {}, { origin: `${auth.origin}.evil.example` }, { origin: auth.origin, "sec-fetch-site": "cross-site" }];
        for (const h of foreign) {
          const headers: Record<string, string> = { cookie: auth.cookie, ...goodBody!.headers, ...h };
          add({ method, path: template.includes("quick") ? `${good}?functionId=${encodeURIComponent(world.functionId)}&a=latest&b=latest` : good, headers, body: goodBody!.body }, "origin");
        }
      } else {
        add({ method, path: good, headers: { ...signedIn, "content-type": "application/json" }, body: "{" }, "body on GET");
      }
      for (const m of ["PUT", "PATCH", "DELETE", "OPTIONS", "PROPFIND", method === "GET" ? "POST" : "GET"]) add({ method: m, path: good, headers: signedIn, body: m === "GET" ? undefined : "{}" }, "method");
      for (const cookie of ["", "authjs.session-token=garbage", `authjs.session-token=${"x".repeat(4000)}`, "authjs.session-token=%00", `${auth.cookie}x`]) {
        add({ method, path: good, headers: { ...signedIn, ...goodBody?.headers, cookie }, body: goodBody?.body }, "cookie");
      }
    }
  }
  return { cases, missing };
}

function uploadOf(bytes: Buffer): { headers: Record<string, string>; body: Buffer } {
  const b = "----modelpinfuzzgood";
  const head = `--${b}\r\nContent-Disposition: form-data; name="name"\r\n\r\n${marker} good\r\n--${b}\r\nContent-Disposition: form-data; name="files"; filename="${marker}.png"\r\nContent-Type: image/png\r\n\r\n`;
  return { headers: { "content-type": `multipart/form-data; boundary=${b}` }, body: Buffer.concat([Buffer.from(head), bytes, Buffer.from(`\r\n--${b}--\r\n`)]) };
}

async function query<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

const worldRows = (w: World) =>
  query<{ row: unknown }>(
    `SELECT json_build_array((SELECT row_to_json(s) FROM sample_sets s WHERE s.id = $1), (SELECT row_to_json(r) FROM comparison_runs r WHERE r.id = $2),
            (SELECT count(*) FROM samples WHERE sample_set_id = $1), (SELECT count(*) FROM comparison_results WHERE run_id = $2)) AS row`,
    [w.setId, w.runId],
  );

test("every cookie route handler: malformed requests get no 5xx and change nothing", async ({ browser, baseURL }) => {
  test.setTimeout(600_000);
  const context = await browser.newContext();
  const page = await context.newPage();
  await signInAs(page, "admin");
  await page.goto("/functions"); // npm test synced the emulator's functions before the browser tests
  await expect(page.getByTestId("functions-table").getByRole("link", { name: pets.name })).toBeVisible();

  // The world: an image set uploaded through the route, and a finished comparison run on it.
  const setName = `Fuzz world ${randomBytes(3).toString("hex")}`;
  const png = Buffer.from(tinyPng(2, 2, [200, 100, 50]));
  const uploaded = await page.request.post(`/api/functions/${pets.id}/sample-sets`, {
    headers: { origin: baseURL! },
    multipart: { name: setName, files: { name: "world.png", mimeType: "image/png", buffer: png } },
  });
  expect(uploaded.status()).toBe(201);
  const setId = ((await uploaded.json()) as { id: string }).id;
  const [sample] = await query<{ id: string }>("SELECT id FROM samples WHERE sample_set_id = $1", [setId]);
  await page.goto(`/functions/${pets.id}/samples`);
  await page.getByLabel("Sample set", { exact: true }).selectOption({ label: `${setName} (1)` });
  await page.getByLabel("Model A").selectOption("latest");
  await page.getByLabel("Model B").selectOption("latest");
  await page.getByRole("button", { name: "Start comparison" }).click();
  await expect(page).toHaveURL(/\/comparisons\/[0-9a-f-]{36}$/, { timeout: 30_000 });
  // A promotion request another spec opened, when there is one (the routes under it only read).
  const anyRequest = (await query<{ id: string }>("SELECT id FROM promotion_requests ORDER BY created_at LIMIT 1"))[0]?.id ?? UNKNOWN_UUID;
  const world: World = { functionId: pets.id, setId, sampleId: sample!.id, runId: page.url().split("/").pop()!, requestId: anyRequest };
  // Finished, so the run's row no longer changes on its own.
  await expect.poll(async () => (await query<{ status: string }>("SELECT status FROM comparison_runs WHERE id = $1", [world.runId]))[0]?.status, { timeout: 60_000 }).toBe("finished");
  const cookie = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join("; ");

  const { cases, missing } = buildCases(world, { cookie, origin: baseURL! });
  expect(missing, "a route with a path parameter this spec has no value for: add it to `values` in buildCases").toEqual([]);
  const routesSeen = new Set(cases.map((c) => c.category.split(" · ")[0]));
  expect(routesSeen.size).toBeGreaterThanOrEqual(7);

  const worldBefore = await worldRows(world);
  const before = await databaseFingerprint(process.env.DATABASE_URL!);
  const started = Date.now();
  const outcomes = await pool(cases, 4, send);
  const seconds = (Date.now() - started) / 1000;
  const results = cases.map((c, i) => ({ c, o: outcomes[i]! as Outcome }));

  const byRoute = new Map<string, Map<string, number>>();
  for (const { c, o } of results) {
    const route = c.category.split(" · ")[0]!;
    const m = byRoute.get(route) ?? new Map<string, number>();
    m.set(String(o.status), (m.get(String(o.status)) ?? 0) + 1);
    byRoute.set(route, m);
  }
  const report = [
    `[cookie-malformed] ${results.length} requests to ${routesSeen.size} route handlers in ${seconds.toFixed(1)} s`,
    ...[...byRoute.entries()].map(([r, m]) => `[cookie-malformed]   ${r}: ${[...m.entries()].sort().map(([s, n]) => `${s}×${n}`).join(" ")}`),
  ].join("\n");
  console.log(report);
  await test.info().attach("status distribution", { body: report, contentType: "text/plain" });

  expect(
    results.filter(({ o }) => typeof o.status === "number" && o.status >= 500).map(({ c, o }) => `${o.status} ${c.category} ${c.path.slice(0, 120)} → ${o.body}`),
    "no cookie route answers a malformed request with a 5xx",
  ).toEqual([]);
  // Everything got an answer, except an oversized body the server may cut off while it is being sent.
  expect(results.filter(({ c, o }) => typeof o.status !== "number" && !c.category.includes("too large")).map(({ c, o }) => `${o.status} ${o.detail ?? ""} ${c.category} ${c.path.slice(0, 80)}`)).toEqual([]);

  // Nothing changed: no audit event from any of these requests, no sample set from them, the world untouched.
  const ids = results.map(({ o }) => o.requestId).filter((id): id is string => Boolean(id));
  expect(ids.length).toBeGreaterThan(results.length / 2);
  expect(await query("SELECT action, request_id FROM audit_events WHERE request_id = ANY($1::text[])", [ids])).toEqual([]);
  expect(await query("SELECT id, name FROM sample_sets WHERE name LIKE $1", [`${marker}%`])).toEqual([]);
  expect(await query("SELECT id, file_name FROM samples WHERE file_name LIKE $1", [`%${marker}%`])).toEqual([]);
  expect(await worldRows(world)).toEqual(worldBefore);
  const changed = fingerprintDiff(before, await databaseFingerprint(process.env.DATABASE_URL!));
  if (process.env.E2E_WORKERS === "1") expect(changed, "the database fingerprint (run alone)").toEqual([]);
  else if (changed.length) console.log(`[cookie-malformed] other specs ran meanwhile; tables that changed: ${changed.join("; ")}`);

  // The routes still answer normally.
  expect((await page.request.get(`/api/comparisons/${world.runId}/progress`)).status()).toBe(200);
  expect((await page.request.get(`/api/samples/${world.sampleId}/image`)).status()).toBe(200);
  await context.close();
  agent.destroy();
});
