import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test } from "./fixtures/test";
import { unique } from "./fixtures/pins";
import { runTsx } from "../scripts/testing/run-tsx";

/**
 * The pipeline CLI (/cli.mjs, issue 19) against the running server, without a
 * browser: downloaded from Modelpin into an empty directory and run with plain
 * Node, as a CI job would. A NEW environment (1 approval, an evidence gate) on
 * churn-risk, made with the app's services (scripts/testing/cli-world.ts); the
 * human decision the pipeline waits for is an approver's, made the same way.
 * Then the README's shell example (docs/ci/promote.sh) runs end to end.
 */

test.skip(!process.env.NYCKEL_EMULATOR_URL, "NYCKEL_EMULATOR_URL is not set (run through npm test)");
test.describe.configure({ mode: "serial" });

type World = { slug: string; token: string; tokenName: string; functionId: string; modelIds: string[] };
type Run = { code: number | null; stdout: string; stderr: string; combined: string };

let world: World;
let dir: string;
let env: NodeJS.ProcessEnv;

async function tsx(args: string[]) {
  const out = await runTsx("scripts/testing/cli-world.ts", args);
  expect(out.code, out.stderr).toBe(0);
  return JSON.parse(out.stdout) as Record<string, unknown>;
}

function run(command: string, args: string[], onStderr?: (text: string) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let combined = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
      combined += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
      combined += c.toString();
      onStderr?.(stderr);
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr, combined }));
  });
}

const cli = (...args: string[]) => run(process.execPath, ["cli.mjs", ...args]);

const CSV = ["plan,seats,logins_last_30d,tenure_months", ...Array.from({ length: 24 }, (_, i) => `${i % 3 ? "pro" : "free"},${i + 2},${(i * 7) % 31},${(i * 5) % 48}`)].join("\n");

test.beforeAll(async ({ baseURL }) => {
  test.setTimeout(120_000);
  world = (await tsx(["setup", unique("cli-").toLowerCase().slice(0, 40), "churn-risk"])) as unknown as World;
  dir = mkdtempSync(path.join(tmpdir(), "modelpin-cli-"));
  writeFileSync(path.join(dir, "samples.csv"), CSV);
  // Only what a CI job has: no NODE_OPTIONS, no DATABASE_URL, no checkout.
  env = { NODE_ENV: "production", PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, MODELPIN_URL: baseURL!, MODELPIN_TOKEN: world.token, MODELPIN_ENVIRONMENT: world.slug };
});

test("the CLI is served by Modelpin and drives register → upload → compare → request → a human decision", async ({ request, baseURL }) => {
  test.setTimeout(180_000);
  const served = await request.get("/cli.mjs");
  expect(served.status()).toBe(200);
  writeFileSync(path.join(dir, "cli.mjs"), await served.body());
  expect((await cli("help")).stdout).toContain("Usage: node cli.mjs <command>");

  // Models are per function, shared with the specs running beside this one (first-choices.spec registers
  // churn-risk's), and the sync discovers Nyckel's current one: new here or already registered, both exit 0.
  const [base, candidate, other] = [world.modelIds[0]!, world.modelIds[1]!, world.modelIds[2]!];
  const registered = await cli("register", world.functionId, candidate, "--nickname", "CI candidate");
  expect(registered.code, registered.stderr).toBe(0);
  expect(registered.stdout).toMatch(new RegExp(`^(Registered: ${candidate} \\(CI candidate\\)|Already registered: ${candidate} \\(.*\\)) for ${world.functionId}\n$`));
  const again = await cli("register", world.functionId, candidate, "--json");
  expect(again.code).toBe(0);
  expect(JSON.parse(again.stdout)).toMatchObject({ modelId: candidate, created: false });
  await cli("register", world.functionId, other);

  const uploaded = await cli("upload", world.functionId, "--name", unique("cli set "), "samples.csv");
  expect(uploaded.code, uploaded.stderr).toBe(0);
  expect(uploaded.stdout).toMatch(/^[0-9a-f-]{36}\t24 samples \(0 labeled, 0 duplicates, 0 rejected\)\n$/);
  const setId = uploaded.stdout.split("\t")[0]!;

  // Passing the gate: exit 0, progress on stderr, the summary on stdout.
  const passed = await cli("compare", world.functionId, "--samples", setId, "--a", `pinned:${world.slug}`, "--b", candidate, "--wait", "--interval", "0.5");
  expect(passed.code, passed.stderr).toBe(0);
  expect(passed.stderr).toMatch(/Started comparison [0-9a-f-]{36}\./);
  expect(passed.stderr).toMatch(/finished: 24\/24 samples/);
  expect(passed.stdout).toContain(`gate of ${world.slug}: PASSED`);
  expect(passed.stdout).toContain(`model A ${base}  vs  model B ${candidate}`);
  const runId = /^Comparison ([0-9a-f-]{36}): finished/.exec(passed.stdout)![1]!;

  // Not evidence for this environment (neither side is its pin): exit 1, machine-readable with --json.
  const failed = await cli("compare", world.functionId, "--samples", setId, "--a", other, "--b", candidate, "--wait", "--interval", "0.5", "--json");
  expect(failed.code, failed.stderr).toBe(1);
  expect(JSON.parse(failed.stdout)).toMatchObject({ status: "finished", gate: { environment: world.slug, passed: false, rule: "other_models" } });

  // Errors: exit 2 with the server's message.
  const elsewhere = await cli("compare", world.functionId, "--samples", setId, "--a", "pinned:production", "--b", candidate);
  expect(elsewhere).toMatchObject({ code: 2, stdout: "" });
  expect(elsewhere.stderr).toContain(`403 forbidden: This token belongs to the environment "${world.slug}"`);
  const noGate = await cli("request", world.functionId, "--target", candidate, "--reason", "no evidence");
  expect(noGate.code).toBe(2);
  expect(noGate.stderr).toContain("422 gate_refused [no_run]");

  const opened = await cli("request", world.functionId, "--target", candidate, "--reason", "CI: nightly retrain", "--evidence", runId);
  expect(opened.code, opened.stderr).toBe(0);
  const requestId = opened.stdout.split("\t")[0]!;
  expect(opened.stdout).toContain(`#`);
  expect(opened.stdout).toContain(`pending, needs 1 approval: ${baseURL}/promotions/${requestId}`);

  // status --wait waits for the human decision, then exits 0 with the applied pin version.
  const waiting = run(process.execPath, ["cli.mjs", "status", requestId, "--wait", "--interval", "0.5"]);
  await expect.poll(async () => (await cli("status", requestId)).stdout).toContain("pending, 0/1 approvals");
  const decided = await tsx(["approve", requestId]);
  expect(decided).toMatchObject({ status: "applied" });
  const result = await waiting;
  expect(result.code, result.stderr).toBe(0);
  expect(result.stderr).toContain("pending: 0/1 approvals — waiting for a decision");
  expect(result.stdout).toContain("applied, pin version 2, 1/1 approvals");
  expect(result.stdout).toContain(`approve by ${decided.approver as string}: Evidence looks good.`);

  const pins = await cli("pins", "--function", world.functionId);
  expect(pins).toMatchObject({ code: 0, stdout: `${world.functionId}\t${candidate}\tv2\t\n` });
});

test("the README's shell example runs a whole pipeline: it exits 0 once a person approved", async () => {
  test.setTimeout(180_000);
  const [base] = world.modelIds;
  // Back to the oldest model: the example promotes it again, against the new pin.
  env = { ...env, FUNCTION_ID: world.functionId, MODEL_ID: base!, SAMPLES: "samples.csv", POLL_SECONDS: "0.5" };
  let approved = false;
  const pipeline = run("bash", [path.resolve("docs/ci/promote.sh")], (stderr) => {
    const m = /Promotion request: ([0-9a-f-]{36})/.exec(stderr);
    if (m && !approved) {
      approved = true;
      void tsx(["approve", m[1]!]);
    }
  });
  const result = await pipeline;
  expect(result.code, result.stderr).toBe(0);
  expect(result.stdout).toMatch(/registered: /i);
  expect(result.stdout).toContain(`gate of ${world.slug}: PASSED`);
  expect(result.stdout).toMatch(/Request #\d+ .*: applied, pin version 3/);
  // The run's output as a terminal shows it (stdout and stderr interleaved), for the closing note.
  if (process.env.CLI_RUN_TRANSCRIPT) writeFileSync(process.env.CLI_RUN_TRANSCRIPT, `$ bash docs/ci/promote.sh\n${result.combined}`);
});
