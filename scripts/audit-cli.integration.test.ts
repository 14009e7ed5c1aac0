import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, inject, it } from "vitest";
import { recordCheckpoint } from "@/lib/audit/checkpoint";
import { SYSTEM_ACTOR, appendAuditEvent } from "@/lib/audit/service";
import type { AuditAction } from "@/lib/audit/catalog";
import { disconnectPrisma, prisma } from "@/lib/db/client";

/** `npm run audit:verify` and `npm run audit:reanchor` as an operator runs them, against the test database. */

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "audit-cli-"));

function cli(script: string, args: string[]) {
  const r = spawnSync(path.resolve("node_modules/.bin/tsx"), ["--conditions=react-server", `scripts/${script}.ts`, ...args], {
    env: { ...process.env, DATABASE_URL: inject("databaseUrl"), LOG_LEVEL: "warn" },
    encoding: "utf8",
    timeout: 120_000,
  });
  return { code: r.status, out: r.stdout.trim(), err: r.stderr.trim() };
}

afterAll(async () => {
  fs.rmSync(tmp, { recursive: true, force: true });
  await disconnectPrisma();
});

describe("the audit command lines", () => {
  it("audit:verify says ok with the count and the latest checkpoint, and checks a checkpoint file held outside", async () => {
    await prisma.$transaction((tx) => appendAuditEvent(tx, { actor: SYSTEM_ACTOR, action: "test.cli" as AuditAction }));
    const cp = (await prisma.$transaction((tx) => recordCheckpoint(tx, "scheduled")))!;
    const file = path.join(tmp, "checkpoint.json");
    fs.writeFileSync(file, JSON.stringify({ id: "x", type: "audit.checkpoint", createdAt: cp.at, data: cp }));

    const plain = cli("audit-verify", []);
    expect(plain).toMatchObject({ code: 0 });
    expect(plain.out).toBe(`ok ${cp.count} events; latest checkpoint ${cp.at} (${cp.count} events)`);
    const withFile = cli("audit-verify", ["--checkpoint", file]);
    expect(withFile.out).toBe(`ok ${cp.count} events; latest checkpoint ${cp.at} (${cp.count} events); the checkpoint given (${cp.at}, ${cp.count} events) matches`);

    fs.writeFileSync(file, JSON.stringify({ type: "audit.checkpoint", data: { ...cp, lastHash: "nope" } }));
    const bad = cli("audit-verify", ["--checkpoint", file]);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain("is not an audit.checkpoint body: data.lastHash must be a SHA-256 hex digest");
  });

  it("audit:reanchor needs a reason, refuses a short one, and re-anchors an intact chain with an audited event", async () => {
    expect(cli("audit-reanchor", [])).toMatchObject({ code: 1, err: expect.stringContaining("--reason is required.") });
    expect(cli("audit-reanchor", ["--reason", "oops"])).toMatchObject({ code: 1, out: expect.stringContaining("refused: Say why the audit chain is re-anchored") });
    const done = cli("audit-reanchor", ["--reason", "CLI test: nothing was restored"]);
    expect(done.code).toBe(0);
    expect(done.out).toMatch(/^re-anchored: the head was \d+ events up to \d+ \(signature valid\); the log has \d+ events up to \d+, now signed and sent as a checkpoint\.$/);
    const event = await prisma.auditEvent.findFirstOrThrow({ where: { action: "audit.reanchored" }, orderBy: { id: "desc" } });
    expect(event).toMatchObject({ reason: "CLI test: nothing was restored", actorLabel: expect.stringMatching(/^cli \(.+\)$/) });
    expect(cli("audit-verify", []).out).toMatch(/^ok \d+ events; latest checkpoint .+ \(\d+ events\)$/);
  });
});
