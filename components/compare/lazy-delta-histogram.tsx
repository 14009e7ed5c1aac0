"use client";

import dynamic from "next/dynamic";

/**
 * The report's histogram, loaded after first paint: Recharts is most of the report's
 * JavaScript and draws one chart below the fold. Until it arrives, a box of the chart's
 * height (h-56, as in DeltaHistogram) holds its place, so nothing moves when it draws.
 */
export const LazyDeltaHistogram = dynamic(() => import("./delta-histogram").then((m) => m.DeltaHistogram), {
  ssr: false,
  loading: () => <div className="h-56 w-full animate-pulse rounded-md bg-zinc-100 dark:bg-zinc-800" aria-hidden data-testid="delta-histogram-loading" />,
});
