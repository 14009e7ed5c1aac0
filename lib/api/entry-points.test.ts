import { describe, expect, it } from "vitest";
import { ACTION_ALLOW, METHODS, ROUTE_ALLOW, readSource, routeFiles, serverActionFiles } from "@/scripts/testing/entry-point-files";

/**
 * Every entry point goes through one of the two wrappers (issue 13): cookie
 * route handlers through `route()` (lib/api/route.ts: origin check, session,
 * permission, schemas, one error body), server actions through the action
 * client (lib/actions). A new handler that hand-rolls its checks fails here.
 * The explicit allow-list (scripts/testing/entry-point-files.ts) holds what
 * authenticates otherwise; the malformed-request suites use the same scan.
 */
describe("every entry point goes through a wrapper", () => {
  const routes = routeFiles();

  it("finds the route handlers", () => {
    expect(routes.length).toBeGreaterThan(8);
  });

  it("cookie route handlers export only route(…) handlers", () => {
    const offenders: string[] = [];
    for (const file of routes) {
      if (ROUTE_ALLOW.some((r) => r.test(file))) continue;
      const src = readSource(file);
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
    const actionFiles = serverActionFiles();
    expect(actionFiles.length).toBeGreaterThan(5);
    const offenders: string[] = [];
    for (const file of actionFiles) {
      if (ACTION_ALLOW.has(file)) continue;
      const src = readSource(file);
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
