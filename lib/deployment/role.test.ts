import { describe, expect, it } from "vitest";
import { roleRefusal, routeAllowed, runsJobWorkers } from "./role";

const SERVING = [
  "/v1/functions/function_abc/invoke",
  "/api/v1/environments/production/pins",
  "/api/v1/environments/production/pins/function_abc",
  "/api/health",
  "/api/health/database",
  "/metrics",
];
const DASHBOARD = [
  "/",
  "/signin",
  "/functions/function_abc",
  "/settings/nyckel",
  "/api/auth/session",
  "/api/openapi.json",
  "/api/samples",
  "/api/v1/environments/production",
  "/api/v1/environments/production/pins/function_abc/extra",
  "/v1/functions/function_abc",
  "/v1/functions/function_abc/invoke/more",
  "/metrics/extra",
  "/api/healthz",
];

describe("the deployment role gate", () => {
  it("lets all and web answer everything", () => {
    for (const path of [...SERVING, ...DASHBOARD]) {
      expect(routeAllowed("all", path)).toBe(true);
      expect(routeAllowed("web", path)).toBe(true);
    }
  });

  it("lets serve (and a web server started as worker) answer only the proxy, resolve, health and metrics", () => {
    for (const role of ["serve", "worker"] as const) {
      for (const path of SERVING) expect(routeAllowed(role, path), `${role} ${path}`).toBe(true);
      for (const path of DASHBOARD) expect(routeAllowed(role, path), `${role} ${path}`).toBe(false);
    }
  });

  it("runs job workers in all and worker only", () => {
    expect([runsJobWorkers("all"), runsJobWorkers("web"), runsJobWorkers("serve"), runsJobWorkers("worker")]).toEqual([true, false, false, true]);
  });

  it("refuses with a JSON 404 that names the role", async () => {
    const res = roleRefusal("serve");
    expect(res.status).toBe(404);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("not_found");
    expect(body.error.message).toContain("MODELPIN_ROLE=serve");
  });
});
