import { z } from "zod";
import { beforeCursorSchema } from "@/lib/keyset";
import { reasonSchema } from "@/lib/pins/schemas";
import { TEXT_LIMITS } from "@/lib/text-limits";

export const REQUEST_STATUSES = ["pending", "applied", "rejected", "cancelled", "expired", "stale"] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

/** A request's policy, frozen from its environment when it was made (shown by the promotion screens, lib/promotions/service.ts applies it). */
export type Policy = {
  protected: boolean;
  approvalsRequired: number;
  rejectionBlocks: boolean;
  requestExpiryHours: number | null;
  minAgreementPct: number | null;
  /** The gate's other rules (absent in requests made before they existed). */
  minAnsweredSamples?: number;
  maxErrorPct?: number;
  gateLowerBound?: boolean;
};

export const STATUS_LABELS: Record<RequestStatus, string> = {
  pending: "Pending",
  applied: "Applied",
  rejected: "Rejected",
  cancelled: "Cancelled",
  expired: "Expired",
  stale: "Stale",
};

/** Ask to move one environment's pin of one function to a registered model, or to latest (null). */
export const createRequestSchema = z.object({
  functionId: z.string({ message: "Unknown function." }).min(1, "Unknown function.").max(200, "Unknown function."),
  environmentId: z.uuid("Choose an environment."),
  targetModelRefId: z.uuid("Choose a registered model, or latest.").nullable(),
  reason: reasonSchema,
  evidenceRunId: z.uuid("Choose a comparison run from the list.").nullable().default(null),
  /** Or a shadow evaluation frozen as evidence (lib/shadow/evidence.ts); not both. */
  evidenceShadowSnapshotId: z.uuid("Choose a frozen shadow evaluation from the list.").nullable().default(null),
}).refine((v) => v.evidenceRunId === null || v.evidenceShadowSnapshotId === null, {
  message: "Attach one piece of evidence: a comparison run or a frozen shadow evaluation, not both.",
  path: ["evidenceShadowSnapshotId"],
});
export type CreateRequestInput = z.input<typeof createRequestSchema>;

const requestId = z.uuid("Unknown promotion request.");
const COMMENT_MAX = TEXT_LIMITS.comment;

export const approveRequestSchema = z.object({
  requestId,
  comment: z.string().trim().max(COMMENT_MAX, "Comments are at most 2,000 characters.").default(""),
});
export type ApproveRequestInput = z.input<typeof approveRequestSchema>;

export const rejectRequestSchema = z.object({
  requestId,
  comment: z
    .string({ message: "Say why you reject it: the requester and the audit log read it." })
    .trim()
    .min(1, "Say why you reject it: the requester and the audit log read it.")
    .max(COMMENT_MAX, "Comments are at most 2,000 characters."),
});
export type RejectRequestInput = z.input<typeof rejectRequestSchema>;

export const cancelRequestSchema = z.object({
  requestId,
  comment: z.string().trim().max(COMMENT_MAX, "Comments are at most 2,000 characters.").default(""),
});
export type CancelRequestInput = z.input<typeof cancelRequestSchema>;

export const REQUEST_VIEWS = ["waiting", "mine", "all"] as const;
export type RequestView = (typeof REQUEST_VIEWS)[number];

/** Filters of /promotions from search params; malformed values are dropped (never an error page). */
export const requestListFilterSchema = z.object({
  view: z.enum(REQUEST_VIEWS).optional().catch(undefined),
  status: z.enum(REQUEST_STATUSES).optional().catch(undefined),
  before: beforeCursorSchema,
});
export type RequestListFilter = z.output<typeof requestListFilterSchema>;
