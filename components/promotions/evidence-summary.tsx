import Link from "next/link";
import { Badge } from "@/components/ui/badge";
import { Time } from "@/components/ui/time";
import type { EvidenceSummary } from "@/lib/promotions/evidence";
import { describeGate } from "@/lib/promotions/gate";
import { EvidenceStatistics } from "./evidence-statistics";
import { pct } from "./format";
import { textLinkClass } from "@/components/ui/text-link";

/** The evidence frozen into a request: what the approvers decide on, with a link to the full report. */
export function EvidenceSummaryView({ summary, hash, verified }: { summary: EvidenceSummary; hash: string | null; verified: boolean | null }) {
  const current = summary.currentSide === "a" ? summary.modelA : summary.modelB;
  const requested = summary.currentSide === "a" ? summary.modelB : summary.modelA;
  const side = (s: "a" | "b") => (s === summary.currentSide ? "current pin" : "requested");
  const acc = summary.accuracy;
  const shadow = summary.shadow;
  return (
    <div className="space-y-2 text-sm wrap-anywhere" data-testid="evidence">
      {shadow ? (
        <p>
          Shadow evaluation in {shadow.environment}: <strong>{requested.label}</strong> (requested) answered {shadow.mirrored.toLocaleString("en-US")} mirrored requests
          of live traffic alongside <strong>{current.label}</strong> (current pin), from <Time value={shadow.window.from} /> to <Time value={shadow.window.to} /> (
          {shadow.sharePct}% of proxied calls mirrored).
        </p>
      ) : (
        <p>
          Comparison of <strong>{current.label}</strong> (current pin) with <strong>{requested.label}</strong> (requested) on the sample set “{summary.sampleSet.name}” (
          {summary.samples} samples), finished <Time value={summary.finishedAt} />.
        </p>
      )}
      <p data-testid="evidence-agreement">
        They agree on <strong>{pct(summary.agreement.rate)}</strong> of {summary.agreement.n} {shadow ? "requests" : "samples"} both answered (95% CI {pct(summary.agreement.ciLow)}–
        {pct(summary.agreement.ciHigh)}).
      </p>
      <p className="text-zinc-600 dark:text-zinc-400">
        {shadow ? "Errors" : "Errors after retries"}: {side("a")} {summary.errors.a}, {side("b")} {summary.errors.b}.
      </p>
      {acc ? (
        <p className="text-zinc-600 dark:text-zinc-400">
          Accuracy on {acc.n} samples with ground truth: {side("a")} {pct(acc.a.accuracy)}, {side("b")} {pct(acc.b.accuracy)}. {acc.sentence.replaceAll("Model A", side("a")).replaceAll("Model B", side("b"))}
        </p>
      ) : null}
      {acc ? <EvidenceStatistics accuracy={acc} currentSide={summary.currentSide} /> : null}
      <p>
        Gate:{" "}
        {summary.gate.minAgreementPct === null ? (
          "none required at submit"
        ) : (
          <>
            {summary.gate.rules
              ? describeGate({ minAgreementPct: summary.gate.minAgreementPct, ...summary.gate.rules })
              : `≥ ${summary.gate.minAgreementPct}% agreement`}{" "}
            — <Badge tone="green">passed</Badge>
          </>
        )}
      </p>
      <p className="text-xs text-zinc-500">
        Frozen at submit. SHA-256 <code className="font-mono" title={hash ?? ""}>{hash?.slice(0, 16)}…</code>{" "}
        {verified ? <Badge tone="green">matches</Badge> : <Badge tone="red">does not match: the record was altered</Badge>}{" "}
        <Link href={shadow ? `/functions/${encodeURIComponent(summary.functionId)}/shadows/${shadow.shadowId}` : `/comparisons/${summary.runId}`} className={textLinkClass}>
          Open the full report
        </Link>
      </p>
    </div>
  );
}
