"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { cn } from "@/components/ui/cn";

const LINKS = [
  { href: "/settings/members", label: "Members" },
  { href: "/settings/environments", label: "Environments" },
  { href: "/settings/nyckel", label: "Nyckel" },
  { href: "/settings/tokens", label: "API tokens" },
  { href: "/settings/webhooks", label: "Webhooks" },
  { href: "/settings/audit", label: "Audit integrity" },
];

export function SettingsNav() {
  const pathname = usePathname();
  return (
    <nav aria-label="Settings" className="flex flex-row gap-1 md:flex-col">
      {LINKS.map((l) => (
        <Link
          key={l.href}
          href={l.href}
          aria-current={pathname.startsWith(l.href) ? "page" : undefined}
          className={cn(
            "rounded-md px-3 py-2 text-sm font-medium",
            pathname.startsWith(l.href) ? "bg-zinc-200/60 dark:bg-zinc-800" : "text-zinc-600 hover:bg-zinc-100 dark:text-zinc-400 dark:hover:bg-zinc-800",
          )}
        >
          {l.label}
        </Link>
      ))}
    </nav>
  );
}
