"use client";

import dynamic from "next/dynamic";

/**
 * Heavy client parts of the compare screens, loaded after the page's own JavaScript
 * (issue 17, light pages): each is still rendered on the server, so its HTML is there at
 * first paint and nothing moves; its code arrives in its own chunk and hydrates it.
 * The placeholders (shown only on client-side navigation, until the chunk is in) keep
 * roughly the part's height.
 */

/** The quick compare form (react-dropzone, the zod check): below the pins and models. */
export const LazyQuickCompare = dynamic(() => import("./quick-compare").then((m) => m.QuickCompare), {
  loading: () => <div className="h-72 rounded-lg bg-white ring-1 ring-zinc-200 dark:bg-zinc-900 dark:ring-zinc-800" aria-hidden />,
});

/** The report's virtualized sample table (TanStack Table and Virtual), at the bottom of the report. */
export const LazySampleTable = dynamic(() => import("./sample-table").then((m) => m.SampleTable), {
  loading: () => <div className="h-[36rem] rounded-lg bg-white ring-1 ring-zinc-200 dark:bg-zinc-900 dark:ring-zinc-800" aria-hidden />,
});

/** The samples page's "Compare two models" form. */
export const LazyStartRunForm = dynamic(() => import("./start-run-form").then((m) => m.StartRunForm), {
  loading: () => <div className="h-48 rounded-lg bg-white ring-1 ring-zinc-200 dark:bg-zinc-900 dark:ring-zinc-800" aria-hidden />,
});
