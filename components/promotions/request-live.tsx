"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useEffect, useRef } from "react";
import { promotionKeys } from "./query-keys";

type RequestState = { status: string; version: string };

/** How often an open request page asks for its request's state (only while the page is visible). */
const POLL_MS = 3000;

/**
 * The request's live state (GET /api/promotions/{id}/status), polled every POLL_MS while the page is
 * visible. Shared by RequestLive (which refreshes the page) and RequestActions (which disables its buttons
 * as soon as the request is no longer pending).
 */
export function useRequestState(requestId: string, initial?: RequestState) {
  return useQuery({
    queryKey: promotionKeys.state(requestId),
    queryFn: async ({ signal }): Promise<RequestState> => {
      const res = await fetch(`/api/promotions/${requestId}/status`, { signal, cache: "no-store" });
      if (!res.ok) throw new Error(`request status ${res.status}`);
      return res.json() as Promise<RequestState>;
    },
    initialData: initial,
    refetchInterval: POLL_MS,
    refetchOnWindowFocus: true,
  });
}

/**
 * Keeps a request page true: when the request's state changes (a decision, applied, stale, cancelled,
 * expired, the pin moved), wherever the change came from, the page re-renders from the server and the
 * promotions badge is refetched, without a reload.
 */
export function RequestLive({ requestId, initial }: { requestId: string; initial: RequestState }) {
  const router = useRouter();
  const queryClient = useQueryClient();
  const { data } = useRequestState(requestId, initial);
  const shown = useRef(initial.version);
  useEffect(() => {
    if (!data || data.version === shown.current) return;
    shown.current = data.version;
    router.refresh();
    void queryClient.invalidateQueries({ queryKey: promotionKeys.waitingCount() });
  }, [data, router, queryClient]);
  return null;
}
