#!/usr/bin/env node
// Modelpin CLI for pipelines (issue 19). One file, Node 20 or newer, no packages:
//
//   curl -sO "$MODELPIN_URL/cli.mjs" && node cli.mjs help
//
// Reads MODELPIN_URL (this Modelpin) and MODELPIN_TOKEN (an environment API token
// with the scopes the commands need: evaluate, request, read). Progress goes to
// stderr, results to stdout; --json prints the API's answers as JSON instead.
//
// Exit codes: 0 success (compare --wait: the run passes the evidence gate of the
// token's environment; status --wait: the request was applied); 1 the run does not
// pass the gate, or the request ended without being applied; 2 errors (bad
// arguments, HTTP errors, timeouts).
import { openAsBlob } from "node:fs";
import { basename } from "node:path";
import { parseArgs } from "node:util";

const USAGE = `Usage: node cli.mjs <command> [options]   (MODELPIN_URL and MODELPIN_TOKEN must be set)

Commands:
  pins [--environment <slug>] [--function <id>]
        The environment's pins (scope read). The environment: --environment, or MODELPIN_ENVIRONMENT.
  register <functionId> <modelId> [--nickname <text>] [--notes <text>]
        Register a Nyckel model id for a function; Modelpin checks it with Nyckel (scope evaluate).
  upload <functionId> --name <name> <file>...
        Upload a sample set: images, text (one sample per line), CSV or JSONL (scope evaluate).
  compare <functionId> --samples <sampleSetId> --a <model> --b <model> [--wait] [--timeout <seconds>]
        Start a comparison run; a model is a registered model id, latest, or pinned:<environment>
        (the token's own). With --wait: progress on stderr, a summary on stdout; exit 0 when the run
        passes the evidence gate of the token's environment, 1 when it does not (scope evaluate).
  request <functionId> --target <modelId|latest> --reason <text> [--evidence <comparisonId>] [--environment <slug>]
        Ask for a promotion in the token's environment; people approve it (scope request).
  status <requestId> [--wait] [--timeout <seconds>] [--cancel]
        A promotion request's status and decisions. With --wait: until it is decided; exit 0 when
        applied, 1 when rejected, cancelled, expired or stale. --cancel cancels it (scope request).

Options: --json (machine-readable output), --interval <seconds> (polling, default 2), help.`;

class CliError extends Error {}

function fail(message) {
  throw new CliError(message);
}

/** parseArgs options of one type, from their names. */
function optionsOf(type, names) {
  return Object.fromEntries(names.map((name) => [name, { type }]));
}

const OPTIONS = {
  ...optionsOf("boolean", ["json", "wait", "cancel"]),
  help: { type: "boolean", short: "h" },
  ...optionsOf("string", ["environment", "function", "nickname", "notes", "name", "samples", "a", "b", "target", "reason", "evidence", "timeout", "interval"]),
};

function config() {
  const url = (process.env.MODELPIN_URL ?? "").trim().replace(/\/+$/, "");
  const token = (process.env.MODELPIN_TOKEN ?? "").trim();
  if (!/^https?:\/\/[^\s]+$/.test(url)) fail("Set MODELPIN_URL to this Modelpin's address, e.g. https://modelpin.example.com.");
  if (!token) fail("Set MODELPIN_TOKEN to an environment API token (Settings → API tokens, or npm run token:create).");
  return { url, token };
}

async function api(method, path, body) {
  const { url, token } = config();
  const headers = { authorization: `Bearer ${token}`, accept: "application/json", "user-agent": "modelpin-cli/1" };
  let payload;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers["content-type"] = "application/json";
    payload = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(`${url}${path}`, { method, headers, body: payload });
  } catch (e) {
    fail(`Could not reach ${url}: ${e.cause?.message ?? e.message}`);
  }
  const text = await res.text();
  let json;
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    fail(`${method} ${path} answered ${res.status} with something that is not JSON: ${text.slice(0, 200)}`);
  }
  if (!res.ok) {
    const error = json.error ?? {};
    const fields = error.fieldErrors ? ` (${Object.entries(error.fieldErrors).map(([k, v]) => `${k}: ${v.join(" ")}`).join("; ")})` : "";
    fail(`${res.status} ${error.code ?? "error"}${error.rule ? ` [${error.rule}]` : ""}: ${error.message ?? text.slice(0, 200)}${fields}`);
  }
  return json;
}

const enc = encodeURIComponent;
const pct = (rate) => (rate === null || rate === undefined ? "n/a" : `${(rate * 100).toFixed(1)}%`);
const log = (line) => process.stderr.write(`${line}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function seconds(value, fallback, flag) {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) fail(`--${flag} is a number of seconds, got "${value}".`);
  return n;
}

function need(value, what) {
  if (value === undefined || value === "") fail(`${what} is required. Run \`node cli.mjs help\`.`);
  return value;
}

function environmentOf(values) {
  return need(values.environment ?? process.env.MODELPIN_ENVIRONMENT, "--environment <slug> (or MODELPIN_ENVIRONMENT)");
}

function out(values, json, text) {
  process.stdout.write(values.json ? `${JSON.stringify(json, null, 2)}\n` : `${text}\n`);
}

async function pins(values) {
  const environment = environmentOf(values);
  const path = `/api/v1/environments/${enc(environment)}/pins${values.function ? `/${enc(values.function)}` : ""}`;
  const answer = await api("GET", path);
  const rows = answer.pins ?? [{ ...answer, functionName: "" }];
  out(values, answer, rows.map((p) => `${p.functionId}\t${p.modelId ?? "latest"}\tv${p.version}\t${p.functionName ?? ""}`).join("\n"));
  return 0;
}

async function register(values, [functionId, modelId]) {
  need(functionId, "<functionId>");
  need(modelId, "<modelId>");
  const answer = await api("POST", `/api/v1/functions/${enc(functionId)}/models`, { modelId, nickname: values.nickname, notes: values.notes });
  out(values, answer, `${answer.created ? "Registered" : "Already registered"}: ${answer.modelId} (${answer.nickname}) for ${answer.functionId}${answer.retired ? ", retired" : ""}${answer.verified === false ? ` — not verified: ${answer.verificationNote ?? "Nyckel could not be asked"}` : ""}`);
  return 0;
}

async function upload(values, [functionId, ...files]) {
  need(functionId, "<functionId>");
  const name = need(values.name, "--name <name>");
  if (!files.length) fail("Name at least one file to upload.");
  const form = new FormData();
  form.set("name", name);
  for (const file of files) {
    let blob;
    try {
      blob = await openAsBlob(file);
    } catch (e) {
      fail(`Cannot read ${file}: ${e.message}`);
    }
    form.append("files", blob, basename(file));
  }
  log(`Uploading ${files.length} file${files.length === 1 ? "" : "s"} as "${name}"…`);
  const answer = await api("POST", `/api/v1/functions/${enc(functionId)}/sample-sets`, form);
  for (const r of answer.rejected ?? []) log(`  rejected ${r.source}${r.row ? ` row ${r.row}` : ""}: ${r.reason}`);
  const c = answer.counts;
  out(values, answer, `${answer.id}\t${c.samples} samples (${c.labeled} labeled, ${c.duplicates} duplicates, ${c.rejected} rejected)`);
  return 0;
}

function summary(run) {
  const lines = [
    `Comparison ${run.id}: ${run.status}, ${run.done}/${run.total} samples, ${run.failed} failed`,
    `  model A ${run.modelA ?? "latest"}  vs  model B ${run.modelB ?? "latest"}`,
    `  agreement ${pct(run.agreement.rate)} (95% CI ${pct(run.agreement.low)}–${pct(run.agreement.high)}, n = ${run.agreement.n})`,
  ];
  if (run.accuracy) lines.push(`  accuracy A ${pct(run.accuracy.a)}, B ${pct(run.accuracy.b)} (n = ${run.accuracy.n})`);
  lines.push(`  gate of ${run.gate.environment}: ${run.gate.passed ? "PASSED" : `NOT PASSED (${run.gate.rule})`} — ${run.gate.message}`);
  lines.push(`  report ${run.reportUrl}`);
  return lines.join("\n");
}

const FINAL_RUN = new Set(["finished", "failed", "cancelled"]);

async function compare(values, [functionId]) {
  need(functionId, "<functionId>");
  const body = { sampleSetId: need(values.samples, "--samples <sampleSetId>"), modelA: need(values.a, "--a <model>"), modelB: need(values.b, "--b <model>") };
  const started = await api("POST", `/api/v1/functions/${enc(functionId)}/comparisons`, body);
  log(`Started comparison ${started.id}.`);
  if (!values.wait) {
    out(values, started, started.id);
    return 0;
  }
  const deadline = Date.now() + seconds(values.timeout, 3600, "timeout") * 1000;
  const every = seconds(values.interval, 2, "interval") * 1000;
  let last = "";
  for (;;) {
    const run = await api("GET", `/api/v1/comparisons/${enc(started.id)}`);
    const line = `${run.status}: ${run.done}/${run.total} samples${run.failed ? `, ${run.failed} failed` : ""}, agreement ${pct(run.agreement.rate)}`;
    if (line !== last) log(line);
    last = line;
    if (FINAL_RUN.has(run.status)) {
      out(values, run, summary(run));
      return run.status === "finished" && run.gate.passed ? 0 : 1;
    }
    if (Date.now() > deadline) fail(`The comparison did not finish within --timeout; it goes on: ${run.reportUrl}`);
    await sleep(every);
  }
}

async function request(values, [functionId]) {
  need(functionId, "<functionId>");
  const environment = environmentOf(values);
  const body = {
    functionId,
    targetModelId: need(values.target, "--target <modelId|latest>"),
    reason: need(values.reason, "--reason <text>"),
    evidenceComparisonId: values.evidence ?? null,
  };
  const answer = await api("POST", `/api/v1/environments/${enc(environment)}/promotion-requests`, body);
  log(answer.gate.message);
  out(values, answer, `${answer.id}\t#${answer.number} ${answer.status}, needs ${answer.approvalsRequired} approval${answer.approvalsRequired === 1 ? "" : "s"}: ${answer.url}`);
  return 0;
}

function describeRequest(r) {
  const decisions = r.decisions.map((d) => `  ${d.decision} by ${d.by}${d.comment ? `: ${d.comment}` : ""}`);
  const applied = r.appliedVersion !== null ? `, pin version ${r.appliedVersion}` : "";
  return [`Request #${r.number} (${r.environment}, ${r.targetModelId ?? "latest"}): ${r.status}${applied}, ${r.approvals}/${r.approvalsRequired} approvals${r.statusReason ? ` — ${r.statusReason}` : ""}`, ...decisions, `  ${r.url}`].join("\n");
}

async function status(values, [id]) {
  need(id, "<requestId>");
  if (values.cancel) {
    const cancelled = await api("POST", `/api/v1/promotion-requests/${enc(id)}/cancel`, {});
    out(values, cancelled, describeRequest(cancelled));
    return 0;
  }
  const deadline = Date.now() + seconds(values.timeout, 24 * 3600, "timeout") * 1000;
  const every = seconds(values.interval, 2, "interval") * 1000;
  let last = "";
  for (;;) {
    const r = await api("GET", `/api/v1/promotion-requests/${enc(id)}`);
    if (!values.wait || r.status !== "pending") {
      out(values, r, describeRequest(r));
      if (!values.wait) return 0;
      return r.status === "applied" ? 0 : 1;
    }
    const line = `pending: ${r.approvals}/${r.approvalsRequired} approvals — waiting for a decision (${r.url})`;
    if (line !== last) log(line);
    last = line;
    if (Date.now() > deadline) fail(`Request #${r.number} was not decided within --timeout; it stays pending.`);
    await sleep(every);
  }
}

const COMMANDS = { pins, register, upload, compare, request, status };

async function main(argv) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    fail(`${e.message}\n\n${USAGE}`);
  }
  const [command, ...rest] = parsed.positionals;
  if (!command || command === "help" || parsed.values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const run = COMMANDS[command];
  if (!run) fail(`Unknown command "${command}".\n\n${USAGE}`);
  return run(parsed.values, rest);
}

main(process.argv.slice(2))
  .then((code) => process.exit(code))
  .catch((e) => {
    process.stderr.write(`modelpin: ${e instanceof CliError ? e.message : (e?.stack ?? String(e))}\n`);
    process.exit(2);
  });
