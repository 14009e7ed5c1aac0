import { modelLabel as formatModelLabel } from "@/lib/models/label";

/** Plain data the function page hands to its client components (dates as ISO strings). */

export type ModelRefView = { id: string; modelId: string; nickname: string; retired: boolean };

export type EnvironmentView = { id: string; slug: string; name: string; protected: boolean; approvalsRequired: number };

export type PinView = {
  version: number;
  model: ModelRefView | null;
  reason: string;
  breakGlass: boolean;
  updatedAt: string;
  updatedBy: string;
  kind: string;
  restoredVersion: number | null;
};

export type PendingView = { id: string; number: number; targetModelId: string | null; requestedBy: string };

export type PinRowView = { environment: EnvironmentView; pin: PinView | null; pending?: PendingView[] };

export type RevisionView = {
  id: string;
  version: number;
  kind: string;
  reason: string;
  breakGlass: boolean;
  restoredVersion: number | null;
  createdAt: string;
  actor: string;
  auditEventId: string;
  model: ModelRefView | null;
};

export type ModelOption = { id: string; modelId: string; nickname: string };

export function modelLabel(m: { nickname: string; modelId: string } | null): string {
  return formatModelLabel(m, { latest: "latest — not pinned" });
}
