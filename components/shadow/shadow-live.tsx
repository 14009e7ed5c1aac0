"use client";

import { useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useEffect, useRef } from "react";

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
  const router = useRouter();
  const { data } = useQuery({
    queryKey: shadowKeys.state(shadowId),
    queryFn: async ({ signal }): Promise<ShadowLiveState> => {
      const res = await fetch(`/api/shadows/${shadowId}/status`, { signal, cache: "no-store" });
      if (!res.ok) throw new Error(`shadow status ${res.status}`);
      return res.json() as Promise<ShadowLiveState>;
    },
    initialData: initial,
    refetchInterval: (q) => (q.state.data?.status === "active" ? POLL_MS : false),
  });
  const shown = useRef(initial.version);
  useEffect(() => {
    if (!data || data.version === shown.current) return;
    shown.current = data.version;
    router.refresh();
  }, [data, router]);
  return null;
}
