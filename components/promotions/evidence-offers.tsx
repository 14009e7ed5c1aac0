import Link from "next/link";
import { offerHref, type EvidenceOffers } from "@/lib/promotions/offers";
import { textLinkClass } from "@/components/ui/text-link";

/**
 * "Request promotion of <model> to <environment>" on a finished comparison
 * report, one link per environment whose current pin is one side of the run;
 * each opens the function page's request form filled in, with the run as its
 * evidence. Without such an environment, says so and how to get evidence.
 */
export function EvidenceOffersBox({ functionId, runId, data }: { functionId: string; runId: string; data: EvidenceOffers }) {
  const functionHref = `/functions/${encodeURIComponent(functionId)}`;
  return (
    <section
      aria-labelledby="evidence-offers-heading"
      data-testid="evidence-offers"
      className="mt-6 rounded-lg bg-white p-5 ring-1 ring-zinc-200 dark:bg-zinc-900 dark:ring-zinc-800"
    >
      <h2 id="evidence-offers-heading" className="text-base font-semibold">
        Use this run as evidence
      </h2>
      {data.offers.length ? (
        <ul className="mt-2 space-y-2 text-sm">
          {data.offers.map((o) => (
            <li key={o.environmentId}>
              <Link href={offerHref(functionId, runId, o)} className={`font-medium ${textLinkClass}`}>
                Request promotion of {o.targetLabel} to {o.environmentName}
              </Link>
              <span className={`block text-xs ${o.gateOk ? "text-zinc-600 dark:text-zinc-400" : "text-red-700 dark:text-red-400"}`}>
                {o.gateOk ? o.gateMessage : `The evidence gate would refuse it: ${o.gateMessage}`}
              </span>
            </li>
          ))}
        </ul>
      ) : data.unregistered.length ? null : (
        <p className="mt-1 text-sm text-zinc-600 dark:text-zinc-400" data-testid="evidence-offers-none">
          No environment has its current pin on one side of this run and another model on the other, so this run is not evidence for a
          promotion. To request a promotion, pick the environment in the{" "}
          <Link href={`${functionHref}#request`} className={textLinkClass}>
            function&apos;s request form
          </Link>{" "}
          and use “Compare now” there.
        </p>
      )}
      {data.unregistered.length ? (
        <p className="mt-2 text-xs text-zinc-600 dark:text-zinc-400">
          {data.unregistered.join(", ")} {data.unregistered.length === 1 ? "is" : "are"} not a registered model of this function; register{" "}
          {data.unregistered.length === 1 ? "it" : "them"} on the{" "}
          <Link href={functionHref} className={textLinkClass}>
            function&apos;s page
          </Link>{" "}
          to request a promotion.
        </p>
      ) : null}
    </section>
  );
}
