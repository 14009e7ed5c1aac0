import Link from "next/link";
import { signOutAction } from "@/lib/auth/actions";
import { ROLE_LABELS, type RoleName } from "@/lib/auth/permissions";
import { NavLinks } from "./nav-links";

export function AppShell({ user, children }: { user: { name: string; email: string; role: RoleName }; children: React.ReactNode }) {
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
          <NavLinks />
          <div className="ml-auto flex items-center gap-3 text-sm">
            <div className="text-right leading-tight" data-testid="current-user">
              <div className="font-medium">{user.name}</div>
              <div className="text-xs text-zinc-500">
                {user.email} · <span data-testid="current-role">{ROLE_LABELS[user.role]}</span>
              </div>
            </div>
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
