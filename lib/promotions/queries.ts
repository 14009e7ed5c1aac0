import "server-only";
import { can, type RoleName } from "@/lib/auth/permissions";
import { runAgreements } from "@/lib/compare/queries";
import { prisma } from "@/lib/db/client";
import { keysetPage, olderThanCursor, splitPage } from "@/lib/keyset";
import { listPinnableModels, modelNicknamesByModelId } from "@/lib/models/queries";
import { listCurrentPins } from "@/lib/pins/queries";
import { listEnvironments } from "@/lib/environments/queries";
import type { Prisma } from "@/lib/generated/prisma/client";
import { listSampleSets } from "@/lib/samples/queries";
import { listShadowEvidence } from "@/lib/shadow/queries-ui";
import { evidenceHash, type EvidenceSummary } from "./evidence";
import type { Policy, RequestListFilter, RequestView } from "./schemas";

/**
 * Reads of promotion requests, as plain objects (dates as Date; pages turn
 * them into strings for client components). Callers check `requests:read`.
 */

type Viewer = { id: string; role: RoleName };

const PAGE = 50;

/** Pending, not expired, not mine, not decided by me: what `viewer` can act on now. */
function waitingWhere(viewer: Viewer, now: Date): Prisma.PromotionRequestWhereInput {
  return {
    status: "pending",
    OR: [{ expiresAt: null }, { expiresAt: { gt: now } }],
    AND: [{ OR: [{ requestedById: null }, { requestedById: { not: viewer.id } }] }],
    decisions: { none: { userId: viewer.id } },
  };
}

/** The in-app count of requests waiting for this member's decision (0 for those who cannot decide). */
export async function countWaitingForMe(viewer: Viewer, now: Date = new Date()): Promise<number> {
  if (!can(viewer.role, "requests:decide")) return 0;
  return prisma.promotionRequest.count({ where: waitingWhere(viewer, now) });
}

/** The default view of /promotions for a role. */
export function defaultView(role: RoleName): RequestView {
  if (can(role, "requests:decide")) return "waiting";
  if (can(role, "requests:create")) return "mine";
  return "all";
}

async function userNames(ids: Array<string | null>): Promise<Map<string, string>> {
  const unique = [...new Set(ids.filter((x): x is string => Boolean(x)))];
  if (!unique.length) return new Map();
  const users = await prisma.user.findMany({ where: { id: { in: unique } }, select: { id: true, name: true } });
  return new Map(users.map((u) => [u.id, u.name]));
}

/** Requests for /promotions: one view (waiting / mine / all), optional status, newest first, keyset pages. */
export async function listRequests(viewer: Viewer, filter: RequestListFilter & { view: RequestView; take?: number }, now: Date = new Date()) {
  const take = Math.min(filter.take ?? PAGE, 200);
  const and: Prisma.PromotionRequestWhereInput[] = [];
  if (filter.view === "waiting") and.push(can(viewer.role, "requests:decide") ? waitingWhere(viewer, now) : { id: { in: [] } });
  if (filter.view === "mine") and.push({ requestedById: viewer.id });
  if (filter.status && filter.view !== "waiting") and.push({ status: filter.status });
  if (filter.before) and.push(olderThanCursor(filter.before));
  const rows = await prisma.promotionRequest.findMany({
    where: { AND: and },
    ...keysetPage(take),
    select: {
      id: true,
      number: true,
      status: true,
      reason: true,
      targetModelId: true,
      baseModelId: true,
      baseVersion: true,
      approvalsRequired: true,
      evidenceSummary: true,
      requestedById: true,
      requestedByLabel: true,
      createdAt: true,
      expiresAt: true,
      closedAt: true,
      function: { select: { id: true, name: true } },
      environment: { select: { id: true, slug: true, name: true } },
      decisions: { select: { decision: true, userId: true } },
    },
  });
  const { page, next } = splitPage(rows, take);
  const [names, nicknames] = await Promise.all([userNames(page.map((r) => r.requestedById)), modelNicknames(page)]);
  return {
    requests: page.map(({ decisions, evidenceSummary, ...r }) => ({
      ...r,
      requestedByName: (r.requestedById && names.get(r.requestedById)) || r.requestedByLabel,
      targetNickname: r.targetModelId ? (nicknames.get(`${r.function.id}|${r.targetModelId}`) ?? "") : "",
      baseNickname: r.baseModelId ? (nicknames.get(`${r.function.id}|${r.baseModelId}`) ?? "") : "",
      approvals: decisions.filter((d) => d.decision === "approve").length,
      rejections: decisions.filter((d) => d.decision === "reject").length,
      decidedByMe: decisions.find((d) => d.userId === viewer.id)?.decision ?? null,
      agreement: (evidenceSummary as EvidenceSummary | null)?.agreement.rate ?? null,
      expiredUnmarked: r.status === "pending" && r.expiresAt !== null && r.expiresAt.getTime() <= now.getTime(),
    })),
    next,
  };
}

export type RequestListRow = Awaited<ReturnType<typeof listRequests>>["requests"][number];

async function modelNicknames(rows: Array<{ function: { id: string }; targetModelId: string | null; baseModelId: string | null }>) {
  const pairs = rows.flatMap((r) => [r.targetModelId, r.baseModelId].filter((m): m is string => Boolean(m)).map((modelId) => ({ functionId: r.function.id, modelId })));
  return modelNicknamesByModelId(pairs);
}

/** Everything the request page shows. Null when there is no such request. */
export async function getRequestDetail(requestId: string, now: Date = new Date()) {
  if (!/^[0-9a-f-]{36}$/i.test(requestId)) return null;
  const r = await prisma.promotionRequest.findUnique({
    where: { id: requestId },
    select: {
      id: true,
      number: true,
      status: true,
      statusReason: true,
      reason: true,
      targetModelRefId: true,
      targetModelId: true,
      baseVersion: true,
      baseModelId: true,
      evidenceRunId: true,
      evidenceSummary: true,
      evidenceHash: true,
      policy: true,
      approvalsRequired: true,
      requestedById: true,
      requestedByLabel: true,
      createdAt: true,
      expiresAt: true,
      closedAt: true,
      appliedVersion: true,
      function: { select: { id: true, name: true } },
      environment: {
        select: { id: true, slug: true, name: true, protected: true, approvalsRequired: true, rejectionBlocks: true, requestExpiryHours: true, minAgreementPct: true, minAnsweredSamples: true, maxErrorPct: true, gateLowerBound: true },
      },
      decisions: { orderBy: { createdAt: "asc" }, select: { id: true, userId: true, userLabel: true, decision: true, comment: true, createdAt: true } },
    },
  });
  if (!r) return null;
  const [pin, baseRevision, targetModel, baseModel, targetLastPinned, events, names] = await Promise.all([
    prisma.pin.findUnique({
      where: { environmentId_functionId: { environmentId: r.environment.id, functionId: r.function.id } },
      select: { version: true, updatedAt: true, reason: true, model: { select: { id: true, modelId: true, nickname: true } }, updatedBy: { select: { name: true } } },
    }),
    r.baseVersion > 0
      ? prisma.pinRevision.findUnique({
          where: { environmentId_functionId_version: { environmentId: r.environment.id, functionId: r.function.id, version: r.baseVersion } },
          select: { createdAt: true, actorLabel: true, actor: { select: { name: true } } },
        })
      : Promise.resolve(null),
    r.targetModelRefId
      ? prisma.model.findUnique({
          where: { id: r.targetModelRefId },
          select: { id: true, modelId: true, nickname: true, notes: true, retiredAt: true, createdAt: true, registeredBy: { select: { name: true } } },
        })
      : Promise.resolve(null),
    r.baseModelId ? prisma.model.findFirst({ where: { functionId: r.function.id, modelId: r.baseModelId }, select: { nickname: true } }) : Promise.resolve(null),
    prisma.pinRevision.findFirst({
      where: { environmentId: r.environment.id, functionId: r.function.id, modelRefId: r.targetModelRefId },
      orderBy: { version: "desc" },
      select: { version: true, createdAt: true },
    }),
    prisma.auditEvent.findMany({
      where: { functionId: r.function.id, targetType: "promotion_request", targetId: r.id },
      orderBy: { id: "asc" },
      select: { id: true, action: true, actorId: true, actorLabel: true, createdAt: true, reason: true, after: true },
    }),
    userNames([r.requestedById, ...r.decisions.map((d) => d.userId)]),
  ]);
  const summary = (r.evidenceSummary ?? null) as EvidenceSummary | null;
  const approvals = r.decisions.filter((d) => d.decision === "approve").length;
  return {
    ...r,
    policy: r.policy as Policy,
    evidenceSummary: summary,
    evidenceHashVerified: summary ? evidenceHash(summary) === r.evidenceHash : null,
    requestedByName: (r.requestedById && names.get(r.requestedById)) || r.requestedByLabel,
    decisions: r.decisions.map((d) => ({ ...d, userName: names.get(d.userId) ?? d.userLabel })),
    approvals,
    rejections: r.decisions.length - approvals,
    expiredUnmarked: r.status === "pending" && r.expiresAt !== null && r.expiresAt.getTime() <= now.getTime(),
    target: {
      modelId: r.targetModelId,
      nickname: targetModel?.nickname ?? "",
      notes: targetModel?.notes ?? "",
      retired: Boolean(targetModel?.retiredAt),
      registeredAt: targetModel?.createdAt ?? null,
      registeredBy: targetModel?.registeredBy?.name ?? null,
      lastPinnedHere: targetLastPinned,
    },
    base: {
      version: r.baseVersion,
      modelId: r.baseModelId,
      nickname: baseModel?.nickname ?? "",
      pinnedAt: baseRevision?.createdAt ?? null,
      pinnedBy: baseRevision ? (baseRevision.actor?.name ?? baseRevision.actorLabel) : null,
    },
    currentPin: {
      version: pin?.version ?? 0,
      modelId: pin?.model?.modelId ?? null,
      nickname: pin?.model?.nickname ?? "",
      updatedAt: pin?.updatedAt ?? null,
      updatedBy: pin?.updatedBy?.name ?? null,
      reason: pin?.reason ?? "",
    },
    events: events.map((e) => ({ ...e, id: e.id.toString(), actorName: (e.actorId && names.get(e.actorId)) || e.actorLabel })),
  };
}

/**
 * What the request form on a function's page needs: environments with their
 * policy and current pin, the registered models, finished comparison runs of
 * the function with their agreement (evidence candidates), sample sets (to
 * start a comparison from the form), and the open requests.
 */
export async function getRequestFormData(functionId: string, now: Date = new Date()) {
  const [environments, pins, models, runs, sampleSets, open, shadowSnapshots] = await Promise.all([
    listEnvironments(),
    listCurrentPins(functionId),
    listPinnableModels(functionId),
    prisma.comparisonRun.findMany({
      where: { functionId, status: "finished" },
      orderBy: [{ finishedAt: "desc" }, { id: "desc" }],
      take: 50,
      select: { id: true, functionId: true, status: true, modelA: true, modelB: true, modelALabel: true, modelBLabel: true, finishedAt: true, total: true, sampleSet: { select: { name: true } } },
    }),
    listSampleSets(functionId),
    prisma.promotionRequest.findMany({
      where: { functionId, status: "pending", OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] },
      orderBy: { createdAt: "desc" },
      select: { id: true, number: true, environmentId: true, targetModelId: true, requestedByLabel: true },
    }),
    listShadowEvidence(functionId),
  ]);
  const agreements = await runAgreements(runs.map((r) => r.id));
  return {
    environments: environments.map((e) => {
      const pin = pins.find((p) => p.environmentId === e.id);
      return {
        ...e,
        pin: { version: pin?.version ?? 0, modelRefId: pin?.model?.id ?? null, modelId: pin?.model?.modelId ?? null, nickname: pin?.model?.nickname ?? "" },
      };
    }),
    models,
    runs: runs.map((r) => {
      const a = agreements.get(r.id);
      return { ...r, sampleSetName: r.sampleSet.name, agreement: a ? { n: a.n, agree: a.agree, rate: a.rate } : null };
    }),
    sampleSets: sampleSets.map((s) => ({ id: s.id, name: s.name, sampleCount: s.sampleCount })),
    openRequests: open,
    /** Shadow reports frozen as evidence (lib/shadow), judged by the gate exactly as runs. */
    shadowSnapshots,
  };
}

export type RequestFormData = Awaited<ReturnType<typeof getRequestFormData>>;

