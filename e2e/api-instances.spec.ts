import { rmSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { expect, test, type Browser } from "./fixtures/test";
import pg from "pg";
import { startNextServer, type NextServerHandle } from "../scripts/testing/next-server";
import { startEmbeddedPostgres } from "../scripts/db/embedded";
import { deployMigrations, runSeed } from "../scripts/db/migrations";
import { seededFunction } from "../scripts/emulator/seed";
import { freePort } from "../scripts/testing/free-port";
import { bearer, createToken, ensureModelRegistered, invokeWithExternalId, pinTo, revokeToken, setUpApiWorld } from "./fixtures/api";
import { openFunction, unique } from "./fixtures/pins";
import { signInAs } from "./fixtures/users";

/**
 * Modelpin at scale: several `next start` instances on one database, each with
 * its own in-memory pin and token cache kept fresh through PostgreSQL
 * LISTEN/NOTIFY.
 *
 * 1. A pin changed and a token revoked through instance 1 (the Playwright
 *    server, in the real UI) are served by instance 2 — resolve AND proxy —
 *    within one second of the commit.
 * 2. A warm instance keeps answering resolve and proxy for what it has cached
 *    while its PostgreSQL is stopped, and its pages show "Modelpin cannot
 *    reach its database" (with a retry) within 5 s instead of a bare 500.
 * 3. An instance started with MODELPIN_ROLE=serve answers the serving paths
 *    and health, and 404 for the dashboard.
 *
 * Extra instances run from the same build (NEXT_DIST_DIR) with the same
 * environment as the Playwright server, on free ports; the spec stops them.
 */

test.skip(!process.env.NYCKEL_EMULATOR_URL, "NYCKEL_EMULATOR_URL is not set (run through npm test)");
test.describe.configure({ mode: "serial" });

const LIMIT_MS = 1_000;
const INVOKE_BODY = JSON.stringify({ data: "I was charged twice for my invoice" });

async function startInstance(env: Record<string, string> = {}): Promise<NextServerHandle> {
  const port = await freePort();
  return startNextServer({ port, env: { ...process.env, AUTH_URL: `http://127.0.0.1:${port}`, ...env } });
}

type Observation = { at: number; previousAt: number };

/**
 * Calls `probe` every `everyMs` until it returns true (or `timeoutMs` passes).
 * Returns when the first true answer arrived and when the probe before it was sent.
 */
async function watch(probe: () => Promise<boolean>, everyMs: number, timeoutMs: number): Promise<Observation | null> {
  const deadline = performance.now() + timeoutMs;
  let previousAt = performance.now();
  while (performance.now() < deadline) {
    const sent = performance.now();
    if (await probe()) return { at: performance.now(), previousAt };
    previousAt = sent;
    const wait = everyMs - (performance.now() - sent);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  return null;
}

function report(what: string, db: Observation, seen: Record<string, Observation | null>): Record<string, number> {
  const out: Record<string, number> = {};
  const lines = [`[api-instances] ${what}: committed (first seen in PostgreSQL) at t=0`];
  for (const [name, o] of Object.entries(seen)) {
    if (!o) {
      lines.push(`[api-instances]   ${name}: NOT within the watch window`);
      continue;
    }
    // Upper bound: from the earliest moment the commit can have happened (the database probe before
    // the one that saw it was sent) to the answer that showed it.
    out[name] = Math.round(o.at - db.previousAt);
    lines.push(`[api-instances]   ${name}: ${Math.round(o.at - db.at)} ms after the database showed it (at most ${out[name]} ms after the commit)`);
  }
  console.log(lines.join("\n"));
  return out;
}

test("a pin change and a revocation through instance 1 reach instance 2's resolve and proxy within one second", async ({ browser, page, baseURL }) => {
  test.setTimeout(300_000);
  const world = await setUpApiWorld(browser, { prefix: "instances" });
  const second = await startInstance();
  const db = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await db.connect();
  try {
    const one = `/api/v1/environments/${world.slug}/pins/${world.fn.id}`;
    const invoke = `/v1/functions/${world.fn.id}/invoke?capture=false`;
    const json = { ...bearer(world.token), "content-type": "application/json" };

    // Warm both instances: resolve and proxy answer with the current pin.
    for (const base of [baseURL!, second.url]) {
      for (let i = 0; i < 3; i++) {
        const r = await fetch(`${base}${one}`, { headers: bearer(world.token) });
        expect(r.status).toBe(200);
        expect(((await r.json()) as { modelId: string }).modelId).toBe(world.pinned);
      }
      const p = await fetch(`${base}${invoke}`, { method: "POST", headers: json, body: INVOKE_BODY });
      expect(p.status).toBe(200);
      expect(p.headers.get("x-modelpin-model-id")).toBe(world.pinned);
    }

    // ---- a pin change through instance 1's UI
    await signInAs(page, "admin");
    await openFunction(page, "support-triage");
    const pinVersion = async () =>
      Number(
        (
          await db.query<{ version: number }>(
            "SELECT p.version FROM pins p JOIN environments e ON e.id = p.environment_id WHERE e.slug = $1 AND p.function_id = $2",
            [world.slug, world.fn.id],
          )
        ).rows[0]?.version ?? 0,
      );
    const before = await pinVersion();
    const modelOn = async (base: string) => ((await (await fetch(`${base}${one}`, { headers: bearer(world.token) })).json()) as { modelId: string }).modelId;
    // The proxy, asked for the new model: 409 (not forwarded) while instance 2 still has the old pin, 200 once it has the new one.
    const proxyServes = async () => {
      const r = await fetch(`${second.url}${invoke}&modelId=${world.other}`, { method: "POST", headers: json, body: INVOKE_BODY });
      await r.arrayBuffer();
      return r.status === 200 && r.headers.get("x-modelpin-model-id") === world.other;
    };
    const watches = Promise.all([
      watch(async () => (await pinVersion()) > before, 10, 20_000),
      watch(async () => (await modelOn(baseURL!)) === world.other, 20, 20_000),
      watch(async () => (await modelOn(second.url)) === world.other, 20, 20_000),
      watch(proxyServes, 25, 20_000),
    ]);
    await pinTo(page, world.slug, world.other, "instances test: move the pin");
    const [dbSeen, oneSeen, twoSeen, proxySeen] = await watches;
    expect(dbSeen, "the pin change reached the database").not.toBeNull();
    const pinTimes = report("pin change", dbSeen!, { "instance 1 resolve": oneSeen, "instance 2 resolve": twoSeen, "instance 2 proxy": proxySeen });
    expect(pinTimes["instance 2 resolve"], "instance 2's resolve shows the new pin within a second").toBeLessThanOrEqual(LIMIT_MS);
    expect(pinTimes["instance 2 proxy"], "instance 2's proxy serves the new pin within a second").toBeLessThanOrEqual(LIMIT_MS);

    // Instance 2's proxy now adds the new model by itself: checked at the emulator.
    const externalId = unique("instances-");
    const served = await fetch(`${second.url}${invoke}&externalId=${externalId}`, { method: "POST", headers: json, body: INVOKE_BODY });
    expect(served.status).toBe(200);
    expect(served.headers.get("x-modelpin-model-id")).toBe(world.other);
    expect(await invokeWithExternalId(externalId)).toMatchObject({ modelIdParam: world.other, modelIdUsed: world.other });

    // ---- a revocation through instance 1's UI
    const name = unique("instances revoke ");
    const token = await createToken({ environment: world.slug, name });
    for (const base of [baseURL!, second.url]) expect((await fetch(`${base}${one}`, { headers: bearer(token) })).status).toBe(200);
    const revoked = async () => (await db.query<{ revoked: boolean }>("SELECT revoked_at IS NOT NULL AS revoked FROM api_tokens WHERE name = $1", [name])).rows[0]?.revoked === true;
    const refused = async (url: string, init?: RequestInit) => {
      const r = await fetch(url, init);
      const body = (await r.json()) as { error?: { code?: string } };
      return r.status === 401 && body.error?.code === "token_revoked";
    };
    // A modelId other than the pin: 409 (not forwarded to Nyckel) while the token works, 401 once it is revoked.
    const proxyInit = { method: "POST", headers: { ...bearer(token), "content-type": "application/json" }, body: INVOKE_BODY };
    const revokeWatches = Promise.all([
      watch(revoked, 10, 20_000),
      watch(() => refused(`${second.url}${one}`, { headers: bearer(token) }), 20, 20_000),
      watch(() => refused(`${second.url}${invoke}&modelId=${world.pinned}`, proxyInit), 25, 20_000),
    ]);
    await revokeToken(page, name, { signedIn: true });
    const [dbRevoked, resolveRefused, proxyRefused] = await revokeWatches;
    expect(dbRevoked, "the revocation reached the database").not.toBeNull();
    const revokeTimes = report("revocation", dbRevoked!, { "instance 2 resolve 401": resolveRefused, "instance 2 proxy 401": proxyRefused });
    expect(revokeTimes["instance 2 resolve 401"]).toBeLessThanOrEqual(LIMIT_MS);
    expect(revokeTimes["instance 2 proxy 401"]).toBeLessThanOrEqual(LIMIT_MS);
    await test.info().attach("propagation (ms after the commit, upper bounds)", { body: JSON.stringify({ pin: pinTimes, revocation: revokeTimes }, null, 2), contentType: "application/json" });
  } finally {
    await db.end().catch(() => undefined);
    await second.stop();
  }
});

async function setUpOwnDatabase(browser: Browser, base: string, databaseUrl: string) {
  const context = await browser.newContext({ baseURL: base });
  try {
    const page = await context.newPage();
    await signInAs(page, "admin");
    // The instance's first scheduled sync fills its fresh database (a few seconds after it starts).
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      await expect.poll(async () => Number((await db.query<{ n: string }>("SELECT count(*) AS n FROM functions")).rows[0]!.n), { timeout: 30_000 }).toBeGreaterThanOrEqual(4);
    } finally {
      await db.end();
    }
    const fn = await openFunction(page, "support-triage");
    await ensureModelRegistered(page, fn.modelIds[0]!);
    await pinTo(page, "development", fn.modelIds[0]!, "pinned before PostgreSQL stops");
    return { fn: seededFunction("support-triage"), pinned: fn.modelIds[0]!, token: await createToken({ environment: "development", name: "warm instance", databaseUrl }) };
  } finally {
    await context.close();
  }
}

test("a warm instance keeps answering resolve and proxy for cached pins and tokens while its PostgreSQL is stopped", async ({ browser }) => {
  test.setTimeout(300_000);
  const port = await freePort();
  const dir = path.resolve(`.data/e2e-api-stopped-pg-${port}`);
  rmSync(dir, { recursive: true, force: true });
  const postgres = await startEmbeddedPostgres({ dir, port, database: "modelpin_e2e_stopped", ephemeral: true, log: () => undefined });
  let instance: NextServerHandle | undefined;
  try {
    expect(postgres.reused).toBe(false);
    await deployMigrations(postgres.url, { log: () => undefined });
    // The development seed (its sign-ins), although this process runs with NODE_ENV=production.
    await runSeed(postgres.url, { log: () => undefined, env: { NODE_ENV: "development" } });
    instance = await startInstance({ DATABASE_URL: postgres.url });
    const own = await setUpOwnDatabase(browser, instance.url, postgres.url);

    const list = `${instance.url}/api/v1/environments/development/pins`;
    const one = `${list}/${own.fn.id}`;
    const invoke = `${instance.url}/v1/functions/${own.fn.id}/invoke?capture=false`;
    const json = { ...bearer(own.token), "content-type": "application/json" };
    const warmList = await fetch(list, { headers: bearer(own.token) });
    expect(warmList.status).toBe(200);
    const warmOne = await fetch(one, { headers: bearer(own.token) });
    expect(warmOne.status).toBe(200);
    const warmBody = await warmOne.text();
    expect(JSON.parse(warmBody)).toMatchObject({ functionId: own.fn.id, modelId: own.pinned });
    const etag = warmOne.headers.get("etag")!;
    const warmProxy = await fetch(invoke, { method: "POST", headers: json, body: INVOKE_BODY });
    expect(warmProxy.status).toBe(200);
    expect(warmProxy.headers.get("x-modelpin-model-id")).toBe(own.pinned);
    const viewer = await browser.newContext({ baseURL: instance.url });
    const viewerPage = await viewer.newPage();
    await signInAs(viewerPage, "viewer");
    expect((await fetch(`${instance.url}/api/health/database`)).status).toBe(200);

    await postgres.stop();
    const probe = new pg.Client({ connectionString: postgres.url, connectionTimeoutMillis: 2_000 });
    const state = await probe.connect().then(
      () => "up",
      () => "down",
    );
    await probe.end().catch(() => undefined);
    expect(state, "PostgreSQL is stopped").toBe("down");

    // Pages: the friendly error page within 5 s (the bound), with a retry that keeps it while the database is away.
    const health = await fetch(`${instance.url}/api/health/database`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: "unavailable", database: "unreachable" });
    const pageStarted = performance.now();
    await viewerPage.goto("/functions", { waitUntil: "commit" });
    const heading = viewerPage.getByRole("heading", { name: "Modelpin cannot reach its database" });
    await expect(heading).toBeVisible({ timeout: 5_000 });
    expect(performance.now() - pageStarted).toBeLessThan(5_000);
    await viewerPage.getByRole("button", { name: "Try again" }).click();
    await expect(heading).toBeVisible();
    await viewer.close();

    // Right away, and again after the proxy's Nyckel connection would have been refreshed (10 s) and the
    // cache's reconnect attempts have failed a few times.
    for (const pause of [0, 12_000]) {
      await new Promise((r) => setTimeout(r, pause));
      const r1 = await fetch(one, { headers: bearer(own.token) });
      expect(r1.status, `resolve ${pause} ms after PostgreSQL stopped`).toBe(200);
      expect(await r1.text()).toBe(warmBody);
      expect((await fetch(one, { headers: { ...bearer(own.token), "if-none-match": etag } })).status).toBe(304);
      const r2 = await fetch(list, { headers: bearer(own.token) });
      expect(r2.status).toBe(200);
      expect(((await r2.json()) as { pins: Array<{ functionId: string; modelId: string | null }> }).pins.find((p) => p.functionId === own.fn.id)?.modelId).toBe(own.pinned);
      const externalId = unique("pg-stopped-");
      const p = await fetch(`${invoke}&externalId=${externalId}`, { method: "POST", headers: json, body: INVOKE_BODY });
      expect(p.status, `proxy ${pause} ms after PostgreSQL stopped: ${await p.clone().text()}`).toBe(200);
      expect(p.headers.get("x-modelpin-model-id")).toBe(own.pinned);
      expect(await invokeWithExternalId(externalId)).toMatchObject({ modelIdUsed: own.pinned });
      // An unknown token is still refused from the cache; a point in time needs the database: 503, not 500.
      expect((await fetch(one, { headers: bearer(`mp_${"C".repeat(43)}`) })).status).toBe(401);
      const past = await fetch(`${one}?at=2026-01-01T00:00:00Z`, { headers: bearer(own.token) });
      expect(past.status).toBe(503);
      expect(await past.json()).toMatchObject({ error: { code: "unavailable" } });
    }
  } finally {
    await instance?.stop();
    await postgres.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("an instance started with MODELPIN_ROLE=serve answers the serving paths and health, and 404 for the dashboard", async () => {
  test.setTimeout(180_000);
  const token = await createToken({ environment: "development", name: unique("serve role ") });
  const serve = await startInstance({ MODELPIN_ROLE: "serve" });
  try {
    const health = await fetch(`${serve.url}/api/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok", role: "serve" });
    expect((await fetch(`${serve.url}/api/health/database`)).status).toBe(200);
    const pins = await fetch(`${serve.url}/api/v1/environments/development/pins`, { headers: bearer(token) });
    expect(pins.status).toBe(200);
    for (const path of ["/", "/functions", "/signin", "/api/openapi.json", "/settings/nyckel"]) {
      const res = await fetch(`${serve.url}${path}`, { redirect: "manual" });
      expect(res.status, path).toBe(404);
      expect(((await res.json()) as { error: { message: string } }).error.message).toContain("MODELPIN_ROLE=serve");
    }
    // The instance keeps answering after the refusals.
    expect((await fetch(`${serve.url}/api/health`)).status).toBe(200);
  } finally {
    await serve.stop();
  }
});
