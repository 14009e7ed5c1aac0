import { NextResponse } from "next/server";
import { can } from "@/lib/auth/permissions";
import { getCurrentUser } from "@/lib/auth/session";
import { getRunProgress } from "@/lib/compare/queries";

/** Progress of a comparison run, polled by the run page (TanStack Query). */
export async function GET(_request: Request, { params }: { params: Promise<{ runId: string }> }) {
  const user = await getCurrentUser();
  if (!user) return NextResponse.json({ message: "Sign in first." }, { status: 401 });
  if (!can(user.role, "comparisons:read")) return NextResponse.json({ message: "Not allowed." }, { status: 403 });
  const { runId } = await params;
  const progress = /^[0-9a-f-]{36}$/i.test(runId) ? await getRunProgress(runId) : null;
  if (!progress) return NextResponse.json({ message: "That comparison run does not exist." }, { status: 404 });
  return NextResponse.json(progress, { headers: { "cache-control": "no-store" } });
}
