import { can } from "@/lib/auth/permissions";
import { getCurrentUser } from "@/lib/auth/session";
import { getEnvironmentBySlug, getPinsAt } from "@/lib/pins/queries";
import { parsePointInTime } from "@/lib/pins/schemas";

/**
 * GET /api/v1/environments/{slug}/pins[?at=<ISO time>]
 * What was pinned in the environment at `at` (default: now), for every synced function:
 * { environment, at, pins: [{ functionId, functionName, modelId (null = latest), version, updatedAt }] }.
 * Always JSON: 401 without a session (never a redirect), 403 without pins:read,
 * 400 for a bad `at`, 404 for an unknown environment.
 */
export async function GET(request: Request, { params }: { params: Promise<{ environment: string }> }): Promise<Response> {
  const { environment: slug } = await params;
  const user = await getCurrentUser();
  if (!user) return Response.json({ error: "unauthorized", message: "Sign in, or send credentials." }, { status: 401 });
  if (!can(user.role, "pins:read")) return Response.json({ error: "forbidden", message: "You are not allowed to read pins." }, { status: 403 });
  const rawAt = new URL(request.url).searchParams.get("at");
  let at: Date | undefined;
  if (rawAt !== null) {
    const parsed = parsePointInTime(rawAt);
    if (!parsed) {
      return Response.json(
        { error: "invalid_input", message: "`at` must be an ISO 8601 time, like 2026-03-01T14:30:00Z (without a zone: UTC)." },
        { status: 400 },
      );
    }
    at = parsed;
  }
  const environment = await getEnvironmentBySlug(slug);
  if (!environment) return Response.json({ error: "not_found", message: `There is no environment "${slug}".` }, { status: 404 });
  const asOf = at ?? new Date();
  const pins = await getPinsAt(environment.id, { at });
  return Response.json(
    {
      environment: environment.slug,
      at: asOf.toISOString(),
      pins: pins.map((p) => ({
        functionId: p.functionId,
        functionName: p.functionName,
        modelId: p.modelId,
        version: p.version,
        updatedAt: p.updatedAt?.toISOString() ?? null,
      })),
    },
    { headers: { "cache-control": "no-store" } },
  );
}
