/**
 * Deployment roles (MODELPIN_ROLE; README "Production layout", docs/scaling.md):
 *
 * | role | routes | job workers |
 * | --- | --- | --- |
 * | all (default) | everything | yes |
 * | web | everything (dashboard and APIs) | no |
 * | serve | the invoke proxy, the resolve API, /api/health*, /metrics; everything else 404 | no |
 * | worker | `npm run worker` (no HTTP server); a Next server given this role answers like serve | yes |
 *
 * The gate runs in proxy.ts. It is not an authorization boundary: each route
 * still checks its caller. Pure: no environment access here.
 */
export const DEPLOYMENT_ROLES = ["all", "web", "serve", "worker"] as const;
export type DeploymentRole = (typeof DEPLOYMENT_ROLES)[number];

const SERVING_PATHS: readonly RegExp[] = [
  /^\/v1\/functions\/[^/]+\/invoke$/,
  /^\/api\/v1\/environments\/[^/]+\/pins(?:\/[^/]+)?$/,
  /^\/api\/health(?:\/[^/]+)?$/,
  /^\/metrics$/,
];

/** May an instance of `role` answer a request for `pathname`? */
export function routeAllowed(role: DeploymentRole, pathname: string): boolean {
  if (role === "all" || role === "web") return true;
  return SERVING_PATHS.some((pattern) => pattern.test(pathname));
}

/** Does a process of `role` run the job workers (comparison runs, webhook deliveries, expiry)? */
export function runsJobWorkers(role: DeploymentRole): boolean {
  return role === "all" || role === "worker";
}

/** The 404 a gated instance answers: JSON, saying why, for people and for scripts alike. */
export function roleRefusal(role: DeploymentRole): Response {
  const message = `Not found. This Modelpin instance serves applications only (MODELPIN_ROLE=${role}): the invoke proxy, the resolve API and health checks; the dashboard is on another instance.`;
  return Response.json({ error: { code: "not_found", message } }, { status: 404, headers: { "cache-control": "no-store" } });
}
