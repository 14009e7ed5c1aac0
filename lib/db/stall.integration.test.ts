/**
 * A stalled PostgreSQL (issue 12, item 3): every process of the server —
 * postmaster and backends — frozen with SIGSTOP accepts TCP connections and
 * answers nothing. Uncached resolve answers must be 503 within 3 s while
 * cached ones keep coming, and everything recovers by itself after SIGCONT.
 *
 * This file starts its OWN embedded PostgreSQL (never the shared test server,
 * which other files use) and always SIGCONTs it, whatever happens.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resetConfigForTests } from "@/lib/env";
import { syncFunctions } from "@/lib/functions/service";
import { seededFunction } from "@/scripts/emulator/seed";
import { closeServingCache } from "@/lib/serving/cache";
import { flushServingUsage } from "@/lib/serving/usage";
import { bearer, getPin, getPins, newEnvironment, newToken, pinTo, sys, until } from "@/scripts/testing/serving";
import { emulatorAsNyckelForFile } from "@/scripts/testing/emulator-as-nyckel";
import { freePort } from "@/scripts/testing/free-port";
import { disconnectPrisma } from "./client";
import { repoRoot } from "@/scripts/db/database";
import { startEmbeddedPostgres, stopServerInDir, type EmbeddedPostgresHandle } from "@/scripts/db/embedded";
import { deployMigrations } from "@/scripts/db/migrations";
import { closePgPool } from "./pool";

const triage = seededFunction("support-triage");

let server: EmbeddedPostgresHandle | undefined;
let dir = "";
const frozen = new Set<number>();

/** The postmaster (from postmaster.pid) and every process whose parent it is (backends, checkpointer, …). */
function serverProcesses(dataDir: string): number[] {
  const postmaster = Number.parseInt(fs.readFileSync(path.join(dataDir, "postmaster.pid"), "utf8").split("\n")[0] ?? "", 10);
  if (!Number.isInteger(postmaster) || postmaster <= 0) throw new Error(`no postmaster PID in ${dataDir}`);
  const children: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      // pid (comm) state ppid …: comm may hold spaces and parentheses, so split after the last ")".
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === postmaster) children.push(Number(entry));
    } catch {
      // the process ended meanwhile
    }
  }
  return [postmaster, ...children];
}

function freeze(): number {
  const pids = serverProcesses(dir);
  for (const pid of pids) {
    process.kill(pid, "SIGSTOP");
    frozen.add(pid);
  }
  return pids.length;
}

function thaw(): void {
  for (const pid of frozen) {
    try {
      process.kill(pid, "SIGCONT");
    } catch {
      // gone
    }
  }
  frozen.clear();
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - started };
}

// Registered before the emulator helper's hook, so that its settings land in this file's own database.
beforeAll(async () => {
  const port = await freePort();
  dir = path.join(repoRoot(), ".data", `stall-postgres-${port}`);
  await stopServerInDir(dir);
  fs.rmSync(dir, { recursive: true, force: true });
  server = await startEmbeddedPostgres({ dir, port, database: "modelpin_stall", ephemeral: true, log: () => undefined });
  await deployMigrations(server.url, { migrationsDir: path.join(repoRoot(), "prisma", "migrations"), log: () => undefined });
  await closeServingCache();
  await closePgPool();
  await disconnectPrisma();
  process.env.DATABASE_URL = server.url;
  resetConfigForTests();
});

emulatorAsNyckelForFile();

let env: { id: string; slug: string };
let token: string;

beforeAll(async () => {
  await syncFunctions(sys);
  env = await newEnvironment();
  await pinTo(env.id, triage.id, triage.modelIds[1]!);
  token = (await newToken(env.id)).token;
});

afterAll(async () => {
  thaw();
  await flushServingUsage().catch(() => undefined);
  await closeServingCache();
  await closePgPool();
  await disconnectPrisma();
  await server?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("a stalled database (every server process SIGSTOPped)", () => {
  it("answers uncached resolves 503 within 3 s, keeps cached answers coming, and recovers by itself after SIGCONT", async () => {
    const at = () => `?at=${encodeURIComponent(new Date().toISOString())}`;
    // Warm: the cache holds the token and the pins; `?at=` always reads the database.
    expect((await getPins(env.slug, bearer(token))).status).toBe(200);
    expect((await getPins(env.slug, bearer(token), at())).status).toBe(200);

    try {
      expect(freeze()).toBeGreaterThan(1);

      const uncached = await timed(() => getPins(env.slug, bearer(token), at()));
      expect(uncached.value.status).toBe(503);
      expect(uncached.value.headers.get("retry-after")).toBe("1");
      const body = (await uncached.value.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("unavailable");
      expect(body.error.message).toMatch(/cannot reach its database/);
      expect(uncached.ms).toBeLessThan(3_000);

      // The breaker is open now: the next uncached answers do not wait for a timeout of their own.
      const again = await timed(() => getPin(env.slug, triage.id, bearer(token), at()));
      expect(again.value.status).toBe(503);
      expect(again.ms).toBeLessThan(3_000);

      // Cached answers are unaffected, also while uncached ones wait.
      const [cachedList, cachedOne] = await Promise.all([getPins(env.slug, bearer(token)), getPin(env.slug, triage.id, bearer(token))]);
      expect(cachedList.status).toBe(200);
      expect(cachedOne.status).toBe(200);
      expect(((await cachedOne.json()) as { modelId: string }).modelId).toBe(triage.modelIds[1]);
    } finally {
      thaw();
    }

    // Recovery by itself: uncached answers come back without restarting anything.
    await until(async () => (await getPins(env.slug, bearer(token), at())).status === 200, 15_000, 200);
    expect((await getPin(env.slug, triage.id, bearer(token), at())).status).toBe(200);
    expect((await getPins(env.slug, bearer(token))).status).toBe(200);
  });
});
