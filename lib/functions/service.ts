import "server-only";
import { appendAuditEvent } from "@/lib/audit/service";
import { authorize, type ServiceContext } from "@/lib/context";
import { prisma } from "@/lib/db/client";
import { InvalidInputError } from "@/lib/errors";
import type { NyckelFunction, NyckelLabel } from "@/lib/nyckel/client";
import { getNyckelClient } from "@/lib/nyckel-settings/connection";
import { explainNyckelError } from "@/lib/nyckel-settings/errors";
import { emitWebhookEvent } from "@/lib/webhooks/emit";

export type SyncReport = {
  added: string[];
  updated: string[];
  removed: string[];
  unchanged: number;
  discoveredModels: Array<{ functionId: string; modelId: string }>;
  labelsChanged: string[];
};

type Fetched = { fn: NyckelFunction; labels: NyckelLabel[]; currentModelId: string | null };

/**
 * Syncs functions and their labels from Nyckel. Idempotent: a second sync
 * with nothing changed at Nyckel writes nothing. A current model id seen for
 * the first time is registered as a discovered model.
 */
export async function syncFunctions(ctx: ServiceContext): Promise<SyncReport> {
  authorize(ctx, "functions:sync");
  const nyckel = await getNyckelClient();
  if (!nyckel) throw new InvalidInputError("Nyckel is not configured yet. An admin sets the credentials in Settings → Nyckel.");
  let fetched: Fetched[];
  try {
    const fns = await nyckel.client.listFunctions();
    fetched = await Promise.all(
      fns.map(async (fn) => ({
        fn,
        labels: await nyckel.client.listLabels(fn.id),
        currentModelId: await nyckel.client.getCurrentModelId(fn.id).catch(() => null),
      })),
    );
  } catch (e) {
    throw explainNyckelError(e) ?? e;
  }
  const now = new Date();
  return prisma.$transaction(async (tx) => {
    // One sync writes at a time (the schedule on several workers, "Sync now"): the second sees the first's models.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('modelpin:function-sync'))`;
    const report: SyncReport = { added: [], updated: [], removed: [], unchanged: 0, discoveredModels: [], labelsChanged: [] };
    const existing = await tx.nyckelFunction.findMany({ include: { labels: true } });
    const byId = new Map(existing.map((f) => [f.id, f]));
    const seen = new Set<string>();
    for (const { fn, labels, currentModelId } of fetched) {
      seen.add(fn.id);
      const name = fn.name ?? fn.id;
      const data = {
        name,
        inputType: fn.input ?? "Unknown",
        outputType: fn.output ?? "Unknown",
        labelCount: labels.length,
        currentModelId,
        lastSyncedAt: now,
        missingSince: null,
      };
      const prev = byId.get(fn.id);
      const labelKey = (l: { id: string; name: string; description: string | null }) => `${l.id}\u0000${l.name}\u0000${l.description ?? ""}`;
      const labelsSame =
        prev !== undefined &&
        prev.labels.map(labelKey).sort().join("\n") === labels.map((l) => labelKey(l)).sort().join("\n");
      if (!prev) {
        await tx.nyckelFunction.create({ data: { id: fn.id, ...data } });
        report.added.push(name);
      } else {
        const changed =
          prev.name !== data.name ||
          prev.inputType !== data.inputType ||
          prev.outputType !== data.outputType ||
          prev.currentModelId !== currentModelId ||
          prev.missingSince !== null ||
          !labelsSame;
        await tx.nyckelFunction.update({ where: { id: fn.id }, data });
        if (changed) report.updated.push(name);
        else report.unchanged++;
      }
      if (!labelsSame) {
        await tx.functionLabel.deleteMany({ where: { functionId: fn.id } });
        if (labels.length) {
          await tx.functionLabel.createMany({
            data: labels.map((l) => ({ id: l.id, functionId: fn.id, name: l.name, description: l.description })),
            skipDuplicates: true,
          });
        }
        if (prev) report.labelsChanged.push(name);
      }
      if (currentModelId) {
        const known = await tx.model.findUnique({ where: { functionId_modelId: { functionId: fn.id, modelId: currentModelId } } });
        if (!known) {
          const model = await tx.model.create({
            data: { functionId: fn.id, modelId: currentModelId, discovered: true, verifiedAt: now, nickname: "", notes: "Discovered by sync: Nyckel's current model." },
          });
          report.discoveredModels.push({ functionId: fn.id, modelId: currentModelId });
          const audit = await appendAuditEvent(tx, {
            actor: ctx.actor,
            action: "model.discovered",
            functionId: fn.id,
            targetType: "model",
            targetId: model.id,
            after: { modelId: currentModelId, discovered: true },
            requestId: ctx.requestId,
          });
          await emitWebhookEvent(tx, {
            type: "model.discovered",
            functionId: fn.id,
            data: {
              function: { id: fn.id, name },
              model: { modelId: currentModelId },
              previousModelId: prev?.currentModelId ?? null,
              discoveredAt: now.toISOString(),
              actor: ctx.actor.label,
              auditEventId: audit.id.toString(),
            },
          });
        }
      }
    }
    for (const f of existing) {
      if (!seen.has(f.id) && f.missingSince === null) {
        await tx.nyckelFunction.update({ where: { id: f.id }, data: { missingSince: now } });
        report.removed.push(f.name);
      }
    }
    const changed = report.added.length + report.updated.length + report.removed.length + report.discoveredModels.length > 0;
    if (changed) {
      await appendAuditEvent(tx, {
        actor: ctx.actor,
        action: "functions.synced",
        targetType: "nyckel",
        after: report,
        requestId: ctx.requestId,
      });
      // The serving cache (lib/serving/cache.ts) lists the synced functions: reload them on every instance.
      await tx.$executeRaw`SELECT pg_notify('modelpin_changes', '{"table":"functions","op":"SYNC"}')`;
    }
    return report;
  });
}

export function describeSync(r: SyncReport): string {
  const parts: string[] = [];
  if (r.added.length) parts.push(`${r.added.length} added (${r.added.join(", ")})`);
  if (r.updated.length) parts.push(`${r.updated.length} updated (${r.updated.join(", ")})`);
  if (r.removed.length) parts.push(`${r.removed.length} no longer in Nyckel (${r.removed.join(", ")})`);
  if (r.discoveredModels.length) parts.push(`${r.discoveredModels.length} new current model id${r.discoveredModels.length > 1 ? "s" : ""} discovered`);
  return parts.length ? `Synced: ${parts.join("; ")}.` : `Synced: nothing changed (${r.unchanged} function${r.unchanged === 1 ? "" : "s"} up to date).`;
}
