import { NextResponse } from "next/server";
import { can } from "@/lib/auth/permissions";
import { getCurrentUser } from "@/lib/auth/session";
import { runSampleColumnsJson } from "@/lib/compare/queries";

/**
 * Every sample of a run with both outcomes (inputs shortened), for the report's
 * virtualized table: `SampleColumns` (lib/compare/sample-filters.ts), one array
 * per field in set order, built by PostgreSQL and passed through. Filtering and
 * sorting happen in the browser, so changing a filter costs no request.
 */
export async function GET(_request: Request, { params }: { params: Promise<{ runId: string }> }) {
  const user = await getCurrentUser();
  if (!user) return NextResponse.json({ message: "Sign in first." }, { status: 401 });
  if (!can(user.role, "comparisons:read")) return NextResponse.json({ message: "Not allowed." }, { status: 403 });
  const { runId } = await params;
  const json = await runSampleColumnsJson(runId);
  if (json === null) return NextResponse.json({ message: "That comparison run does not exist." }, { status: 404 });
  return new Response(json, { headers: { "content-type": "application/json; charset=utf-8", "cache-control": "private, no-store" } });
}
