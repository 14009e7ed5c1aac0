"use client";

import { useQuery } from "@tanstack/react-query";
import { usePathname, useRouter } from "next/navigation";
import { useEffect, useRef } from "react";
import { promotionKeys } from "./query-keys";

/**
 * The count of promotion requests waiting for the signed-in member, beside
 * the "Promotions" nav link: from the server at first render, then polled
 * (GET /api/promotions/waiting-count) every 3 s while the page is visible and
 * refetched on every navigation. When it changes while the promotions list
 * is open, the list refreshes too.
 */
export function WaitingBadge({ initial }: { initial: number }) {
  const pathname = usePathname();
  const router = useRouter();
  const { data: count, refetch } = useQuery({
    queryKey: promotionKeys.waitingCount(),
    queryFn: async ({ signal }) => {
      const res = await fetch("/api/promotions/waiting-count", { signal, cache: "no-store" });
      if (!res.ok) throw new Error(`waiting count ${res.status}`);
      return ((await res.json()) as { count: number }).count;
    },
    initialData: initial,
    refetchInterval: 3000, // TanStack Query pauses it while the tab is hidden
  });
  const firstPath = useRef(pathname);
  useEffect(() => {
    if (firstPath.current === pathname) return;
    firstPath.current = pathname;
    void refetch();
  }, [pathname, refetch]);
  const seen = useRef(count);
  useEffect(() => {
    if (seen.current === count) return;
    seen.current = count;
    if (pathname === "/promotions") router.refresh();
  }, [count, pathname, router]);
  if (!count) return null;
  return (
    <span data-testid="waiting-count" className="ml-1.5 inline-flex min-w-5 items-center justify-center rounded-full bg-indigo-600 px-1.5 text-xs font-semibold text-white">
      <span aria-hidden>{count}</span>
      <span className="sr-only">, {count} waiting for you</span>
    </span>
  );
}
