/**
 * "Request promotion of <model> to <environment>" offers on a finished
 * comparison report (pure: no database, no React). A run is evidence for an
 * environment when one of its sides is the environment's current pin and the
 * other is the target — the same rule the request form and the service apply
 * (matchEvidence in ./gate.ts); the gate's verdict is shown beside each offer.
 */

import { evaluateGate, gatePolicyOf, matchEvidence, type EvidenceRun } from "./gate";
import { modelLabel } from "@/lib/models/label";

export type OfferEnvironment = {
  id: string;
  name: string;
  protected: boolean;
  minAgreementPct: number | null;
  minAnsweredSamples: number;
  maxErrorPct: number;
  gateLowerBound: boolean;
  /** The current pin's Nyckel model id; null = latest. */
  pinModelId: string | null;
};

/** Registered, not retired models of the run's function. */
export type OfferModel = { id: string; modelId: string; nickname: string };

export type EvidenceOffer = {
  environmentId: string;
  environmentName: string;
  /** The target's model row id, or "latest" (the request form's `requestTarget`). */
  target: string;
  targetLabel: string;
  /** The gate's verdict on this run for this request (the form shows the same). */
  gateOk: boolean;
  gateMessage: string;
};

export type EvidenceOffers = { offers: EvidenceOffer[]; unregistered: string[] };

const label = (modelId: string | null, models: readonly OfferModel[]) => modelLabel({ modelId, nickname: models.find((x) => x.modelId === modelId)?.nickname });

/**
 * For each environment whose current pin is one side of the run, the offer to
 * move it to the other side. `unregistered` names targets that cannot be
 * requested because they are not registered models of the function.
 */
export function evidenceOffers(run: EvidenceRun, environments: readonly OfferEnvironment[], models: readonly OfferModel[], now: Date): EvidenceOffers {
  const offers: EvidenceOffer[] = [];
  const unregistered = new Set<string>();
  if (run.status !== "finished" || run.modelA === run.modelB) return { offers, unregistered: [] };
  for (const env of environments) {
    const targetModelId = env.pinModelId === run.modelA ? run.modelB : env.pinModelId === run.modelB ? run.modelA : undefined;
    if (targetModelId === undefined) continue;
    const t = { functionId: run.functionId, environmentName: env.name, currentModelId: env.pinModelId, targetModelId, now };
    if (!matchEvidence(run, t).ok) continue;
    const model = targetModelId === null ? null : (models.find((m) => m.modelId === targetModelId) ?? null);
    if (targetModelId !== null && !model) {
      unregistered.add(targetModelId);
      continue;
    }
    const verdict = evaluateGate(run, t, gatePolicyOf(env));
    offers.push({
      environmentId: env.id,
      environmentName: env.name,
      target: model?.id ?? "latest",
      targetLabel: label(targetModelId, models),
      gateOk: verdict.ok,
      gateMessage: verdict.message,
    });
  }
  return { offers, unregistered: [...unregistered] };
}

/** The function page's request form, filled in with this run as evidence. */
export function offerHref(functionId: string, runId: string, offer: Pick<EvidenceOffer, "environmentId" | "target" | "targetLabel" | "environmentName">): string {
  const q = new URLSearchParams({
    requestEnvironment: offer.environmentId,
    requestTarget: offer.target,
    requestReason: `Comparison run ${runId} compares ${offer.environmentName}'s current pin with ${offer.targetLabel}.`,
    requestEvidence: runId,
  });
  return `/functions/${encodeURIComponent(functionId)}?${q.toString()}#request`;
}
