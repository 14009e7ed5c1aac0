"use client";

import { useQuery } from "@tanstack/react-query";
import { usePathname, useRouter } from "next/navigation";
import { useEffect, useRef } from "react";
import { getWaitingCountAction } from "@/lib/promotions/actions";
import { promotionKeys } from "./query-keys";

/**
 * The count of promotion requests waiting for the signed-in member, beside
 * the "Promotions" nav link: from the server at first render, then polled
 * every 30 s and refetched on every navigation. When it changes while the
 * promotions list is open, the list refreshes too.
 */
export function WaitingBadge({ initial }: { initial: number }) {
  const pathname = usePathname();
  const router = useRouter();
  const { data: count, refetch } = useQuery({
    queryKey: promotionKeys.waitingCount(),
    queryFn: async () => (await getWaitingCountAction())?.data?.count ?? 0,
    initialData: initial,
    refetchInterval: 30_000,
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
