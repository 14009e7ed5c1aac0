"use client";

import dynamic from "next/dynamic";

/**
 * The promotion request form (evidence gate, offers, comparisons to start), loaded after the
 * page's own JavaScript: rendered on the server as before, its code in its own chunk
 * (issue 17, light pages). The placeholder shows only on client-side navigation.
 */
export const LazyRequestForm = dynamic(() => import("./request-form").then((m) => m.RequestForm), {
  loading: () => <div className="h-80 rounded-lg bg-white ring-1 ring-zinc-200 dark:bg-zinc-900 dark:ring-zinc-800" aria-hidden />,
});
