import { AppShell } from "@/components/shell/app-shell";
import { requireUser } from "@/lib/auth/session";

// Every page below checks its own permission too; the layout only builds the shell.
export default async function DashboardLayout({ children }: { children: React.ReactNode }) {
  const user = await requireUser();
  return <AppShell user={user}>{children}</AppShell>;
}
