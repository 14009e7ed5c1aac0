/**
 * `npm run bench:bundle` (tsx scripts/bench-bundle.ts): each page's first-load
 * JavaScript, gzip, from a production build's manifests.
 *
 * - Builds the app into NEXT_DIST_DIR (default .next-bench-bundle) unless a build
 *   there is newer than the sources (SKIP_BUILD=1 reuses any build there).
 * - The floor: the root chunks of build-manifest.json (`rootMainFiles`), which
 *   every page loads (React, Next's router, the Turbopack runtime).
 * - Each page's own chunks: every `entryJSFiles` list of its
 *   `server/app/<route>/page_client-reference-manifest.js` (its layouts, error
 *   and not-found boundaries, the page), without the floor's chunks. Chunks a
 *   page loads later (next/dynamic) are not in these lists: that is the point.
 * - Sizes are gzip (level 9) of the chunk files in static/chunks.
 *
 * Prints every page, largest first, and as its last line
 * `RESULT floor_kb=<n> max_over_floor_kb=<n> max_route=<route>` (goal: every
 * page within 40 kB of the floor). Option: --top <n> pages to list (default all).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import vm from "node:vm";
import { gzipSync } from "node:zlib";
import { appEnv, ensureBuild } from "./bench/build";
import { cliOptions, exitWithMain, positive } from "./cli/args";

const args = cliOptions({ top: { type: "string" } });
const DIST_DIR = process.env.NEXT_DIST_DIR || ".next-bench-bundle";
const GOAL_KB = 40;

type RouteSize = { route: string; chunks: string[]; bytes: number };

const gzipCache = new Map<string, number>();
function gzipBytes(distDir: string, chunk: string): number {
  const file = path.join(distDir, chunk.replace(/^\/?_next\//, ""));
  let size = gzipCache.get(file);
  if (size === undefined) {
    size = gzipSync(readFileSync(file), { level: 9 }).length;
    gzipCache.set(file, size);
  }
  return size;
}

/** Every page_client-reference-manifest.js under server/app. */
function pageManifests(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...pageManifests(full));
    else if (entry.name === "page_client-reference-manifest.js") found.push(full);
  }
  return found;
}

/** A client reference manifest is a script assigning globalThis.__RSC_MANIFEST[route]; run it in an empty context. */
function readManifest(file: string): Record<string, { entryJSFiles?: Record<string, string[]> }> {
  const context: { __RSC_MANIFEST?: Record<string, { entryJSFiles?: Record<string, string[]> }> } = {};
  vm.runInNewContext(readFileSync(file, "utf8"), context, { filename: file });
  return context.__RSC_MANIFEST ?? {};
}

export function measure(distDir: string): { floor: number; routes: RouteSize[] } {
  const buildManifest = JSON.parse(readFileSync(path.join(distDir, "build-manifest.json"), "utf8")) as { rootMainFiles: string[] };
  const root = new Set(buildManifest.rootMainFiles);
  const floor = [...root].reduce((sum, chunk) => sum + gzipBytes(distDir, chunk), 0);
  const routes: RouteSize[] = [];
  for (const file of pageManifests(path.join(distDir, "server", "app"))) {
    for (const [route, manifest] of Object.entries(readManifest(file))) {
      if (route.startsWith("/_")) continue; // Next's own /_not-found and /_global-error
      const chunks = [...new Set(Object.values(manifest.entryJSFiles ?? {}).flat())].filter((c) => !root.has(c));
      routes.push({ route: route.replace(/\/page$/, "") || "/", chunks, bytes: chunks.reduce((sum, c) => sum + gzipBytes(distDir, c), 0) });
    }
  }
  return { floor, routes: routes.sort((a, b) => b.bytes - a.bytes) };
}

const kb = (bytes: number) => (bytes / 1024).toFixed(1);

async function main(): Promise<number> {
  const log = (line: string) => console.log(`[bench:bundle] ${line}`);
  await ensureBuild(appEnv({}), { distDir: DIST_DIR, log, reuseAny: process.env.SKIP_BUILD === "1" });
  if (!existsSync(path.join(DIST_DIR, "build-manifest.json"))) throw new Error(`no build-manifest.json in ${DIST_DIR}`);
  const { floor, routes } = measure(DIST_DIR);
  if (routes.length === 0) throw new Error(`no page manifests in ${DIST_DIR}/server/app`);
  const top = args.top ? positive("top", args.top) : routes.length;
  log(`floor (root chunks every page loads): ${kb(floor)} kB gzip`);
  log("first-load JavaScript beyond the floor, gzip:");
  for (const r of routes.slice(0, top)) {
    const over = r.bytes / 1024 > GOAL_KB ? `  (over the ${GOAL_KB} kB goal)` : "";
    console.log(`  ${kb(r.bytes).padStart(7)} kB  ${r.route}  [${r.chunks.length} chunks]${over}`);
  }
  const max = routes[0]!;
  console.log(`RESULT floor_kb=${kb(floor)} max_over_floor_kb=${kb(max.bytes)} max_route=${max.route}`);
  return 0;
}

exitWithMain(main);
