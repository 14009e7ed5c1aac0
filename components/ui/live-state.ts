"use client";

import { useRouter } from "next/navigation";
import { useEffect, useRef } from "react";

/** GETs a polled live-state route (never cached); an answer that is not 2xx is an error naming `what` and the status. */
export async function fetchLiveState<T>(url: string, what: string, signal: AbortSignal): Promise<T> {
  const res = await fetch(url, { signal, cache: "no-store" });
  if (!res.ok) throw new Error(`${what} status ${res.status}`);
  return res.json() as Promise<T>;
}

/**
 * Re-renders the server-rendered page (router.refresh(), no reload) whenever a polled state's version
 * moves away from the one the page was rendered with; `afterRefresh` runs each time it does.
 */
export function useRefreshOnNewVersion(version: string | undefined, initialVersion: string, afterRefresh?: () => void) {
  const router = useRouter();
  const shown = useRef(initialVersion);
  useEffect(() => {
    if (version === undefined || version === shown.current) return;
    shown.current = version;
    router.refresh();
    afterRefresh?.();
  }, [version, router, afterRefresh]);
}
