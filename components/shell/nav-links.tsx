"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { WaitingBadge } from "@/components/promotions/waiting-badge";
import { cn } from "@/components/ui/cn";

const LINKS = [
  { href: "/functions", label: "Functions" },
  { href: "/comparisons", label: "Comparisons" },
  { href: "/promotions", label: "Promotions" },
  { href: "/audit", label: "Audit log" },
  { href: "/api-docs", label: "API" },
  { href: "/settings", label: "Settings" },
];

/** `waiting`: promotion requests waiting for this member (null: they cannot decide, no badge). */
export function NavLinks({ waiting = null }: { waiting?: number | null }) {
  const pathname = usePathname();
  return (
    <nav aria-label="Main" className="flex flex-wrap gap-1 text-sm">
      {LINKS.map((l) => {
        const active = pathname === l.href || pathname.startsWith(`${l.href}/`);
        return (
          <Link
            key={l.href}
            href={l.href}
            aria-current={active ? "page" : undefined}
            className={cn(
              "rounded-md px-3 py-1.5 font-medium",
              active ? "bg-zinc-100 text-zinc-900 dark:bg-zinc-800 dark:text-zinc-100" : "text-zinc-600 hover:bg-zinc-100 dark:text-zinc-400 dark:hover:bg-zinc-800",
            )}
          >
            {l.label}
            {l.href === "/promotions" && waiting !== null ? <WaitingBadge initial={waiting} /> : null}
          </Link>
        );
      })}
    </nav>
  );
}
