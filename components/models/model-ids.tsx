"use client";

import { useId } from "react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Time } from "@/components/ui/time";

/**
 * Whether Nyckel confirmed a model id: "verified", or "not verified" with why on
 * hover and on keyboard focus (the reason is also the badge's accessible description).
 * Models registered before ids were checked show nothing.
 */
export function VerificationBadge({ verifiedAt, note }: { verifiedAt: Date | null; note: string | null }) {
  const tipId = useId();
  if (verifiedAt) return <Badge tone="green">verified</Badge>;
  if (!note) return null;
  return (
    <span tabIndex={0} aria-describedby={tipId} className="group relative inline-flex rounded-full focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500" data-testid="not-verified">
      <Badge tone="amber">not verified</Badge>
      <span
        role="tooltip"
        id={tipId}
        className="invisible absolute top-full left-0 z-10 mt-1 w-72 rounded-md bg-zinc-900 px-3 py-2 text-xs text-white shadow-lg group-hover:visible group-focus:visible dark:bg-zinc-700"
      >
        Nyckel could not confirm this id when it was registered. {note}
      </span>
    </span>
  );
}

/** The model ids a sync saw in Nyckel for this function that nobody has registered yet, each with “Use this id”. */
export function SeenIds({ ids, onUse }: { ids: Array<{ modelId: string; firstSeenAt: Date }>; onUse: (modelId: string) => void }) {
  const headingId = useId();
  if (!ids.length) return null;
  return (
    <section aria-labelledby={headingId} className="space-y-2" data-testid="seen-ids">
      <h4 id={headingId} className="text-sm font-medium text-zinc-700 dark:text-zinc-300">
        Ids seen in Nyckel, not registered yet
      </h4>
      <p className="text-xs text-zinc-500">Nyckel&rsquo;s current model at each sync. Older ids are in the Model Info panel of the function in the Nyckel console.</p>
      <ul className="divide-y divide-zinc-100 rounded-md ring-1 ring-zinc-200 dark:divide-zinc-800 dark:ring-zinc-800">
        {ids.map((m, i) => (
          <li key={m.modelId} className="flex flex-wrap items-center gap-3 px-3 py-2 text-sm" data-testid={`seen-${m.modelId}`}>
            <code id={`${headingId}-${i}`} className="min-w-0 flex-1 font-mono text-xs wrap-anywhere">
              {m.modelId}
            </code>
            <span className="text-xs text-zinc-500">
              first seen <Time value={m.firstSeenAt} />
            </span>
            <Button type="button" variant="secondary" aria-describedby={`${headingId}-${i}`} onClick={() => onUse(m.modelId)}>
              Use this id
            </Button>
          </li>
        ))}
      </ul>
    </section>
  );
}
