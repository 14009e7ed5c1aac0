import { can } from "@/lib/auth/permissions";
import { getCurrentUser } from "@/lib/auth/session";
import { getComparisonRun, listRunSamples } from "@/lib/compare/queries";

const cell = (v: unknown) => {
  const s = v === null || v === undefined ? "" : String(v);
  const safe = /^[=+\-@]/.test(s) ? `'${s}` : s; // spreadsheets must not run a cell as a formula
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
};

/** The whole run as CSV: one row per sample with both outputs. */
export async function GET(_request: Request, { params }: { params: Promise<{ runId: string }> }) {
  const user = await getCurrentUser();
  if (!user) return Response.json({ message: "Sign in first." }, { status: 401 });
  if (!can(user.role, "comparisons:read")) return Response.json({ message: "Not allowed." }, { status: 403 });
  const { runId } = await params;
  const run = await getComparisonRun(runId);
  if (!run) return Response.json({ message: "That comparison run does not exist." }, { status: 404 });
  const samples = await listRunSamples(run.id, run.total);
  const header = ["position", "input", "truth", "a_label", "a_confidence", "a_latency_ms", "a_error", "b_label", "b_confidence", "b_latency_ms", "b_error", "agree"];
  const lines = [header.join(",")];
  for (const s of samples) {
    const agree = s.a?.ok && s.b?.ok ? (s.a.labelName === s.b.labelName ? "yes" : "no") : "";
    lines.push(
      [s.position, s.input, s.truth, s.a?.labelName, s.a?.confidence, s.a?.latencyMs, s.a?.error, s.b?.labelName, s.b?.confidence, s.b?.latencyMs, s.b?.error, agree]
        .map(cell)
        .join(","),
    );
  }
  return new Response(lines.join("\n") + "\n", {
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="comparison-${run.id}.csv"`,
      "cache-control": "no-store",
    },
  });
}
