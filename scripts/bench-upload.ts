/**
 * `npm run bench:upload` (tsx --conditions=react-server scripts/bench-upload.ts):
 * what big uploads cost the server that also serves the proxy (issue 12, item 2).
 *
 * Starts, and stops at the end (scripts/bench/): a scratch database with
 * an editor and a Text function, a production build in NEXT_DIST_DIR (default
 * `.next-bench-upload`; SKIP_BUILD=1 reuses one), and `next start` with
 * MODELPIN_MEMORY_SAMPLE_FILE, so the server writes its own memory (heapUsed +
 * external + arrayBuffers) and monitorEventLoopDelay maximum every 50 ms.
 *
 * Sends, signed in as the editor, chunked (no Content-Length), generated as it goes:
 * 1. 190 MB of rejected lines ("\0") as a .txt file, `?preview=1`;
 * 2. 190 MB of one duplicate line as a .txt file, saved;
 * 3. 450 MB of form fields (1 MB each), saved;
 * 4. 450 MB in one form field (`text`), saved.
 * For each: the status, the server's memory growth over the sample just before it
 * (largest sample during it) and the largest loop delay during it.
 *
 * Last line: `RESULT heap_growth_mb=<max> loop_delay_max_ms=<max> statuses=<a,b,c>`
 * (goals: < 100, < 200, no 5xx).
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import pg from "pg";
import { hashPassword } from "@/lib/auth/password";
import { repoRoot } from "@/scripts/db/database";
import type { MemorySample } from "@/lib/diagnostics/memory-sampler";
import { startNext, withCleanup } from "./bench/app";
import { appEnv, ensureBuild } from "./bench/build";
import { scratchDatabase } from "./bench/postgres";
import { exitWithMain } from "./cli/args";

const DIST_DIR = process.env.NEXT_DIST_DIR || ".next-bench-upload";
const MB = 2 ** 20;
const EMAIL = "bench-upload@example.com";
const PASSWORD = "bench-upload-password";
const FUNCTION_ID = "function_benchupload";
const BOUNDARY = "modelpinbenchupload";
const log = (line: string) => console.log(`[bench:upload] ${line}`);

async function seed(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const now = new Date();
    await client.query(`INSERT INTO users (id, email, name, role, password_hash, updated_at) VALUES ($1, $2, 'Bench Editor', 'editor', $3, $4)`, [randomUUID(), EMAIL, await hashPassword(PASSWORD), now]);
    await client.query(`INSERT INTO functions (id, name, input_type, output_type, label_count, last_synced_at) VALUES ($1, 'Upload bench', 'Text', 'Classification', 2, $2)`, [FUNCTION_ID, now]);
  } finally {
    await client.end();
  }
}

/** Signs in through Auth.js's credentials callback; returns the Cookie header. */
async function signIn(baseUrl: string): Promise<string> {
  const csrf = await fetch(`${baseUrl}/api/auth/csrf`);
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const jar = csrf.headers.getSetCookie().map((c) => c.split(";")[0]);
  const res = await fetch(`${baseUrl}/api/auth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: jar.join("; "), origin: baseUrl },
    body: new URLSearchParams({ email: EMAIL, password: PASSWORD, csrfToken, callbackUrl: baseUrl }),
  });
  const cookies = [...jar, ...res.headers.getSetCookie().map((c) => c.split(";")[0])];
  if (!cookies.some((c) => c?.includes("session-token"))) throw new Error(`sign-in failed (${res.status})`);
  return cookies.join("; ");
}

type Body = AsyncGenerator<Buffer>;

async function* textFile(line: string, bytes: number): Body {
  yield Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="name"\r\n\r\nbench ${randomUUID()}\r\n`);
  yield Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="bench.txt"\r\nContent-Type: text/plain\r\n\r\n`);
  const chunk = Buffer.from(line.repeat(Math.floor((64 * 1024) / line.length)));
  for (let sent = 0; sent < bytes; sent += chunk.length) yield chunk;
  yield Buffer.from(`\r\n--${BOUNDARY}--\r\n`);
}

async function* fields(count: number): Body {
  const value = "x".repeat(MB - 100);
  for (let i = 0; i < count; i++) yield Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="field${i}"\r\n\r\n${value}\r\n`);
  yield Buffer.from(`--${BOUNDARY}--\r\n`);
}

/** One `text` field of `bytes`. */
async function* bigField(bytes: number): Body {
  yield Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="text"\r\n\r\n`);
  const chunk = Buffer.from("pasted line\n".repeat(5461));
  for (let sent = 0; sent < bytes; sent += chunk.length) yield chunk;
  yield Buffer.from(`\r\n--${BOUNDARY}--\r\n`);
}

/** POSTs a chunked body; stops sending as soon as the server answers. */
function upload(url: string, cookie: string, body: Body): Promise<{ status: number; message: string; sentMb: number }> {
  return new Promise((resolve, reject) => {
    let answered = false;
    let sent = 0;
    const req = http.request(url, { method: "POST", headers: { cookie, origin: new URL(url).origin, "content-type": `multipart/form-data; boundary=${BOUNDARY}`, "transfer-encoding": "chunked" } });
    req.on("response", (res) => {
      answered = true;
      let text = "";
      res.on("data", (d: Buffer) => (text += d.toString()));
      res.on("end", () => {
        req.destroy();
        let message = text.slice(0, 200);
        try {
          const json = JSON.parse(text) as { message?: string; counts?: unknown; preview?: { counts?: unknown } };
          message = JSON.stringify(json.message ?? json.counts ?? json.preview?.counts);
        } catch {
          // not JSON
        }
        resolve({ status: res.statusCode ?? 0, message, sentMb: sent / MB });
      });
    });
    req.on("error", (e) => (answered ? undefined : reject(e)));
    void (async () => {
      for await (const chunk of body) {
        if (answered || req.destroyed) return;
        sent += chunk.length;
        if (!req.write(chunk)) await new Promise((r) => req.once("drain", r));
      }
      if (!answered) req.end();
    })().catch(() => undefined);
  });
}

function samples(file: string): MemorySample[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as MemorySample);
}

async function main(): Promise<number> {
  process.chdir(repoRoot());
  return withCleanup(async (defer) => {
    const db = await scratchDatabase("bench-upload", log);
    defer(db.stop);
    await seed(db.url);
    const sampleFile = path.resolve(".data", `bench-upload-memory-${process.pid}.jsonl`);
    const env = appEnv({ DATABASE_URL: db.url, MODELPIN_WORKERS: "off", MODELPIN_MEMORY_SAMPLE_FILE: sampleFile });
    await ensureBuild(env, { distDir: DIST_DIR, log, reuseAny: process.env.SKIP_BUILD === "1" });
    const server = await startNext(DIST_DIR, env, log);
    defer(server.stop);
    const cookie = await signIn(server.baseUrl);
    const base = `${server.baseUrl}/api/functions/${FUNCTION_ID}/sample-sets`;
    const cases: Array<[string, string, () => Body]> = [
      ["190 MB of rejected lines (preview)", `${base}?preview=1`, () => textFile("\u0000\n", 190 * MB)],
      ["190 MB of duplicate lines (save)", base, () => textFile("the very same line\n", 190 * MB)],
      ["450 MB of fields (1 MB each), chunked (save)", base, () => fields(450)],
      ["450 MB in one field, chunked (save)", base, () => bigField(450 * MB)],
    ];
    let growthMax = 0;
    let delayMax = 0;
    const statuses: number[] = [];
    for (const [name, url, body] of cases) {
      await new Promise((r) => setTimeout(r, 1500));
      const t0 = Date.now();
      const before = samples(sampleFile).filter((s) => s.t < t0).at(-1);
      const result = await upload(url, cookie, body());
      await new Promise((r) => setTimeout(r, 300));
      const during = samples(sampleFile).filter((s) => s.t >= t0);
      if (!before || during.length === 0) throw new Error("the server wrote no memory samples");
      const growth = Math.max(...during.map((s) => s.memoryMb)) - before.memoryMb;
      const delay = Math.max(...during.map((s) => s.loopDelayMaxMs));
      growthMax = Math.max(growthMax, growth);
      delayMax = Math.max(delayMax, delay);
      statuses.push(result.status);
      log(`${name}: ${result.status} ${result.message} after ${result.sentMb.toFixed(0)} MB sent in ${((Date.now() - t0) / 1000).toFixed(1)} s; memory +${growth.toFixed(1)} MB, loop delay max ${delay.toFixed(0)} ms`);
    }
    console.log(`RESULT heap_growth_mb=${growthMax.toFixed(1)} loop_delay_max_ms=${delayMax.toFixed(0)} statuses=${statuses.join(",")}`);
    return statuses.some((s) => s >= 500) ? 1 : 0;
  });
}

exitWithMain(main);
