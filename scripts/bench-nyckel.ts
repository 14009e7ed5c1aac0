/**
 * `npm run bench:nyckel` — the client's limiter against an emulator that enforces
 * 100 requests per second (strict sliding 1 s window) and 25 concurrent requests
 * (Nyckel's documented concurrency), with 30 ms of simulated invoke latency.
 * The emulator runs in this process, on a free loopback port.
 *
 * The client is configured for 100/s and 25 in flight, warms up (token, connection),
 * waits for the window to empty, then makes 1,000 invokes at once.
 *
 * Achieved rate. A sliding-window limit lets the first 100 requests start at once and
 * then at most 100 per second, so "requests ÷ wall time" overstates the rate (it
 * counts the free first burst). The sustained rate is measured from how long a start
 * slot takes to be reused:
 *   sustained = (N − L) / (mean start time of the last L requests − mean start time of the first L)
 * (N = HTTP invoke attempts, L = 100). That equals L / (average time between request k
 * and request k + L), i.e. exactly 100/s for a caller that reuses every slot the
 * moment the window allows, bursty or evenly spread. rate_ratio = sustained ÷ 100.
 * caller_429 counts every 429 response the client received (including any it
 * retried away); the emulator's own count of 429s is printed too.
 *
 * Last line: `RESULT rate_ratio=<x.xx> caller_429=<n>`.
 */
import { NyckelClient } from "../lib/nyckel/client";
import { isNyckelError } from "../lib/nyckel/errors";
import { startEmulator } from "./emulator/server";
import { seededFunction } from "./emulator/seed";

const LIMIT = 100;
const CONCURRENCY = 25;
const REQUESTS = 1000;
const INVOKE_LATENCY_MS = 30;

async function main(): Promise<void> {
  const emulator = await startEmulator({
    port: 0,
    quiet: true,
    rateLimit: { perSecond: LIMIT, concurrency: CONCURRENCY },
    faults: { latencyMs: INVOKE_LATENCY_MS, pathIncludes: "/invoke" },
  });
  try {
    let caller429 = 0;
    const invokeStarts: number[] = [];
    const countingFetch: typeof fetch = async (input, init) => {
      const url = input instanceof URL ? input.href : typeof input === "string" ? input : input.url;
      if (url.includes("/invoke")) invokeStarts.push(performance.now());
      const res = await fetch(input, init);
      if (res.status === 429) caller429++;
      return res;
    };
    const client = new NyckelClient({
      baseUrl: emulator.url,
      clientId: emulator.state.clientId,
      clientSecret: emulator.state.clientSecret,
      rateLimit: { perSecond: LIMIT, concurrency: CONCURRENCY },
      fetch: countingFetch,
    });
    const fn = seededFunction("support-triage");

    // Warm-up: token and connections, then let the 1 s window empty.
    await client.testConnection();
    await new Promise((resolve) => setTimeout(resolve, 1100));
    emulator.state.resetCounters();
    caller429 = 0;

    const subjects = ["invoice", "login", "crash", "refund", "dark mode", "card", "password", "timeout"];
    let failures = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: REQUESTS }, (_, i) =>
        client
          .invoke(fn.id, { kind: "text", text: `Ticket ${i}: something about my ${subjects[i % subjects.length]}` }, { capture: false })
          .catch((error: unknown) => {
            failures++;
            if (!isNyckelError(error)) throw error;
          }),
      ),
    );
    const wallMs = performance.now() - started;
    const sorted = [...invokeStarts].sort((a, b) => a - b);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const slotCycleS = (mean(sorted.slice(-LIMIT)) - mean(sorted.slice(0, LIMIT))) / 1000;
    const sustained = (sorted.length - LIMIT) / slotCycleS;
    const spanS = ((sorted[sorted.length - 1] as number) - (sorted[0] as number)) / 1000;
    const counters = emulator.state.counters();
    const emulator429 = counters.byStatus["429"] ?? 0;

    console.log(`emulator limit:            ${LIMIT} requests/s (sliding 1 s window), ${CONCURRENCY} concurrent; invoke latency ${INVOKE_LATENCY_MS} ms`);
    console.log(`client limiter:            ${LIMIT}/s, ${CONCURRENCY} in flight`);
    console.log(`invokes:                   ${REQUESTS} (${failures} failed), HTTP invoke attempts ${invokeStarts.length}`);
    console.log(`wall time:                 ${(wallMs / 1000).toFixed(2)} s  (${(REQUESTS / (wallMs / 1000)).toFixed(1)} requests/s incl. the first window's burst)`);
    console.log(`first→last start:          ${spanS.toFixed(2)} s`);
    console.log(`sustained rate:            ${sustained.toFixed(1)} requests/s = (${sorted.length} − ${LIMIT}) / ${slotCycleS.toFixed(3)} s (centroid of the last ${LIMIT} starts − centroid of the first ${LIMIT})`);
    console.log(`max starts in any 1 s (emulator-observed): ${counters.maxStartsInWindow}; max in flight: ${counters.maxInFlight}`);
    console.log(`429s emitted by emulator:  ${emulator429} (rate ${counters.rateLimited.rate}, concurrency ${counters.rateLimited.concurrency})`);
    console.log(`RESULT rate_ratio=${(sustained / LIMIT).toFixed(2)} caller_429=${caller429}`);
  } finally {
    await emulator.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
