"use client";

import dynamic from "next/dynamic";

/**
 * The shadow report's chart, loaded after first paint like the comparison report's histogram
 * (Recharts is most of a report's JavaScript). A box of the chart's height (h-56) holds its place.
 */
export const LazyAgreementChart = dynamic(() => import("./agreement-chart").then((m) => m.AgreementChart), {
  ssr: false,
  loading: () => <div className="h-56 w-full animate-pulse rounded-md bg-zinc-100 dark:bg-zinc-800" aria-hidden data-testid="agreement-chart-loading" />,
});
