import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

/**
 * Every entry point goes through one of the two wrappers (issue 13): cookie
 * route handlers through `route()` (lib/api/route.ts: origin check, session,
 * permission, schemas, one error body), server actions through the action
 * client (lib/actions). A new handler that hand-rolls its checks fails here.
 * The explicit allow-list holds what authenticates otherwise.
 */
const ROOT = path.resolve(__dirname, "../..");
/** Route handlers that are not cookie-authenticated (or are Auth.js itself). */
const ROUTE_ALLOW = [
  /^app\/api\/auth\//, // Auth.js
  /^app\/api\/v1\//, // token-authenticated resolve API
  /^app\/v1\//, // token-authenticated invoke proxy
  /^app\/api\/health(\/|$)/, // health checks: no session, no data
  /^app\/api\/openapi\.json\//, // the public API description
  /^app\/metrics\//, // metrics: its own bearer token
  /^app\/cli\.mjs\//, // the CLI download
];
/** Server-action files that are not built with the action client: Auth.js sign-in and sign-out forms. */
const ACTION_ALLOW = new Set(["lib/auth/actions.ts"]);
const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

function walk(rel: string, keep: (name: string) => boolean): string[] {
  const abs = path.join(ROOT, rel);
  return readdirSync(abs).flatMap((name) => {
    const child = path.posix.join(rel, name);
    if (name === "node_modules" || name === "generated") return [];
    if (statSync(path.join(ROOT, child)).isDirectory()) return walk(child, keep);
    return keep(name) ? [child] : [];
  });
}

describe("every entry point goes through a wrapper", () => {
  const routes = walk("app", (n) => /^route\.(ts|tsx)$/.test(n));

  it("finds the route handlers", () => {
    expect(routes.length).toBeGreaterThan(8);
  });

  it("cookie route handlers export only route(…) handlers", () => {
    const offenders: string[] = [];
    for (const file of routes) {
      if (ROUTE_ALLOW.some((r) => r.test(file))) continue;
      const src = readFileSync(path.join(ROOT, file), "utf8");
      for (const m of METHODS) {
        if (new RegExp(`export\\s+(async\\s+)?function\\s+${m}\\b`).test(src)) offenders.push(`${file}: ${m} is a plain function`);
        const c = new RegExp(`export\\s+const\\s+${m}\\s*=\\s*([\\w.]+)`).exec(src);
        if (c && c[1] !== "route") offenders.push(`${file}: ${m} = ${c[1]}(…) instead of route(…)`);
        if (new RegExp(`export\\s*\\{[^}]*\\b${m}\\b`).test(src)) offenders.push(`${file}: ${m} re-exported`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it("server actions are built with the action client", () => {
    const files = ["app", "components", "lib"].flatMap((d) => walk(d, (n) => /\.(ts|tsx)$/.test(n) && !/\.test\.ts$/.test(n)));
    const actionFiles = files.filter((f) => /^\s*["']use server["']/m.test(readFileSync(path.join(ROOT, f), "utf8")));
    expect(actionFiles.length).toBeGreaterThan(5);
    const offenders: string[] = [];
    for (const file of actionFiles) {
      if (ACTION_ALLOW.has(file)) continue;
      const src = readFileSync(path.join(ROOT, file), "utf8");
      if (!/from\s+["']@\/lib\/actions(\/[\w-]+)?["']/.test(src)) offenders.push(`${file}: does not import the action client`);
      if (/export\s+(async\s+)?function\b/.test(src)) offenders.push(`${file}: exports a plain function as a server action`);
      for (const m of src.matchAll(/export\s+const\s+(\w+)\s*=([^;]*?)\.action\(/gs)) {
        if (!/Action|actionClient/i.test(m[2]!)) offenders.push(`${file}: ${m[1]} is not built from an action client`);
      }
      for (const m of src.matchAll(/export\s+const\s+(\w+)\s*=/g)) {
        const rest = src.slice(m.index! + m[0].length, m.index! + m[0].length + 2000);
        if (!/^[^;]*?\.action\(/s.test(rest)) offenders.push(`${file}: ${m[1]} is exported but is not an action`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
