import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";

/**
 * The one scan of the app's entry points, shared by the wrapper test
 * (lib/api/entry-points.test.ts) and the malformed-request suites
 * (lib/actions/malformed.integration.test.ts, e2e/cookie-malformed.spec.ts),
 * so a new route handler or server action is checked and fuzzed as soon as it
 * exists. Test support only: nothing in the app imports it.
 */
export const ROOT = path.resolve(__dirname, "../..");

/** Route handlers that are not cookie-authenticated (or are Auth.js itself). */
export const ROUTE_ALLOW = [
  /^app\/api\/auth\//, // Auth.js
  /^app\/api\/v1\//, // token-authenticated resolve API
  /^app\/v1\//, // token-authenticated invoke proxy
  /^app\/api\/health(\/|$)/, // health checks: no session, no data
  /^app\/api\/openapi\.json\//, // the public API description
  /^app\/metrics\//, // metrics: its own bearer token
  /^app\/cli\.mjs\//, // the CLI download
  /^app\/api\/\[\.\.\.path\]\//, // unknown API paths: a JSON 404, no data
];

/** Server-action files that are not built with the action client: Auth.js sign-in and sign-out forms. */
export const ACTION_ALLOW = new Set(["lib/session/actions.ts"]);

export const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

export function walk(rel: string, keep: (name: string) => boolean): string[] {
  const abs = path.join(ROOT, rel);
  return readdirSync(abs).flatMap((name) => {
    const child = path.posix.join(rel, name);
    if (name === "node_modules" || name === "generated") return [];
    if (statSync(path.join(ROOT, child)).isDirectory()) return walk(child, keep);
    return keep(name) ? [child] : [];
  });
}

export function readSource(file: string): string {
  return readFileSync(path.join(ROOT, file), "utf8");
}

/** Every route handler file under app/ (repository-relative paths). */
export function routeFiles(): string[] {
  return walk("app", (n) => /^route\.(ts|tsx)$/.test(n));
}

/** The cookie-authenticated route handlers: every route file outside the allow-list. */
export function cookieRouteFiles(): string[] {
  return routeFiles().filter((f) => !ROUTE_ALLOW.some((r) => r.test(f)));
}

/** The HTTP methods a route file exports. */
export function exportedMethods(src: string): string[] {
  return METHODS.filter((m) =>
    new RegExp(`export\\s+const\\s+${m}\\s*=|export\\s+(async\\s+)?function\\s+${m}\\b|export\\s*\\{[^}]*\\b${m}\\b`).test(src),
  );
}

/** `app/api/comparisons/[runId]/export/route.ts` → `/api/comparisons/[runId]/export`. */
export function routePath(file: string): string {
  return "/" + path.posix.dirname(file).replace(/^app\/?/, "").replace(/\/?\([^)]*\)/g, "");
}

/** Every file with a "use server" directive under app/, components/ and lib/. */
export function serverActionFiles(): string[] {
  const files = ["app", "components", "lib"].flatMap((d) => walk(d, (n) => /\.(ts|tsx)$/.test(n) && !/\.test\.ts$/.test(n)));
  return files.filter((f) => /^\s*["']use server["']/m.test(readSource(f)));
}

/** The names a module exports as `export const X` / `export (async) function X`. */
export function exportedNames(src: string): string[] {
  return [...src.matchAll(/export\s+(?:const|(?:async\s+)?function)\s+(\w+)/g)].map((m) => m[1]!);
}
