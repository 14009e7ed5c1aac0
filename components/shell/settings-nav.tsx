"use client";

import { NavList, type NavItem } from "./nav-list";

const LINKS: NavItem[] = [
  { href: "/settings/members", label: "Members" },
  { href: "/settings/environments", label: "Environments" },
  { href: "/settings/nyckel", label: "Nyckel" },
  { href: "/settings/tokens", label: "API tokens" },
  { href: "/settings/webhooks", label: "Webhooks" },
  { href: "/settings/audit", label: "Audit integrity" },
];

export function SettingsNav() {
  return (
    <NavList
      label="Settings"
      links={LINKS}
      className="flex flex-row gap-1 md:flex-col"
      linkClass="rounded-md px-3 py-2 text-sm font-medium"
      activeClass="bg-zinc-200/60 dark:bg-zinc-800"
    />
  );
}
