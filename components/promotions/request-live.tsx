"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback } from "react";
import { fetchLiveState, useRefreshOnNewVersion } from "@/components/ui/live-state";
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
    queryFn: ({ signal }) => fetchLiveState<RequestState>(`/api/promotions/${requestId}/status`, "request", signal),
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
  const queryClient = useQueryClient();
  const { data } = useRequestState(requestId, initial);
  const refetchBadge = useCallback(() => void queryClient.invalidateQueries({ queryKey: promotionKeys.waitingCount() }), [queryClient]);
  useRefreshOnNewVersion(data?.version, initial.version, refetchBadge);
  return null;
}
