"use client";

import { WaitingBadge } from "@/components/promotions/waiting-badge";
import { NavList, type NavItem } from "./nav-list";

const LINKS: NavItem[] = [
  { href: "/functions", label: "Functions" },
  { href: "/comparisons", label: "Comparisons" },
  { href: "/promotions", label: "Promotions" },
  { href: "/audit", label: "Audit log" },
  { href: "/api-docs", label: "API" },
  { href: "/settings", label: "Settings" },
];

/** `waiting`: promotion requests waiting for this member (null: they cannot decide, no badge). */
export function NavLinks({ waiting = null }: { waiting?: number | null }) {
  return (
    <NavList
      label="Main"
      links={LINKS}
      className="flex flex-wrap gap-1 text-sm"
      linkClass="rounded-md px-3 py-1.5 font-medium"
      activeClass="bg-zinc-100 text-zinc-900 dark:bg-zinc-800 dark:text-zinc-100"
      badge={(href) => (href === "/promotions" && waiting !== null ? <WaitingBadge initial={waiting} /> : null)}
    />
  );
}
