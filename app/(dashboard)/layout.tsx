import { AppShell } from "@/components/shell/app-shell";
import { requireSignedIn } from "@/lib/session/current";

// Every page below checks its own permission too (and sends a member with a pending one-time password
// to /account); the layout only builds the shell, so it serves that member as well.
export default async function DashboardLayout({ children }: { children: React.ReactNode }) {
  const user = await requireSignedIn();
  return <AppShell user={user}>{children}</AppShell>;
}
