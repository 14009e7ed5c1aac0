import { NextResponse } from "next/server";
import { can } from "@/lib/auth/permissions";
import { getCurrentUser } from "@/lib/auth/session";
import { logger } from "@/lib/logger";
import { getBudgetView } from "@/lib/nyckel-settings/budget-view";

/** The Nyckel budget as Settings → Nyckel shows it, polled about once a second (TanStack Query). */
export const dynamic = "force-dynamic";

export async function GET(): Promise<Response> {
  const user = await getCurrentUser();
  if (!user) return NextResponse.json({ message: "Sign in first." }, { status: 401 });
  if (!can(user.role, "nyckel:manage")) return NextResponse.json({ message: "Not allowed." }, { status: 403 });
  try {
    return NextResponse.json(await getBudgetView(), { headers: { "cache-control": "no-store" } });
  } catch (err) {
    const requestId = crypto.randomUUID();
    logger.error({ err, requestId }, "Nyckel budget view failed");
    return NextResponse.json(
      { message: `The budget could not be read right now (request id ${requestId}). It retries by itself.` },
      { status: 503, headers: { "cache-control": "no-store" } },
    );
  }
}
