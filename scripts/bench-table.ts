/**
 * `npm run bench:table` (tsx --conditions=react-server scripts/bench-table.ts):
 * the comparison report's sample table with 10,000 rows, in Debian Chromium.
 *
 * - A scratch database (DATABASE_URL's server, or a throw-away embedded
 *   PostgreSQL in .data/bench-table when DATABASE_URL is unset), migrations.
 * - Seeds an editor, a text function, a 10,000-sample set with ground truth,
 *   and a finished run whose 20,000 results are inserted directly: realistic
 *   labels (A ≈ 85 % right, B agrees with A on ≈ 90 %), confidences and
 *   latencies, and ≈ 0.3 % failures per side.
 * - Builds the app into NEXT_DIST_DIR (default .next-bench-table) unless a build
 *   there is newer than the sources, then `next start` on a free port.
 * - Chromium (Playwright's library API), 1400×900, signs in, opens the report
 *   once to warm up, then RUNS times:
 *   table_ready_ms = the `samples-table-ready` performance mark's startTime,
 *     i.e. ms from navigation start until the frame after the table first
 *     rendered rows from the loaded data (the component sets the mark in a
 *     requestAnimationFrame after that commit);
 *   scroll_fps = requestAnimationFrame callbacks per second while a rAF loop
 *     scrolls the table's scroll container from top to bottom over 3 s.
 *   Medians are reported.
 *
 * Also printed: the server's time for the report HTML and the rows JSON, each
 * load's breakdown (TTFB, DOMContentLoaded, when the rows JSON was fetched),
 * each scroll's longest frame, and Chrome's own counters (script, style,
 * layout) for one more scroll.
 *
 * Last line: RESULT table_ready_ms=<n> scroll_fps=<n> (goals ≤ 1000 and ≥ 50).
 * Options: --rows 10000 --runs 5 --scroll-ms 3000
 */
import { randomUUID } from "node:crypto";
import pg from "pg";
import { hashPassword } from "@/lib/auth/password";
import { repoRoot } from "@/scripts/db/database";
import { percentile } from "@/lib/compare/stats";
import { mulberry32 } from "@/scripts/testing/random";
import { launchChromium, signIn, startNext, withCleanup } from "./bench/app";
import { cliOptions, exitWithMain } from "./cli/args";
import { appEnv, ensureBuild } from "./bench/build";
import { scratchDatabase } from "./bench/postgres";

const args = cliOptions({
  rows: { type: "string", default: "10000" },
  runs: { type: "string", default: "5" },
  "scroll-ms": { type: "string", default: "3000" },
});
const ROWS = Number(args.rows);
const RUNS = Number(args.runs);
const SCROLL_MS = Number(args["scroll-ms"]);
const DIST_DIR = process.env.NEXT_DIST_DIR || ".next-bench-table";
const log = (line: string) => console.log(`[bench:table] ${line}`);

const EMAIL = "bench-editor@modelpin.local";
const PASSWORD = "bench-table-password";
const FUNCTION_ID = "function_benchtable000001";
const LABELS = ["Billing", "Technical issue", "Account access", "Refund request", "Feature request", "Shipping", "Cancellation"];
const TEMPLATES: Record<string, string[]> = {
  Billing: ["I was charged twice for my subscription in {m}", "Why is my invoice {n} higher than last month?", "Please update the card on file for order {n}"],
  "Technical issue": ["The app crashes when I open the reports tab ({n})", "Export fails with error {n} since the update", "Dashboard is very slow to load today, ticket {n}"],
  "Account access": ["I can't log in after resetting my password ({n})", "My account is locked after too many 2FA attempts", "Please change the username on account {n}"],
  "Refund request": ["I'd like my money back for order {n}", "Refund the duplicate payment from {m}, please", "Return and reimburse item {n}, it arrived broken"],
  "Feature request": ["It would be nice to export to Excel ({n})", "Please add dark mode to the mobile app", "Could you add SSO for our team of {k}?"],
  Shipping: ["Where is my parcel {n}? It has been a week", "Tracking for order {n} has not moved since {m}", "Can I change the delivery address of {n}?"],
  Cancellation: ["Please cancel my plan at the end of {m}", "How do I close account {n}?", "Stop auto-renewal for subscription {n}"],
};
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

async function seed(url: string): Promise<{ runId: string; disagreements: number; failures: number }> {
  const rnd = mulberry32(7);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const other = (label: string) => pick(LABELS.filter((l) => l !== label));
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const now = new Date();
    const userId = randomUUID();
    await client.query(`INSERT INTO users (id, email, name, role, password_hash, updated_at) VALUES ($1, $2, 'Bench Editor', 'editor', $3, $4)`, [userId, EMAIL, await hashPassword(PASSWORD), now]);
    await client.query(`INSERT INTO functions (id, name, input_type, output_type, label_count, last_synced_at) VALUES ($1, 'Support ticket triage (bench)', 'Text', 'Classification', $2, $3)`, [
      FUNCTION_ID,
      LABELS.length,
      now,
    ]);
    const setId = randomUUID();
    const runId = randomUUID();
    const ids: string[] = [];
    const positions: number[] = [];
    const texts: string[] = [];
    const truths: Array<string | null> = [];
    const hashes: string[] = [];
    const results: Array<[string, string, boolean, string | null, number | null, number | null, string | null]> = [];
    let disagreements = 0;
    let failures = 0;
    let textBytes = 0;
    for (let i = 1; i <= ROWS; i++) {
      const truth = pick(LABELS);
      const text = pick(TEMPLATES[truth]!)
        .replace("{n}", String(10_000 + Math.floor(rnd() * 90_000)))
        .replace("{m}", pick(MONTHS))
        .replace("{k}", String(2 + Math.floor(rnd() * 200)));
      const id = randomUUID();
      ids.push(id);
      positions.push(i);
      texts.push(`${text} (#${i})`);
      textBytes += Buffer.byteLength(texts[i - 1]!);
      truths.push(rnd() < 0.9 ? truth : null);
      hashes.push(`bench-${i}`);
      const aLabel = rnd() < 0.85 ? truth : other(truth);
      // B disagrees with A on ~10%: more often fixing A's mistake or breaking a right answer than drifting between wrong labels.
      const bLabel = rnd() < 0.9 ? aLabel : rnd() < 0.6 ? (truth === aLabel ? other(truth) : truth) : other(aLabel);
      const conf = (agree: boolean) => Math.min(0.99, (agree ? 0.7 : 0.45) + rnd() * 0.3);
      const ms = () => Math.round(40 + Math.exp(rnd() * 5.5));
      const aFails = rnd() < 0.003;
      const bFails = rnd() < 0.003;
      failures += Number(aFails) + Number(bFails);
      if (!aFails && !bFails && aLabel !== bLabel) disagreements++;
      const error = 'Nyckel kept answering "too many requests" (429) after retries. Try again in a minute.';
      results.push(aFails ? [id, "a", false, null, null, null, error] : [id, "a", true, aLabel, conf(aLabel === bLabel), ms(), null]);
      results.push(bFails ? [id, "b", false, null, null, null, error] : [id, "b", true, bLabel, conf(aLabel === bLabel), ms(), null]);
    }
    await client.query(
      `INSERT INTO sample_sets (id, function_id, name, sample_count, labeled_count, duplicate_count, rejected_count, total_bytes, kinds, created_by_id, created_by_label, updated_at)
       VALUES ($1, $2, 'Tickets (10,000)', $3, $4, 0, 0, $5, ARRAY['text'], $6, $7, $8)`,
      [setId, FUNCTION_ID, ROWS, truths.filter(Boolean).length, textBytes, userId, EMAIL, now],
    );
    for (let at = 0; at < ROWS; at += 2000) {
      const end = Math.min(ROWS, at + 2000);
      await client.query(
        `INSERT INTO samples (id, sample_set_id, position, kind, text, label, content_hash, source_row)
         SELECT id, $1, position, 'text', text, label, hash, position FROM unnest($2::uuid[], $3::int[], $4::text[], $5::text[], $6::text[]) AS t(id, position, text, label, hash)`,
        [setId, ids.slice(at, end), positions.slice(at, end), texts.slice(at, end), truths.slice(at, end), hashes.slice(at, end)],
      );
    }
    await client.query(
      `INSERT INTO comparison_runs (id, function_id, sample_set_id, model_a, model_a_label, model_b, model_b_label, status, total, created_by_id, created_by_label, created_at, started_at, finished_at)
       VALUES ($1, $2, $3, 'model_benchold000001', 'March retrain (model_benchold000001)', 'model_benchnew000002', 'June retrain (model_benchnew000002)', 'finished', $4, $5, $6, $7, $7, $7)`,
      [runId, FUNCTION_ID, setId, ROWS, userId, EMAIL, now],
    );
    for (let at = 0; at < results.length; at += 4000) {
      const chunk = results.slice(at, at + 4000);
      await client.query(
        `INSERT INTO comparison_results (run_id, sample_id, side, ok, label_name, confidence, latency_ms, error, attempts)
         SELECT $1, sample_id, side, ok, label_name, confidence, latency_ms, error, 1
         FROM unnest($2::uuid[], $3::text[], $4::bool[], $5::text[], $6::float8[], $7::int[], $8::text[]) AS t(sample_id, side, ok, label_name, confidence, latency_ms, error)`,
        [runId, ...[0, 1, 2, 3, 4, 5, 6].map((k) => chunk.map((r) => r[k]))],
      );
    }
    await client.query("ANALYZE");
    return { runId, disagreements, failures };
  } finally {
    await client.end();
  }
}

type ScrollStats = { frames: number; elapsed: number; worst: number; slow: number; max: number; lastRow: string | null; rendered: number };

/**
 * The scroll measurement, as source text run in the page (a string, so the
 * bundler's helpers cannot leak into it): a requestAnimationFrame loop sets the
 * table's scrollTop from top to bottom over `durationMs`, counting frames.
 */
function scrollScript(durationMs: number): string {
  return `(async () => {
    const el = document.querySelector('[data-testid="samples-scroll"]');
    el.scrollTop = 0;
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    const max = el.scrollHeight - el.clientHeight;
    return await new Promise((resolve) => {
      let start = -1, last = 0, frames = 0, worst = 0, slow = 0;
      function step(now) {
        if (start < 0) start = now;
        else {
          frames++;
          worst = Math.max(worst, now - last);
          if (now - last > 20) slow++;
        }
        last = now;
        const p = Math.min(1, (now - start) / ${durationMs});
        el.scrollTop = p * max;
        if (p < 1) requestAnimationFrame(step);
        else settle(now - start, 0);
      }
      // After the last scroll, give the table up to 60 frames to render the bottom rows (not counted above).
      function settle(elapsed, waited) {
        requestAnimationFrame(() => {
          const rows = el.querySelectorAll('[data-testid="sample-row"]');
          const lastRow = rows.length ? rows[rows.length - 1].getAttribute("data-position") : null;
          if (lastRow !== ${JSON.stringify(String(ROWS))} && waited < 60) settle(elapsed, waited + 1);
          else resolve({ frames, elapsed, worst, slow, max, lastRow, rendered: rows.length });
        });
      }
      requestAnimationFrame(step);
    });
  })()`;
}

const median = (xs: number[]) => percentile(xs, 50);

async function main(): Promise<number> {
  process.chdir(repoRoot());
  return withCleanup(async (defer) => {
    const db = await scratchDatabase("bench-table", log);
    defer(db.stop);
    const t = performance.now();
    const seeded = await seed(db.url);
    log(`seeded a finished run of ${ROWS.toLocaleString("en")} samples (${seeded.disagreements} disagreements, ${seeded.failures} failed sides) in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    const env = appEnv({ DATABASE_URL: db.url, MODELPIN_WORKERS: "off" });
    await ensureBuild(env, { distDir: DIST_DIR, log, reuseAny: process.env.SKIP_BUILD === "1" });
    const server = await startNext(DIST_DIR, env, log);
    defer(server.stop);
    const browser = await launchChromium();
    defer(() => browser.close());
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    await signIn(page, server.baseUrl, EMAIL, PASSWORD);
    const url = `${server.baseUrl}/comparisons/${seeded.runId}`;

    const load = async () => {
      await page.goto(url, { waitUntil: "commit" });
      await page.waitForFunction(() => performance.getEntriesByName("samples-table-ready").length > 0, null, { timeout: 60_000, polling: 50 });
      return page.evaluate(() => {
        const nav = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming;
        const rows = performance.getEntriesByType("resource").find((e) => e.name.endsWith("/samples")) as PerformanceResourceTiming | undefined;
        return {
          ready: performance.getEntriesByName("samples-table-ready")[0]!.startTime,
          ttfb: nav.responseStart,
          domContentLoaded: nav.domContentLoadedEventEnd,
          rowsFetchStart: rows?.startTime ?? NaN,
          rowsFetchEnd: rows?.responseEnd ?? NaN,
          rowsBytes: rows?.encodedBodySize ?? NaN,
          rowsDecoded: rows?.decodedBodySize ?? NaN,
          rendered: document.querySelectorAll('[data-testid="sample-row"]').length,
          count: document.querySelector('[data-testid="samples-count"]')?.textContent ?? "",
        };
      });
    };
    // Server side alone (no browser work): the report's HTML and the rows' JSON, median of 3.
    const timed = async (path: string) => {
      const times: number[] = [];
      let body: Buffer = Buffer.alloc(0);
      for (let i = 0; i < 3; i++) {
        const t0 = performance.now();
        const res = await page.request.get(`${server.baseUrl}${path}`);
        body = await res.body();
        if (!res.ok()) throw new Error(`${path} answered ${res.status()}`);
        times.push(performance.now() - t0);
      }
      return { text: `${median(times).toFixed(0)} ms (${(body.byteLength / 1024).toFixed(0)} KB)`, body: body.toString() };
    };
    const html = await timed(`/comparisons/${seeded.runId}`);
    const preloadTag = /<link[^>]*\/samples"[^>]*>/.exec(html.body)?.[0];
    const preloaded = preloadTag?.includes('rel="preload"') ?? false;
    log(`server: report HTML ${html.text} (rows preload hint: ${preloaded ? "yes" : "no"}), rows JSON ${(await timed(`/api/comparisons/${seeded.runId}/samples`)).text}`);
    log("warm-up load");
    const warm = await load();
    log(`  count line: "${warm.count}", ${warm.rendered} rows in the DOM`);
    if (!warm.count.includes(`of ${ROWS.toLocaleString("en")} samples`)) throw new Error(`the table did not load ${ROWS} rows: "${warm.count}"`);

    const ready: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const m = await load();
      ready.push(m.ready);
      log(
        `  load ${i + 1}: table ready ${m.ready.toFixed(0)} ms (TTFB ${m.ttfb.toFixed(0)} ms, DOMContentLoaded ${m.domContentLoaded.toFixed(0)} ms, ` +
          `rows JSON ${m.rowsFetchStart.toFixed(0)}–${m.rowsFetchEnd.toFixed(0)} ms, ${(m.rowsBytes / 1024).toFixed(0)} KB on the wire / ${(m.rowsDecoded / 1024).toFixed(0)} KB), ${m.rendered} rows in the DOM`,
      );
    }

    const fps: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const s = (await page.evaluate(scrollScript(SCROLL_MS))) as ScrollStats;
      const f = s.frames / (s.elapsed / 1000);
      fps.push(f);
      log(
        `  scroll ${i + 1}: ${s.frames} frames in ${s.elapsed.toFixed(0)} ms over ${(s.max / 1000).toFixed(0)}k px = ${f.toFixed(1)} fps; ` +
          `longest frame ${s.worst.toFixed(1)} ms, ${s.slow} frames over 20 ms; at the bottom row #${s.lastRow} (${s.rendered} rows in the DOM)`,
      );
      if (s.lastRow !== String(ROWS)) throw new Error(`the last row was not rendered at the bottom (got #${s.lastRow})`);
    }

    // Where a scroll's time goes (Chrome's own counters, one more scroll): script, style, layout, all tasks.
    const cdp = await context.newCDPSession(page);
    await cdp.send("Performance.enable");
    const metrics = async () => Object.fromEntries(((await cdp.send("Performance.getMetrics")).metrics as Array<{ name: string; value: number }>).map((m) => [m.name, m.value]));
    const before = await metrics();
    const extra = (await page.evaluate(scrollScript(SCROLL_MS))) as ScrollStats;
    const after = await metrics();
    const spent = (name: string) => `${((after[name]! - before[name]!) * 1000).toFixed(0)} ms`;
    log(
      `  in one more scroll (${extra.frames} frames): script ${spent("ScriptDuration")}, style ${spent("RecalcStyleDuration")}, layout ${spent("LayoutDuration")}, ` +
        `all main-thread tasks ${spent("TaskDuration")} of ${extra.elapsed.toFixed(0)} ms`,
    );

    const readyMs = Math.round(median(ready));
    const scrollFps = Math.round(median(fps) * 10) / 10;
    log(`median of ${RUNS}: table ready ${readyMs} ms (goal ≤ 1000), scrolling ${scrollFps} fps (goal ≥ 50); stopping what was started`);
    result = `RESULT table_ready_ms=${readyMs} scroll_fps=${scrollFps}`;
    return 0;
  });
}

let result = "";

exitWithMain(async () => {
  const code = await main();
  if (result) console.log(result); // the last line, after everything was stopped
  return code;
});
