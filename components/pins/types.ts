import type { PendingRequestView } from "@/lib/promotions/pending";
import type { FunctionPinRow } from "@/lib/pins/queries";
import { modelLabel as formatModelLabel } from "@/lib/models/label";

/** A row of the pins panel: the query's row with the open promotion requests of that cell. */
export type PinsPanelRow = FunctionPinRow & { pending?: PendingRequestView[] };

/** A model the pin form offers. */
export type ModelOption = { id: string; modelId: string; nickname: string };

export function modelLabel(m: { nickname: string; modelId: string } | null): string {
  return formatModelLabel(m, { latest: "latest — not pinned" });
}
