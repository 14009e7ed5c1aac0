import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runTsx } from "@/scripts/testing/run-tsx";
import { prisma } from "@/lib/db/client";
import { closePgPool } from "@/lib/db/pool";
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError } from "@/lib/errors";
import { createMember } from "@/lib/members/service";
import { closeServingCache } from "@/lib/serving/cache";
import { bearer, getPins, invoke, newEnvironment, newToken, sys, tag, until } from "@/scripts/testing/serving";
import { listApiTokens } from "./queries";
import { hashToken, TOKEN_PATTERN } from "./secret";
import { createApiToken, revokeApiToken } from "./service";

let env: { id: string; slug: string };

beforeAll(async () => {
  env = await newEnvironment();
});

afterAll(async () => {
  await closeServingCache();
  await closePgPool();
});

describe("token service (real PostgreSQL)", () => {
  it("creates a token shown once: only its SHA-256 is stored, the audit event never holds it", async () => {
    const created = await createApiToken(sys, { name: "checkout service", environmentId: env.id, expiresInDays: 30 });
    expect(created.token).toMatch(TOKEN_PATTERN);
    expect(created.prefix).toBe(created.token.slice(0, 10));
    expect(created.expiresAt!.getTime()).toBeGreaterThan(Date.now() + 29.9 * 86_400_000);
    const row = await prisma.apiToken.findUniqueOrThrow({ where: { id: created.id } });
    expect(row.tokenHash).toBe(hashToken(created.token));
    expect(JSON.stringify(row)).not.toContain(created.token);
    const event = await prisma.auditEvent.findFirstOrThrow({ where: { action: "token.created", targetId: created.id } });
    expect(event).toMatchObject({ actorLabel: "test", environmentId: env.id, targetType: "api_token" });
    expect(event.after).toEqual({
      name: "checkout service",
      environment: env.slug,
      prefix: created.prefix,
      expiresAt: created.expiresAt!.toISOString(),
      scopes: ["read", "invoke"],
    });
    const stored = JSON.stringify(event, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
    expect(stored).not.toContain(created.token);
    expect(stored).not.toContain(row.tokenHash);
  });

  it("refuses non-admins, bad input and unknown environments, and changes nothing", async () => {
    const t = tag();
    const editor = await createMember(sys, { email: `tok-editor-${t}@example.com`, name: "Tok Editor", role: "editor", password: "tok-editor-pass" });
    const editorCtx = { actor: { id: editor.id, role: "editor" as const, label: editor.email }, requestId: `t-${t}` };
    const before = await prisma.apiToken.count();
    await expect(createApiToken(editorCtx, { name: "x", environmentId: env.id })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(createApiToken(sys, { name: "  ", environmentId: env.id })).rejects.toThrow(InvalidInputError);
    await expect(createApiToken(sys, { name: "x".repeat(81), environmentId: env.id })).rejects.toThrow("at most 80");
    await expect(createApiToken(sys, { name: "x", environmentId: env.id, expiresInDays: 0 })).rejects.toThrow("at least 1 day");
    await expect(createApiToken(sys, { name: "x", environmentId: "not-a-uuid" })).rejects.toThrow("Choose an environment");
    await expect(createApiToken(sys, { name: "x", environmentId: "00000000-0000-4000-8000-000000000000" })).rejects.toBeInstanceOf(NotFoundError);
    expect(await prisma.apiToken.count()).toBe(before);
  });

  it("revokes once (audited), refuses a second revocation, and lists tokens with their status", async () => {
    const active = await createApiToken(sys, { name: `active ${tag()}`, environmentId: env.id });
    const revoked = await createApiToken(sys, { name: `revoked ${tag()}`, environmentId: env.id });
    const expired = await createApiToken(sys, { name: `expired ${tag()}`, environmentId: env.id, expiresInDays: 1 });
    await prisma.apiToken.update({ where: { id: expired.id }, data: { expiresAt: new Date(Date.now() - 60_000) } });
    const result = await revokeApiToken(sys, { id: revoked.id });
    expect(result.revokedAt).toBeInstanceOf(Date);
    await expect(revokeApiToken(sys, { id: revoked.id })).rejects.toBeInstanceOf(ConflictError);
    await expect(revokeApiToken(sys, { id: "00000000-0000-4000-8000-000000000000" })).rejects.toBeInstanceOf(NotFoundError);
    const events = await prisma.auditEvent.findMany({ where: { action: "token.revoked", targetId: revoked.id } });
    expect(events).toHaveLength(1);
    expect(events[0]!.before).toMatchObject({ revokedAt: null, prefix: revoked.prefix });

    const list = await listApiTokens();
    const statusOf = (id: string) => list.find((t) => t.id === id)?.status;
    expect([statusOf(active.id), statusOf(revoked.id), statusOf(expired.id)]).toEqual(["active", "revoked", "expired"]);
    const row = list.find((t) => t.id === active.id)!;
    expect(row).toMatchObject({ prefix: active.prefix, environment: { id: env.id, slug: env.slug }, createdBy: "test", lastUsedAt: null });
    expect(JSON.stringify(list)).not.toMatch(/tokenHash|token_hash/);
    // Active ones first.
    expect(list.findIndex((t) => t.status !== "active")).toBeGreaterThan(list.findLastIndex((t) => t.status === "active"));
  });
});

describe("token scopes (issue 19)", () => {
  it("default to read and invoke; chosen scopes are stored in canonical order; unknown or no scopes are refused", async () => {
    const plain = await createApiToken(sys, { name: `plain ${tag()}`, environmentId: env.id });
    expect(plain.scopes).toEqual(["read", "invoke"]);
    const ci = await createApiToken(sys, { name: `ci ${tag()}`, environmentId: env.id, scopes: ["request", "evaluate", "read", "evaluate"] });
    expect(ci.scopes).toEqual(["read", "evaluate", "request"]);
    expect((await prisma.apiToken.findUniqueOrThrow({ where: { id: ci.id } })).scopes).toEqual(["read", "evaluate", "request"]);
    const listed = (await listApiTokens()).find((t) => t.id === ci.id);
    expect(listed?.scopes).toEqual(["read", "evaluate", "request"]);
    await expect(createApiToken(sys, { name: "x", environmentId: env.id, scopes: [] })).rejects.toThrow("Choose at least one scope.");
    await expect(createApiToken(sys, { name: "x", environmentId: env.id, scopes: ["approve" as "read"] })).rejects.toThrow("A scope is one of read, invoke, evaluate, request.");
  });

  it("the database keeps read and invoke for tokens made before scopes, and refuses unknown scopes", async () => {
    const old = await newToken(env.id);
    // As a row written before the migration: the column's default.
    const [row] = await prisma.$queryRaw<{ scopes: string[] }[]>`SELECT scopes FROM api_tokens WHERE id = ${old.id}::uuid`;
    expect(row!.scopes).toEqual(["read", "invoke"]);
    await expect(prisma.$executeRaw`UPDATE api_tokens SET scopes = ARRAY['approve'] WHERE id = ${old.id}::uuid`).rejects.toThrow(/api_tokens_scopes_known/);
  });

  it("a token without read gets 403 scope_missing from the resolve API; without invoke, from the proxy", async () => {
    const evaluateOnly = await newToken(env.id, null, ["evaluate"]);
    const readOnly = await newToken(env.id, null, ["read"]);
    await until(async () => (await getPins(env.slug, bearer(readOnly.token))).status === 200, 2000);
    const pins = await getPins(env.slug, bearer(evaluateOnly.token));
    expect(pins.status).toBe(403);
    const body = (await pins.json()) as { error: { code: string; message: string } };
    expect(body.error).toEqual({ code: "scope_missing", message: expect.stringContaining("lacks the scope `read`. It has evaluate.") });
    const invoked = await invoke("function_abc123", { headers: { ...bearer(readOnly.token), "content-type": "application/json" }, body: JSON.stringify({ data: "hi" }) });
    expect(invoked.status).toBe(403);
    expect(await invoked.json()).toMatchObject({ error: { code: "scope_missing", message: expect.stringContaining("the scope `invoke`") } });
    expect(invoked.headers.get("x-modelpin-environment")).toBe(env.slug);
  });
});

function runScript(args: string[]) {
  return runTsx("scripts/token-create.ts", args);
}

describe("npm run token:create", () => {
  it("prints only the token, which then works against the resolve API; the audit actor is cli", async () => {
    const name = `ci ${tag()}`;
    const { code, stdout, stderr } = await runScript(["--environment", env.slug, "--name", name, "--expires-in-days", "7"]);
    expect(stderr).toContain("with the scopes read, invoke");
    expect(stderr).toContain(`for the environment "${env.slug}"`);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^mp_[A-Za-z0-9_-]{43}\n$/);
    const token = stdout.trim();
    expect(stderr).not.toContain(token);
    await until(async () => (await getPins(env.slug, bearer(token))).status === 200, 2000);
    const row = await prisma.apiToken.findUniqueOrThrow({ where: { tokenHash: hashToken(token) } });
    expect(row).toMatchObject({ name, createdByLabel: "cli", environmentId: env.id });
    expect(row.expiresAt!.getTime()).toBeGreaterThan(Date.now() + 6.9 * 86_400_000);
    const event = await prisma.auditEvent.findFirstOrThrow({ where: { action: "token.created", targetId: row.id } });
    expect(event.actorLabel).toBe("cli");
  }, 60_000);

  it("exits 1 with a clear message and prints nothing on stdout for an unknown environment or missing arguments", async () => {
    const unknown = await runScript(["--environment", "nowhere-at-all", "--name", "x"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toBe("");
    expect(unknown.stderr).toContain('There is no environment "nowhere-at-all". Known environments:');
    expect(unknown.stderr).toContain(env.slug);

    const missing = await runScript(["--name", "x"]);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe("");
    expect(missing.stderr).toContain("--environment <slug> is required.");
    expect(missing.stderr).toContain("Usage: npm run token:create");

    const badDays = await runScript(["--environment", env.slug, "--name", "x", "--expires-in-days", "soon"]);
    expect(badDays.code).toBe(1);
    expect(badDays.stderr).toContain("--expires-in-days must be a whole number of days");

    const badScopes = await runScript(["--environment", env.slug, "--name", "x", "--scopes", "read,approve"]);
    expect(badScopes.code).toBe(1);
    expect(badScopes.stdout).toBe("");
    expect(badScopes.stderr).toContain('Unknown scope "approve": scopes are read, invoke, evaluate, request.');
  }, 60_000);

  it("--scopes sets the token's scopes", async () => {
    const name = `scoped ${tag()}`;
    const { code, stdout, stderr } = await runScript(["--environment", env.slug, "--name", name, "--scopes", "evaluate,request,read"]);
    expect(code).toBe(0);
    expect(stderr).toContain("with the scopes read, evaluate, request");
    const row = await prisma.apiToken.findUniqueOrThrow({ where: { tokenHash: hashToken(stdout.trim()) } });
    expect(row.scopes).toEqual(["read", "evaluate", "request"]);
  }, 60_000);
});
