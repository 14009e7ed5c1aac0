import "server-only";
import { appendAuditEventBy } from "@/lib/audit/service";
import { authorize, type ServiceContext } from "@/lib/context";
import { prisma } from "@/lib/db/client";
import { ConflictError, NotFoundError, isUniqueViolation } from "@/lib/errors";
import { parseInput } from "@/lib/validation";
import { environmentSelect } from "./queries";
import { createEnvironmentSchema, updateEnvironmentSchema, type CreateEnvironmentInput, type UpdateEnvironmentInput } from "./schemas";

export async function createEnvironment(ctx: ServiceContext, raw: CreateEnvironmentInput) {
  authorize(ctx, "environments:manage");
  const input = parseInput(createEnvironmentSchema, raw);
  try {
    return await prisma.$transaction(async (tx) => {
      const env = await tx.environment.create({ data: input, select: environmentSelect });
      await appendAuditEventBy(tx, ctx, {
        action: "environment.created",
        environmentId: env.id,
        targetType: "environment",
        targetId: env.id,
        after: env,
      });
      return env;
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw new ConflictError(`An environment with the slug "${input.slug}" already exists.`, { slug: ["Already taken."] });
    throw e;
  }
}

export async function updateEnvironment(ctx: ServiceContext, raw: UpdateEnvironmentInput) {
  authorize(ctx, "environments:manage");
  const { id, ...data } = parseInput(updateEnvironmentSchema, raw);
  return prisma.$transaction(async (tx) => {
    const before = await tx.environment.findUnique({ where: { id }, select: environmentSelect });
    if (!before) throw new NotFoundError("That environment does not exist.");
    const after = await tx.environment.update({ where: { id }, data, select: environmentSelect });
    await appendAuditEventBy(tx, ctx, {
      action: "environment.updated",
      environmentId: id,
      targetType: "environment",
      targetId: id,
      before,
      after,
    });
    return after;
  });
}
