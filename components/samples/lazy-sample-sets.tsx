"use client";

import dynamic from "next/dynamic";

/**
 * The sample sets page's uploader and list (react-dropzone), loaded after the page's own
 * JavaScript (issue 17, light pages): rendered on the server as before, so the list is there
 * at first paint; its code arrives in its own chunk. The placeholder shows only on
 * client-side navigation.
 */
export const LazySampleSetsClient = dynamic(() => import("./sample-sets-client").then((m) => m.SampleSetsClient), {
  loading: () => <div className="h-96 rounded-lg bg-white ring-1 ring-zinc-200 dark:bg-zinc-900 dark:ring-zinc-800" aria-hidden />,
});
