/**
 * Development seed (`npm run db:seed`): idempotent and offline. Everything it
 * creates goes through the same services as user actions, so it lands in the
 * audit log like any other change.
 */
import { systemContext } from "@/lib/context";
import { disconnectPrisma, prisma } from "@/lib/db/client";
import { createEnvironment } from "@/lib/environments/service";
import { createMember } from "@/lib/members/service";
import { randomBytes } from "node:crypto";
import { DEV_USERS, seedsDevUsers } from "@/lib/seed/dev-users";

/** Drift watch (issue 16) watches staging and production: each new model Nyckel reports is evaluated against their pins. */
const ENVIRONMENTS = [
  { slug: "development", name: "Development", sortOrder: 10, protected: false, approvalsRequired: 0, rejectionBlocks: true, requestExpiryHours: null, minAgreementPct: null },
  { slug: "staging", name: "Staging", sortOrder: 20, protected: true, approvalsRequired: 1, rejectionBlocks: true, requestExpiryHours: 168, minAgreementPct: null, watchNewModels: true },
  { slug: "production", name: "Production", sortOrder: 30, protected: true, approvalsRequired: 2, rejectionBlocks: true, requestExpiryHours: 72, minAgreementPct: null, watchNewModels: true },
];

export async function seed(): Promise<{ created: string[] }> {
  const ctx = systemContext("system (seed)");
  const created: string[] = [];
  if (seedsDevUsers(process.env)) {
    for (const u of DEV_USERS) {
      if (await prisma.user.findUnique({ where: { email: u.email }, select: { id: true } })) continue;
      await createMember(ctx, u);
      created.push(`member ${u.email}`);
    }
  } else {
    const email = process.env.MODELPIN_ADMIN_EMAIL?.trim();
    const hasAdmin = (await prisma.user.findFirst({ where: { role: "admin" }, select: { id: true } })) !== null;
    if (email && !hasAdmin) {
      const password = randomBytes(18).toString("base64url");
      await createMember(ctx, { email, name: email.split("@")[0] ?? "Admin", role: "admin", password });
      created.push(`admin ${email}`);
      console.log(`seed: the first admin is ${email} with password ${password} (shown once; change it after signing in)`);
    } else if (!hasAdmin) {
      console.log("seed: production — the development sign-ins are not created. Set MODELPIN_ADMIN_EMAIL to create the first admin.");
    }
  }
  for (const e of ENVIRONMENTS) {
    if (await prisma.environment.findUnique({ where: { slug: e.slug }, select: { id: true } })) continue;
    await createEnvironment(ctx, e);
    created.push(`environment ${e.slug}`);
  }
  return { created };
}

async function main() {
  const { created } = await seed();
  console.log(created.length ? `seed: created ${created.join(", ")}` : "seed: nothing to do (already seeded)");
}

if (require.main === module) {
  main()
    .catch((e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    })
    .finally(() => disconnectPrisma());
}
