/**
 * Helpers shared by the benchmarks that start production servers (bench:api,
 * bench:budget) and run comparisons (bench:compare, bench:budget).
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";

const SOURCE_ROOTS = ["app", "components", "lib", "public"];
const SOURCE_FILES = ["next.config.js", "postcss.config.mjs", "package-lock.json", "instrumentation.ts"];

function newestSourceMtime(): number {
  let newest = 0;
  const visit = (p: string) => {
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const entry of readdirSync(p)) visit(path.join(p, entry));
    } else if (/\.(tsx?|mts|css|js|mjs|json|wasm|png|svg|ico|woff2)$/.test(p)) {
      newest = Math.max(newest, st.mtimeMs);
    }
  };
  for (const root of SOURCE_ROOTS) if (existsSync(root)) visit(root);
  for (const file of SOURCE_FILES) if (existsSync(file)) newest = Math.max(newest, statSync(file).mtimeMs);
  return newest;
}

/** Runs a binary of node_modules/.bin; `capture` collects its output instead of showing it. */
export function runBin(cmd: string, args: string[], env: NodeJS.ProcessEnv, capture = false): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.resolve("node_modules/.bin", cmd), args, { env, stdio: capture ? ["ignore", "pipe", "pipe"] : "inherit" });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
    child.stderr?.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
    child.on("error", reject);
    child.on("exit", (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), stdout, stderr }));
  });
}

export type BuildOptions = {
  distDir: string;
  log: (line: string) => void;
  /** Build even when up to date. */
  rebuild?: boolean;
  /** Never build (fails without a build); SKIP_BUILD=1 also reuses any existing build. */
  noBuild?: boolean;
};

/** A production build in `distDir`: reused when up to date (or when told not to build), else built. */
export async function ensureBuild(env: NodeJS.ProcessEnv, options: BuildOptions): Promise<void> {
  const { distDir, log } = options;
  const buildId = path.join(distDir, "BUILD_ID");
  if (options.noBuild) {
    if (!existsSync(buildId)) throw new Error(`told not to build, but there is no build in ${distDir}`);
    log(`using the build in ${distDir} (no build)`);
    return;
  }
  const reason = options.rebuild
    ? "--rebuild"
    : !existsSync(buildId)
      ? `no build in ${distDir}`
      : newestSourceMtime() > statSync(buildId).mtimeMs
        ? `sources changed since the build in ${distDir}`
        : null;
  if (!reason) {
    log(`reusing the production build in ${distDir} (up to date)`);
    return;
  }
  log(`production build into ${distDir} (${reason}) …`);
  const t = performance.now();
  const { code } = await runBin("next", ["build"], { ...env, NEXT_DIST_DIR: distDir });
  if (code !== 0) throw new Error(`next build failed (exit code ${code})`);
  log(`next build took ${((performance.now() - t) / 1000).toFixed(1)} s`);
}

const TOPICS = ["invoice", "password", "order", "screen", "refund", "login", "shipping", "crash", "upgrade", "receipt"];

/** The text of bench sample `i` (deterministic, varied enough for the emulator's models to disagree). */
export function sampleText(i: number): string {
  return `bench ticket ${i}: my ${TOPICS[i % TOPICS.length]} ${i % 7 === 0 ? "keeps failing" : "is wrong"} (${(i * 7919) % 1000})`;
}

/** The p-th percentile (0–100) of `values`, interpolated; NaN when empty. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

/**
 * The serving world of bench:api and bench:budget: an unprotected environment `slug`
 * (no approvals) and the emulator's functions synced. The app's modules are imported
 * here, after the caller has set DATABASE_URL and the Nyckel settings.
 */
export async function seedBenchEnvironment(slug: string, actor: string) {
  const { systemContext } = await import("@/lib/context");
  const { createEnvironment } = await import("@/lib/environments/service");
  const { syncFunctions } = await import("@/lib/functions/service");
  const sys = systemContext(actor);
  const environment = await createEnvironment(sys, {
    slug,
    name: "Bench",
    sortOrder: 5,
    protected: false,
    approvalsRequired: 0,
    rejectionBlocks: true,
    requestExpiryHours: null,
    minAgreementPct: null,
  });
  await syncFunctions(sys);
  return { sys, environment };
}

type ComparisonStart = {
  ctx: import("@/lib/context").ServiceContext;
  functionId: string;
  sampleSetId: string;
  modelRefIds: [string, string];
};

/** Starts a comparison of two registered models through the real job path and polls until it ends. */
export async function runComparisonToEnd(start: ComparisonStart, timeoutMs: number): Promise<{ id: string; status: string }> {
  const { startComparisonRun } = await import("@/lib/compare/service");
  const { prisma } = await import("@/lib/db/client");
  const t0 = performance.now();
  const run = await startComparisonRun(start.ctx, {
    functionId: start.functionId,
    sampleSetId: start.sampleSetId,
    modelA: { kind: "model", modelRefId: start.modelRefIds[0] },
    modelB: { kind: "model", modelRefId: start.modelRefIds[1] },
  });
  let status = "queued";
  while (!["finished", "failed", "cancelled"].includes(status)) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`the run did not finish within ${timeoutMs / 1000} s (status ${status})`);
    await new Promise((r) => setTimeout(r, 250));
    status = (await prisma.comparisonRun.findUniqueOrThrow({ where: { id: run.id }, select: { status: true } })).status;
  }
  return { id: run.id, status };
}
