import { randomBytes } from "node:crypto";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { systemContext } from "@/lib/context";
import { prisma } from "@/lib/db/client";
import { createEnvironment } from "@/lib/environments/service";
import { stopBoss } from "@/lib/jobs/boss";
import { registerModel } from "@/lib/models/service";
import { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET } from "@/scripts/emulator/state";
import { createRequest } from "@/lib/promotions/service";
import { parseTextLines } from "@/lib/samples/parse";
import { createSampleSet } from "@/lib/samples/service";
import { createApiToken } from "@/lib/tokens/service";
import { createWebhook } from "@/lib/webhooks/service";
import { databaseFingerprint, fingerprintDiff } from "@/scripts/testing/db-fingerprint";
import { emulatorAsNyckelForFile } from "@/scripts/testing/emulator-as-nyckel";
import { ACTION_ALLOW, ROOT, exportedNames, readSource, serverActionFiles } from "@/scripts/testing/entry-point-files";
import { malformedFor, malformedInputs, withField, type Malformed } from "@/scripts/testing/malformed-values";
import { ACTION_TABLE, type ActionEntry, type Fixtures } from "@/scripts/testing/malformed-table";
import { OPEN_POLICY } from "@/scripts/testing/environments";

/**
 * Issue 13 item 11: every server action, called as the browser would call it
 * (through the action client, with an admin's session), with malformed input —
 * not an object, fields of the wrong type, missing, 10 kB, NUL bytes, unknown
 * and malformed ids, numbers out of range, NaN-ish strings — answers a
 * validation error or an expected error (never the generic "something went
 * wrong", never a throw, never success), and the database is unchanged
 * (row counts, max(updated_at) and a checksum of every row of every table).
 *
 * The session comes through a test seam: `getCurrentUser` is replaced with
 * vi.mock, which exists only in Vitest (the production build has no way in).
 * `revalidatePath` is replaced too (there is no Next.js request here).
 */
const session = vi.hoisted(() => ({ user: null as null | { id: string; email: string; name: string; role: "admin"; active: true } }));
vi.mock("@/lib/session/current", () => ({
  getCurrentUser: async () => session.user,
  getSignedInMember: async () => session.user && { ...session.user, mustChangePassword: false, sessionId: "00000000-0000-4000-8000-000000000000" },
  requireUser: async () => session.user,
  requirePagePermission: async () => session.user,
}));
const revalidated = vi.hoisted(() => ({ paths: [] as string[] }));
vi.mock("next/cache", () => ({
  revalidatePath: (p: string) => void revalidated.paths.push(p),
  revalidateTag: () => undefined,
}));

type ActionResult = { data?: unknown; serverError?: { code?: string; message?: string }; validationErrors?: unknown };
type ActionFn = (input?: unknown) => Promise<ActionResult>;

const nyckel = emulatorAsNyckelForFile({ rateLimit: false });
const tag = () => randomBytes(4).toString("hex");
const sys = systemContext("fuzz");
let fixtures: Fixtures;
const actions = new Map<string, ActionFn>();

function actionKeys(): string[] {
  return serverActionFiles().flatMap((file) => exportedNames(readSource(file)).map((name) => `${file}#${name}`));
}

beforeAll(async () => {
  const t = tag();
  const admin = await prisma.user.create({ data: { email: `fuzz-admin-${t}@example.com`, name: `Fuzz Admin ${t}`, role: "admin" } });
  session.user = { id: admin.id, email: admin.email, name: admin.name, role: "admin", active: true };
  const editor = await prisma.user.create({ data: { email: `fuzz-editor-${t}@example.com`, name: `Fuzz Editor ${t}`, role: "editor" } });
  const member = await prisma.user.create({ data: { email: `fuzz-viewer-${t}@example.com`, name: `Fuzz Viewer ${t}`, role: "viewer" } });
  const editorCtx = { actor: { id: editor.id, role: "editor" as const, label: editor.email }, requestId: `fuzz-${t}` };
  const functionId = `function_fuzz${t}${tag()}`;
  await prisma.nyckelFunction.create({ data: { id: functionId, name: `Fuzz ${t}`, inputType: "Text", outputType: "Classification", lastSyncedAt: new Date() } });
  const open = await createEnvironment(sys, { ...OPEN_POLICY, slug: `fuzz-open-${t}`, name: `Fuzz open ${t}`, sortOrder: 900 });
  const guarded = await createEnvironment(sys, { ...OPEN_POLICY, slug: `fuzz-prot-${t}`, name: `Fuzz prot ${t}`, sortOrder: 901, protected: true, approvalsRequired: 1 });
  const a = await registerModel(sys, { functionId, modelId: `model_fuzza${t}`, nickname: "Fuzz A", notes: "" });
  const b = await registerModel(sys, { functionId, modelId: `model_fuzzb${t}`, nickname: "Fuzz B", notes: "" });
  const set = await createSampleSet(sys, { functionId, name: `fuzz-${t}`, result: parseTextLines("one\ntwo\nthree\n", { inputKind: "text" }) });
  const run = await prisma.comparisonRun.create({
    data: { functionId, sampleSetId: set.id, modelA: null, modelALabel: "latest", modelB: b.modelId, modelBLabel: "Fuzz B", status: "finished", total: 3, createdByLabel: "fuzz" },
  });
  const request = await createRequest(editorCtx, { functionId, environmentId: guarded.id, targetModelRefId: a.id, reason: "fuzz fixture" });
  const token = await createApiToken(sys, { name: `fuzz ${t}`, environmentId: open.id });
  const { webhook } = await createWebhook(sys, { name: `fuzz ${t}`, url: "http://127.0.0.1:9/hook", events: ["request.opened"], format: "json", active: false });
  fixtures = {
    functionId,
    environmentId: open.id,
    protectedEnvironmentId: guarded.id,
    modelRefId: a.id,
    otherModelRefId: b.id,
    sampleSetId: set.id,
    runId: run.id,
    requestId: request.id,
    memberId: member.id,
    tokenId: token.id,
    webhookId: webhook.id,
    nyckelUrl: nyckel().url,
    nyckelClientId: DEFAULT_CLIENT_ID,
    nyckelClientSecret: DEFAULT_CLIENT_SECRET,
  };
  for (const key of actionKeys()) {
    const [file, name] = key.split("#") as [string, string];
    if (ACTION_ALLOW.has(file)) continue;
    const mod = (await import(path.join(ROOT, file))) as Record<string, unknown>;
    if (typeof mod[name] === "function") actions.set(key, mod[name] as ActionFn);
  }
});

afterAll(async () => {
  session.user = null;
  await stopBoss(); // started by the well-formed startComparisonRun at the end (its queue)
});

/** What a malformed call may answer: a validation error, or an expected error (its own code and message). */
async function refusal(action: ActionFn, input: unknown): Promise<string | null> {
  let result: ActionResult;
  try {
    result = await action(input);
  } catch (e) {
    return `threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`.slice(0, 300);
  }
  if (result?.validationErrors) return null;
  if (result?.serverError) {
    return result.serverError.code && result.serverError.code !== "internal" ? null : `server error ${JSON.stringify(result.serverError).slice(0, 300)}`;
  }
  return `succeeded: ${JSON.stringify(result?.data ?? result).slice(0, 200)}`;
}

const show = (value: unknown) => (value instanceof FormData ? "FormData" : JSON.stringify(value ?? String(value))?.slice(0, 60));

function casesFor(entry: Extract<ActionEntry, { fields: unknown }>): Array<{ label: string; input: unknown }> {
  const base = entry.base(fixtures);
  const cases: Array<{ label: string; input: unknown }> = malformedInputs().map((m) => ({ label: `input ${m.label}`, input: m.value }));
  for (const [field, spec] of Object.entries(entry.fields)) {
    for (const m of malformedFor(spec) as Malformed[]) cases.push({ label: `${field}: ${m.label}`, input: withField(base, field, m.value) });
  }
  // Extra fields are ignored, never a way around the schema: with one required field left out, still refused.
  const required = Object.entries(entry.fields).find(([, s]) => !s.optional)?.[0];
  if (required) {
    const extra = { ...withField(base, required, undefined), isAdmin: true, role: "admin", __proto__: { polluted: true }, id2: "x", [required + "X"]: 1 };
    cases.push({ label: `extra fields, ${required} missing`, input: extra });
  }
  return cases;
}

describe("every server action refuses malformed input and changes nothing", () => {
  it("the table covers every exported server action, and nothing else", () => {
    const keys = actionKeys();
    expect(keys.length).toBeGreaterThan(20);
    expect(keys.filter((k) => !ACTION_TABLE[k]), "actions the fuzz table does not cover: add them to scripts/testing/malformed-table.ts").toEqual([]);
    expect(Object.keys(ACTION_TABLE).filter((k) => !keys.includes(k)), "table entries for actions that no longer exist").toEqual([]);
    for (const key of keys) if (!("excluded" in ACTION_TABLE[key]!)) expect(actions.has(key), `${key} is a function`).toBe(true);
  });

  it("malformed input: a validation or expected error, never a generic error, a throw or a success; the database is unchanged", async () => {
    const databaseUrl = inject("databaseUrl");
    const problems: string[] = [];
    let calls = 0;
    revalidated.paths = [];
    const before = await databaseFingerprint(databaseUrl, { content: true });
    for (const [key, entry] of Object.entries(ACTION_TABLE)) {
      const action = actions.get(key);
      if (!action || "excluded" in entry) continue;
      const actionBefore = await databaseFingerprint(databaseUrl, { content: true });
      if ("noInput" in entry) {
        if (entry.writes) continue; // run below, after the fingerprint
        for (const m of malformedInputs()) {
          calls++;
          const r: ActionResult = await action(m.value).catch((e: unknown) => ({ serverError: { code: "internal", message: String(e) } }));
          if (r.serverError || r.validationErrors) problems.push(`${key} (no input) with input ${m.label}: ${JSON.stringify(r).slice(0, 200)}`);
        }
      } else {
        for (const c of casesFor(entry)) {
          calls++;
          const problem = await refusal(action, c.input);
          if (problem) problems.push(`${key} ${c.label} (${show(c.input)}): ${problem}`);
        }
      }
      const changed = fingerprintDiff(actionBefore, await databaseFingerprint(databaseUrl, { content: true }));
      if (changed.length) problems.push(`${key} changed the database: ${changed.join("; ")}`);
    }
    console.log(`[actions-malformed] ${calls} malformed calls to ${actions.size} actions, ${problems.length} problems`);
    expect(problems).toEqual([]);
    expect(fingerprintDiff(before, await databaseFingerprint(databaseUrl, { content: true }))).toEqual([]);
    expect(revalidated.paths, "no malformed call got as far as revalidating a page").toEqual([]);
  });

  it("actions that take no input ignore malformed input", async () => {
    for (const [key, entry] of Object.entries(ACTION_TABLE)) {
      if (!("noInput" in entry) || !entry.writes) continue;
      const r = await actions.get(key)!(malformedInputs()[12]!.value);
      expect(r.serverError ?? r.validationErrors, key).toBeUndefined();
    }
  });

  // Last, because they change things: the untouched inputs pass validation, so every refusal above
  // was caused by the one malformed field (a stale fixture would make the whole table pass vacuously).
  it("the well-formed inputs of the table pass validation", async () => {
    const failures: string[] = [];
    for (const [key, entry] of Object.entries(ACTION_TABLE)) {
      if (!("fields" in entry)) continue;
      const r = await actions.get(key)!(entry.base(fixtures));
      if (r.validationErrors || r.serverError?.code === "internal") failures.push(`${key}: ${JSON.stringify(r.validationErrors ?? r.serverError).slice(0, 300)}`);
    }
    expect(failures).toEqual([]);
  });
});
