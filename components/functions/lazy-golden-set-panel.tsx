"use client";

import dynamic from "next/dynamic";

/**
 * The function page's Golden set section, loaded after the page's own JavaScript (issue 17, light
 * pages): rendered on the server as before, its code in its own chunk. The placeholder shows only on
 * client-side navigation.
 */
export const LazyGoldenSetPanel = dynamic(() => import("./golden-set-panel").then((m) => m.GoldenSetPanel), {
  loading: () => <div className="h-40 rounded-lg bg-white ring-1 ring-zinc-200 dark:bg-zinc-900 dark:ring-zinc-800" aria-hidden />,
});
