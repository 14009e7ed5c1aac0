import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prisma } from "@/lib/db/client";
import { closePgPool } from "@/lib/db/pool";
import { syncFunctions } from "@/lib/functions/service";
import { seededFunction } from "@/scripts/emulator/seed";
import { emulatorAsNyckelForFile } from "@/scripts/testing/emulator-as-nyckel";
import { revokeApiToken } from "@/lib/tokens/service";
import { ServingCache, ServingCacheUnavailableError, closeServingCache, getServingCache } from "./cache";
import { environmentPinsSchema, pinResolutionSchema } from "./schemas";
import { flushServingUsage } from "./usage";
import { bearer, getPin, getPins, newEnvironment, newToken, pinTo, sys, tag, until } from "@/scripts/testing/serving";

const triage = seededFunction("support-triage");
const sentiment = seededFunction("review-sentiment");

emulatorAsNyckelForFile();

let envA: { id: string; slug: string };
let envB: { id: string; slug: string };
let tokenA: string;
let tokenB: string;

beforeAll(async () => {
  await syncFunctions(sys);
  envA = await newEnvironment();
  envB = await newEnvironment();
  await pinTo(envA.id, triage.id, triage.modelIds[1]!);
  tokenA = (await newToken(envA.id)).token;
  tokenB = (await newToken(envB.id)).token;
});

afterAll(async () => {
  await flushServingUsage();
  await closeServingCache();
  await closePgPool();
});

async function errorOf(res: Response) {
  expect(res.headers.get("content-type")).toContain("application/json");
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect(body.error.message.length).toBeGreaterThan(10);
  return body.error;
}

describe("resolve API with environment tokens (route handlers, real PostgreSQL)", () => {
  it("lists every synced function for the token's environment, modelId null when latest, in the documented shape", async () => {
    const res = await getPins(envA.slug, bearer(tokenA));
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-cache");
    expect(res.headers.get("etag")).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
    const body = environmentPinsSchema.parse(await res.json());
    expect(body.environment).toBe(envA.slug);
    const synced = await prisma.nyckelFunction.count();
    expect(body.pins).toHaveLength(synced);
    expect(body.pins.find((p) => p.functionId === triage.id)).toMatchObject({ modelId: triage.modelIds[1], version: 1, functionName: triage.name });
    expect(body.pins.find((p) => p.functionId === sentiment.id)).toEqual({
      functionId: sentiment.id,
      functionName: sentiment.name,
      modelId: null,
      version: 0,
      updatedAt: null,
    });
    // `at` is the time since which this state holds: the latest pin change in the environment.
    const pinned = await prisma.pin.findUniqueOrThrow({ where: { environmentId_functionId: { environmentId: envA.id, functionId: triage.id } } });
    expect(body.at).toBe(pinned.updatedAt.toISOString());

    const other = environmentPinsSchema.parse(await (await getPins(envB.slug, bearer(tokenB))).json());
    expect(other.pins.every((p) => p.modelId === null && p.version === 0)).toBe(true);
  });

  it("answers one function (bare or prefixed id) and 404 JSON for an unknown one", async () => {
    const res = await getPin(envA.slug, triage.id, bearer(tokenA));
    expect(res.status).toBe(200);
    const pin = pinResolutionSchema.parse(await res.json());
    expect(pin).toEqual({ functionId: triage.id, modelId: triage.modelIds[1], version: 1, updatedAt: expect.any(String) });
    const bare = await getPin(envA.slug, triage.id.replace(/^function_/, ""), bearer(tokenA));
    expect(pinResolutionSchema.parse(await bare.json())).toEqual(pin);
    expect(pinResolutionSchema.parse(await (await getPin(envA.slug, sentiment.id, bearer(tokenA))).json())).toEqual({
      functionId: sentiment.id,
      modelId: null,
      version: 0,
      updatedAt: null,
    });
    for (const unknown of ["function_doesnotexist0000", "../../etc/passwd", "a".repeat(300)]) {
      const res404 = await getPin(envA.slug, unknown, bearer(tokenA));
      expect(res404.status).toBe(404);
      expect((await errorOf(res404)).code).toBe("not_found");
    }
  });

  it("refuses another environment's token with 403, and missing, malformed or unknown tokens with 401 JSON (no redirect)", async () => {
    const cross = await getPins(envB.slug, bearer(tokenA));
    expect(cross.status).toBe(403);
    expect(await errorOf(cross)).toMatchObject({ code: "forbidden", message: expect.stringContaining(envA.slug) });
    expect((await getPin(envB.slug, triage.id, bearer(tokenA))).status).toBe(403);
    // An environment that does not exist: the same 403 (a token only ever reads its own).
    expect((await getPins("no-such-environment", bearer(tokenA))).status).toBe(403);

    const cases: Array<[Record<string, string>, string]> = [
      [{ authorization: "" }, "token_missing"],
      [{ authorization: "Bearer" }, "token_malformed"],
      [{ authorization: `Basic ${Buffer.from("a:b").toString("base64")}` }, "token_malformed"],
      [{ authorization: "Bearer not-a-token" }, "token_malformed"],
      [{ authorization: `Bearer ${tokenA}x` }, "token_malformed"],
      [{ authorization: `Bearer mp_${"A".repeat(43)}` }, "token_invalid"],
      [{ authorization: `Bearer ${"x".repeat(10_000)}` }, "token_malformed"],
    ];
    for (const [headers, code] of cases) {
      const res = await getPins(envA.slug, headers);
      expect(res.status, code).toBe(401);
      expect(res.headers.get("location")).toBeNull();
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer realm="modelpin"/);
      expect((await errorOf(res)).code).toBe(code);
    }
    // The scheme is case-insensitive (RFC 6750).
    expect((await getPins(envA.slug, { authorization: `bearer ${tokenA}` })).status).toBe(200);
  });

  it("answers 304 with no body for a matching If-None-Match, and a new ETag after a pin change", async () => {
    const first = await getPins(envA.slug, bearer(tokenA));
    const etag = first.headers.get("etag")!;
    const again = await getPins(envA.slug, bearer(tokenA));
    expect(again.headers.get("etag")).toBe(etag);
    expect(await again.text()).toBe(await first.text());

    for (const ifNoneMatch of [etag, `W/${etag}`, `"other", ${etag}`, "*"]) {
      const res = await getPins(envA.slug, { ...bearer(tokenA), "if-none-match": ifNoneMatch });
      expect(res.status, ifNoneMatch).toBe(304);
      expect(await res.text()).toBe("");
      expect(res.headers.get("etag")).toBe(etag);
    }
    expect((await getPins(envA.slug, { ...bearer(tokenA), "if-none-match": '"stale"' })).status).toBe(200);

    const one = await getPin(envA.slug, triage.id, bearer(tokenA));
    const oneEtag = one.headers.get("etag")!;
    expect((await getPin(envA.slug, triage.id, { ...bearer(tokenA), "if-none-match": oneEtag })).status).toBe(304);

    await pinTo(envA.id, triage.id, triage.modelIds[2]!);
    const elapsed = await until(async () => (await getPins(envA.slug, { ...bearer(tokenA), "if-none-match": etag })).status === 200, 1000);
    expect(elapsed).toBeLessThan(1000);
    const changed = await getPin(envA.slug, triage.id, { ...bearer(tokenA), "if-none-match": oneEtag });
    expect(changed.status).toBe(200);
    expect(changed.headers.get("etag")).not.toBe(oneEtag);
    expect(pinResolutionSchema.parse(await changed.json())).toMatchObject({ modelId: triage.modelIds[2], version: 2 });
  });

  it("serves the same bytes and ETag as the point-in-time answer at its own `at`", async () => {
    const now = await getPins(envA.slug, bearer(tokenA));
    const body = environmentPinsSchema.parse(await now.clone().json());
    const past = await getPins(envA.slug, bearer(tokenA), `?at=${encodeURIComponent(body.at)}`);
    expect(past.status).toBe(200);
    expect(await past.text()).toBe(await now.text());
    expect(past.headers.get("etag")).toBe(now.headers.get("etag"));
    const bad = await getPins(envA.slug, bearer(tokenA), "?at=last-tuesday");
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).code).toBe("invalid_input");
  });

  it("sees a revocation through LISTEN/NOTIFY within one second (401 token_revoked)", async () => {
    const created = await newToken(envB.id);
    await until(async () => (await getPins(envB.slug, bearer(created.token))).status === 200, 1000);
    await revokeApiToken(sys, { id: created.id });
    const elapsed = await until(async () => (await getPins(envB.slug, bearer(created.token))).status === 401, 1000);
    expect(elapsed).toBeLessThan(1000);
    const res = await getPins(envB.slug, bearer(created.token));
    expect((await errorOf(res)).code).toBe("token_revoked");
    expect(getServingCache().stats.notifications).toBeGreaterThan(0);
  });

  it("refuses an expired token with 401 token_expired", async () => {
    const created = await newToken(envB.id, 30);
    await until(async () => (await getPins(envB.slug, bearer(created.token))).status === 200, 1000);
    // Expiry is evaluated per request against the cached expiry time: move it into the past.
    await prisma.apiToken.update({ where: { id: created.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    await until(async () => (await getPins(envB.slug, bearer(created.token))).status === 401, 1000);
    expect((await errorOf(await getPins(envB.slug, bearer(created.token)))).code).toBe("token_expired");
  });

  it("lists functions again after a sync that changed something (the sync notifies)", async () => {
    await getServingCache().ready();
    // A function row written behind the cache's back (no trigger on functions): not listed yet…
    const id = `function_zz${tag()}${tag()}`;
    await prisma.nyckelFunction.create({ data: { id, name: `Zz ${id}`, inputType: "Text", outputType: "Classification", lastSyncedAt: new Date() } });
    const listed = async () => environmentPinsSchema.parse(await (await getPins(envA.slug, bearer(tokenA))).json()).pins.some((p) => p.functionId === id);
    expect(await listed()).toBe(false);
    // …until a sync changes something (here: it is not in Nyckel, so it is marked missing) and notifies.
    const report = await syncFunctions(sys);
    expect(report.removed).toContain(`Zz ${id}`);
    expect(await until(listed, 1000)).toBeLessThan(1000);
  });

  it("a token created after the cache loaded works at once (NOTIFY on insert)", async () => {
    const created = await newToken(envA.id);
    const elapsed = await until(async () => (await getPins(envA.slug, bearer(created.token))).status === 200, 1000);
    expect(elapsed).toBeLessThan(1000);
  });
});

/** A TCP relay in front of PostgreSQL that a test can cut (as if the server stopped) and restore. */
async function relayTo(url: string) {
  const target = new URL(url);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as net.AddressInfo).port;
  let listening = true;
  return {
    url: Object.assign(new URL(url), { host: `127.0.0.1:${port}` }).toString(),
    async cut() {
      listening = false;
      await new Promise<void>((r) => {
        server.close(() => r());
        for (const s of sockets) s.destroy();
      });
    },
    async restore() {
      listening = true;
      await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
    },
    async close() {
      if (listening) await this.cut();
    },
  };
}

describe("the serving cache", () => {
  it("keeps serving its last snapshot while the database is unreachable, reconnects with backoff and reloads everything", async () => {
    const relay = await relayTo(process.env.DATABASE_URL!);
    const cache = new ServingCache({ connectionString: relay.url, reconnectInitialMs: 50, reconnectMaxMs: 200, safetyReloadMs: 0 });
    try {
      const before = await cache.ready();
      expect(before.content.environmentsBySlug.get(envA.slug)).toBeDefined();
      const triageBefore = before.content.pins.get(envA.id)?.get(triage.id);

      await relay.cut();
      await until(() => !cache.stats.connected, 2000);
      // Cold requests elsewhere would fail; this warm cache still answers from memory.
      expect(cache.snapshot?.content.pins.get(envA.id)?.get(triage.id)).toEqual(triageBefore);

      // A change while disconnected: its notification is lost, the reload after reconnecting picks it up.
      await pinTo(envA.id, triage.id, triage.modelIds[0]!);
      await new Promise((r) => setTimeout(r, 300));
      expect(cache.snapshot?.content.pins.get(envA.id)?.get(triage.id)?.modelId).toBe(triageBefore?.modelId);

      await relay.restore();
      await until(() => cache.snapshot?.content.pins.get(envA.id)?.get(triage.id)?.modelId === triage.modelIds[0], 5000);
      expect(cache.stats.reconnects).toBeGreaterThanOrEqual(1);
      expect(cache.stats.connected).toBe(true);
    } finally {
      await cache.close();
      await relay.close();
    }
  });

  it("two caches on one database (two instances): a change made anywhere reaches both within one second", async () => {
    const other = new ServingCache({ safetyReloadMs: 0 });
    try {
      await Promise.all([other.ready(), getServingCache().ready()]);
      await pinTo(envB.id, sentiment.id, sentiment.modelIds[0]!);
      const elapsed = await until(
        () =>
          other.snapshot?.content.pins.get(envB.id)?.get(sentiment.id)?.modelId === sentiment.modelIds[0] &&
          getServingCache().snapshot?.content.pins.get(envB.id)?.get(sentiment.id)?.modelId === sentiment.modelIds[0],
        1000,
      );
      expect(elapsed).toBeLessThan(1000);
    } finally {
      await other.close();
    }
  });

  it("a listener connection killed by the server (pg_terminate_backend) is re-established and the snapshot reloaded", async () => {
    const cache = getServingCache();
    await cache.ready();
    const pid = cache.stats.backendPid;
    expect(pid).not.toBeNull();
    const reconnects = cache.stats.reconnects;
    await prisma.$queryRawUnsafe(`SELECT pg_terminate_backend(${Number(pid)})`);
    // Still answering meanwhile.
    expect((await getPins(envA.slug, bearer(tokenA))).status).toBe(200);
    await until(() => cache.stats.reconnects > reconnects && cache.stats.connected, 5000);
    expect(cache.stats.backendPid).not.toBe(pid);
    await pinTo(envA.id, triage.id, triage.modelIds[1]!);
    await until(async () => pinResolutionSchema.parse(await (await getPin(envA.slug, triage.id, bearer(tokenA))).json()).modelId === triage.modelIds[1], 1000);
  });

  it("cold and the database unreachable: ready() fails with ServingCacheUnavailableError (the routes answer 503)", async () => {
    const cache = new ServingCache({ connectionString: "postgresql://nobody:x@127.0.0.1:1/none" });
    try {
      await expect(cache.ready()).rejects.toBeInstanceOf(ServingCacheUnavailableError);
      // Fails fast afterwards instead of queueing connection attempts.
      const started = performance.now();
      await expect(cache.ready()).rejects.toBeInstanceOf(ServingCacheUnavailableError);
      expect(performance.now() - started).toBeLessThan(100);
    } finally {
      await cache.close();
    }
  });

  it("reloads quickly: a full reload with thousands of tokens and pins (measured)", async () => {
    const t = tag();
    const env = await newEnvironment();
    // Bulk rows straight into the tables (the services would take minutes): 5,000 tokens.
    await prisma.$executeRawUnsafe(
      `INSERT INTO api_tokens (id, name, environment_id, prefix, token_hash, created_by_label)
       SELECT gen_random_uuid(), 'bulk ${t} ' || g, '${env.id}', 'mp_bulk', md5('${t}' || g) || md5('${t}x' || g), 'test'
       FROM generate_series(1, 5000) g`,
    );
    const cache = getServingCache();
    await cache.reloadAll();
    const full = cache.stats.lastReloadMs!;
    const sizes = { tokens: cache.snapshot!.tokens.size, functions: cache.snapshot!.content.functions.length };
    const revoked = await newToken(env.id);
    await revokeApiToken(sys, { id: revoked.id });
    await until(() => cache.stats.lastReloadParts.join() === "tokens" && cache.snapshot!.tokens.size === sizes.tokens + 1, 1000);
    console.info(`[serving cache] full reload ${full.toFixed(1)} ms with ${sizes.tokens} tokens; tokens-only reload ${cache.stats.lastReloadMs!.toFixed(1)} ms`);
    expect(sizes.tokens).toBeGreaterThanOrEqual(5000);
    expect(full).toBeLessThan(1000);
  });
});
