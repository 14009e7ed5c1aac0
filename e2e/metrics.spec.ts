import { expect, test } from "./fixtures/test";
import { bearer, setUpApiWorld } from "./fixtures/api";

/**
 * GET /metrics on the production build: outside the dashboard's sign-in (no
 * redirect), 401 without the metrics token, and Prometheus text with the
 * token that counts a call made through the invoke proxy.
 */
const metricsToken = process.env.MODELPIN_METRICS_TOKEN;

test.skip(!process.env.NYCKEL_EMULATOR_URL, "NYCKEL_EMULATOR_URL is not set (run through npm test)");

test("GET /metrics needs the metrics token, never a session, and counts proxied calls", async ({ browser, request, baseURL }) => {
  test.setTimeout(120_000);
  if (!metricsToken) {
    expect((await request.get("/metrics", { maxRedirects: 0 })).status()).toBe(404);
    return;
  }
  for (const headers of [{}, bearer("not-the-metrics-token-at-all")]) {
    const refused = await request.get("/metrics", { headers, maxRedirects: 0 });
    expect(refused.status()).toBe(401);
    expect(refused.headers()["www-authenticate"]).toBe('Bearer realm="modelpin-metrics"');
    expect(await refused.text()).not.toContain("modelpin_proxy");
  }

  const world = await setUpApiWorld(browser, { prefix: "metrics" });
  const invoked = await fetch(`${baseURL}/v1/functions/${world.fn.id}/invoke?capture=false`, {
    method: "POST",
    headers: { ...bearer(world.token), "content-type": "application/json" },
    body: JSON.stringify({ data: "where is my refund" }),
  });
  expect(invoked.status).toBe(200);

  const scraped = await request.get("/metrics", { headers: bearer(metricsToken), maxRedirects: 0 });
  expect(scraped.status()).toBe(200);
  expect(scraped.headers()["content-type"]).toContain("text/plain; version=0.0.4");
  const text = await scraped.text();
  expect(text).toContain(`modelpin_proxy_requests_total{environment="${world.slug}",function="${world.fn.id}",status="200"} 1`);
  expect(text).toContain(`modelpin_proxy_request_duration_seconds_count{environment="${world.slug}",function="${world.fn.id}"} 1`);
  for (const name of ["modelpin_budget_permits_total", "modelpin_nyckel_429_total", "modelpin_job_queue_depth", "modelpin_db_pool_connections", "process_cpu_user_seconds_total"]) {
    expect(text).toContain(`# TYPE ${name} `);
  }
  expect(text).not.toContain(world.token);
});
