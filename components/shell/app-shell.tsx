import Link from "next/link";
import { signOutAction } from "@/lib/session/actions";
import { ROLE_LABELS, can, type RoleName } from "@/lib/auth/permissions";
import { countWaitingForMe } from "@/lib/promotions/queries";
import { NavLinks } from "./nav-links";

export async function AppShell({ user, children }: { user: { id: string; name: string; email: string; role: RoleName }; children: React.ReactNode }) {
  // The badge's first value; the nav then polls it (components/promotions/waiting-badge.tsx).
  const waiting = can(user.role, "requests:decide") ? await countWaitingForMe(user) : null;
  return (
    <div className="min-h-screen">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2">
        Skip to content
      </a>
      <header className="border-b border-zinc-200 bg-white dark:border-zinc-800 dark:bg-zinc-900">
        <div className="mx-auto flex max-w-7xl flex-wrap items-center gap-x-6 gap-y-2 px-4 py-3">
          <Link href="/" className="text-lg font-semibold tracking-tight">
            <span aria-hidden className="mr-1 text-indigo-600">◆</span>Modelpin
          </Link>
          <NavLinks waiting={waiting} />
          <div className="ml-auto flex items-center gap-3 text-sm">
            <div className="text-right leading-tight" data-testid="current-user">
              <div className="font-medium">{user.name}</div>
              <div className="text-xs text-zinc-500">
                {user.email} · <span data-testid="current-role">{ROLE_LABELS[user.role]}</span>
              </div>
            </div>
            <Link href="/account" className="rounded-md px-2 py-1 text-zinc-600 hover:bg-zinc-100 dark:text-zinc-400 dark:hover:bg-zinc-800">
              Account
            </Link>
            <form action={signOutAction}>
              <button type="submit" className="rounded-md px-2 py-1 text-zinc-600 hover:bg-zinc-100 dark:text-zinc-400 dark:hover:bg-zinc-800">
                Sign out
              </button>
            </form>
          </div>
        </div>
      </header>
      <main id="main" className="mx-auto max-w-7xl px-4 py-8">
        {children}
      </main>
    </div>
  );
}
