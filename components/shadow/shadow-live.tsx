"use client";

import { useQuery } from "@tanstack/react-query";
import { fetchLiveState, useRefreshOnNewVersion } from "@/components/ui/live-state";

/** What the report polls: the shadow's state and a version that changes whenever its recorded figures do. */
export type ShadowLiveState = { status: "active" | "ended" | "stopped"; version: string };

export const shadowKeys = {
  all: ["shadows"] as const,
  state: (shadowId: string) => [...shadowKeys.all, "state", shadowId] as const,
};

/** How often an open report asks whether its figures changed (the engine flushes recorded answers about every second). */
const POLL_MS = 3000;

/**
 * Keeps a shadow report live, as RunProgress keeps a comparison report: GET /api/shadows/{id}/status every
 * POLL_MS while the shadow is active (TanStack Query pauses it in a hidden tab); when the version moves, the
 * server-rendered report (agreement, matrix, chart, reservoir) re-renders with router.refresh(), without a reload.
 * Once the shadow has ended or stopped it polls no more.
 */
export function ShadowLive({ shadowId, initial }: { shadowId: string; initial: ShadowLiveState }) {
  const { data } = useQuery({
    queryKey: shadowKeys.state(shadowId),
    queryFn: ({ signal }) => fetchLiveState<ShadowLiveState>(`/api/shadows/${shadowId}/status`, "shadow", signal),
    initialData: initial,
    refetchInterval: (q) => (q.state.data?.status === "active" ? POLL_MS : false),
  });
  useRefreshOnNewVersion(data?.version, initial.version);
  return null;
}
