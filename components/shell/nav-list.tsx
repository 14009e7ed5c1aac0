"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { cn } from "@/components/ui/cn";

export type NavItem = { href: string; label: string };

/**
 * A list of links that marks the one for the current page (its path, or a path
 * below it) with aria-current. `badge` adds something after a link's label.
 */
export function NavList({
  label,
  links,
  className,
  linkClass,
  activeClass,
  badge,
}: {
  label: string;
  links: readonly NavItem[];
  className: string;
  linkClass: string;
  activeClass: string;
  badge?: (href: string) => React.ReactNode;
}) {
  const pathname = usePathname();
  return (
    <nav aria-label={label} className={className}>
      {links.map((l) => {
        const active = pathname === l.href || pathname.startsWith(`${l.href}/`);
        return (
          <Link
            key={l.href}
            href={l.href}
            aria-current={active ? "page" : undefined}
            className={cn(linkClass, active ? activeClass : "text-zinc-600 hover:bg-zinc-100 dark:text-zinc-400 dark:hover:bg-zinc-800")}
          >
            {l.label}
            {badge?.(l.href)}
          </Link>
        );
      })}
    </nav>
  );
}
