/**
 * The world of the CLI's end-to-end test (e2e/cli.spec.ts), set up and decided
 * through the app's own services against DATABASE_URL, without a browser:
 *
 *   tsx --conditions=react-server scripts/testing/cli-world.ts setup <slug> <function key>
 *     → a new environment (1 approval, an evidence gate) with the function pinned to its
 *       oldest model, and a token with read, evaluate and request; prints JSON.
 *   tsx --conditions=react-server scripts/testing/cli-world.ts approve <requestId>
 *     → a new approver approves the request (the human decision a pipeline waits for).
 *
 * Test support only: nothing in the app imports it.
 */
import { randomBytes } from "node:crypto";
import { withAppDatabase } from "../cli/app-database";
import { seededFunction } from "../emulator/seed";

type Key = Parameters<typeof seededFunction>[0];

async function setup(slug: string, key: Key): Promise<number> {
  const { systemContext } = await import("@/lib/context");
  const { prisma } = await import("@/lib/db/client");
  const { createEnvironment } = await import("@/lib/environments/service");
  const { registerModel } = await import("@/lib/models/service");
  const { setPin } = await import("@/lib/pins/service");
  const { createApiToken } = await import("@/lib/tokens/service");
  const sys = systemContext("e2e setup");
  const fn = seededFunction(key);
  const environment = await createEnvironment(sys, {
    slug,
    name: `CLI ${slug}`,
    sortOrder: 900,
    protected: false,
    approvalsRequired: 1,
    rejectionBlocks: true,
    requestExpiryHours: null,
    minAgreementPct: 1,
  });
  await prisma.environment.update({ where: { id: environment.id }, data: { minAnsweredSamples: 5 } });
  const oldest = fn.modelIds[0]!;
  const { ConflictError } = await import("@/lib/errors");
  const find = () => prisma.model.findUnique({ where: { functionId_modelId: { functionId: fn.id, modelId: oldest } }, select: { id: true } });
  // Another spec may register it at the same moment: then it is there.
  const register = () => registerModel(sys, { functionId: fn.id, modelId: oldest, nickname: `CLI base ${oldest.slice(-4)}`, notes: "" }).catch(async (e: unknown) => {
    if (e instanceof ConflictError) return (await find())!;
    throw e;
  });
  const modelRefId = ((await find()) ?? (await register())).id;
  await setPin(sys, { environmentId: environment.id, functionId: fn.id, modelRefId, expectedVersion: 0, reason: "CLI e2e: the base pin", kind: "pin" });
  const token = await createApiToken(sys, { name: `ci ${slug}`, environmentId: environment.id, scopes: ["read", "evaluate", "request"] });
  process.stdout.write(`${JSON.stringify({ slug, token: token.token, tokenName: token.name, functionId: fn.id, modelIds: fn.modelIds })}\n`);
  return 0;
}

async function approve(requestId: string): Promise<number> {
  const { systemContext, userContext } = await import("@/lib/context");
  const { createMember } = await import("@/lib/members/service");
  const { approveRequest } = await import("@/lib/promotions/service");
  const t = randomBytes(4).toString("hex");
  const approver = await createMember(systemContext("e2e setup"), { email: `cli-approver-${t}@example.com`, name: "CLI Approver", role: "approver", password: `cli-approver-${t}` });
  const outcome = await approveRequest(userContext({ id: approver.id, role: "approver", email: approver.email }, `e2e-${t}`), { requestId, comment: "Evidence looks good." });
  process.stdout.write(`${JSON.stringify({ approver: approver.email, status: outcome.status })}\n`);
  return 0;
}

const [command, a, b] = process.argv.slice(2);
withAppDatabase(
  () => (command === "setup" ? setup(a!, (b ?? "churn-risk") as Key) : command === "approve" ? approve(a!) : Promise.reject(new Error(`unknown command ${command}`))),
  { log: (line) => process.stderr.write(`${line}\n`) },
)
  .then((code) => process.exit(code))
  .catch((e: unknown) => {
    process.stderr.write(`cli-world failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(2);
  });
