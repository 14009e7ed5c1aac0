"use client";

import { useRouter } from "next/navigation";
import { useAction } from "next-safe-action/hooks";
import { Alert } from "@/components/ui/alert";
import { actionErrors } from "@/components/ui/action-errors";
import { Button } from "@/components/ui/button";
import { freezeShadowEvidenceAction } from "@/lib/shadow/actions";

/**
 * "Use as evidence": freezes the report as it stands (its window, the number of mirrored requests, the
 * agreement and its interval) and opens the function page's request form, filled in to move the
 * environment to the candidate with the frozen report attached. The gate judges it there as it judges a
 * comparison run.
 */
export function UseAsEvidence({ shadowId, environmentName, candidateLabel, mirrored }: { shadowId: string; environmentName: string; candidateLabel: string; mirrored: number }) {
  const router = useRouter();
  const freeze = useAction(freezeShadowEvidenceAction, { onSuccess: ({ data }) => data && router.push(data.href) });
  const { message } = actionErrors(freeze.result);
  return (
    <section aria-labelledby="use-as-evidence-heading" className="mt-6 rounded-lg bg-white p-5 ring-1 ring-zinc-200 dark:bg-zinc-900 dark:ring-zinc-800" data-testid="use-as-evidence">
      <h2 id="use-as-evidence-heading" className="text-base font-semibold">
        Use this shadow as evidence
      </h2>
      <p className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">
        Freezes the report as it is now ({mirrored.toLocaleString("en-US")} mirrored requests so far) and opens the request to move {environmentName} to {candidateLabel}, with
        the frozen report as its evidence. The environment&apos;s evidence gate judges it as it judges a comparison run.
      </p>
      {message ? <Alert className="mt-2">{message}</Alert> : null}
      <Button className="mt-3" variant="secondary" pending={freeze.isPending || freeze.hasSucceeded} disabled={mirrored === 0} onClick={() => freeze.execute({ shadowId })}>
        Use as evidence
      </Button>
    </section>
  );
}
