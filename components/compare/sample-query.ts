import { useQuery } from "@tanstack/react-query";
import { useRef } from "react";
import { decodeSampleColumns, type SampleColumns, type SampleRow } from "@/lib/compare/sample-filters";

/**
 * One key per run: while the run is active, RunProgress invalidates it from the progress signal (and once more
 * when the run ends), so the rows always come from the stored results, never from a response loaded mid-run.
 */
export const sampleKeys = { rows: (runId: string) => ["comparison-run", runId, "samples"] as const };

/** Every sample of the run, in one JSON request. */
export function useSampleRows(runId: string) {
  // Only the first fetch may use the page's <link rel="preload"> response (same URL, mode and credentials, so the
  // browser hands it over). Every later fetch asks for a distinct URL: an unclaimed or reused preloaded response
  // (loaded while the run was active) must never stand in for the stored results.
  const fetches = useRef(0);
  return useQuery({
    queryKey: sampleKeys.rows(runId),
    queryFn: async ({ signal }): Promise<SampleRow[]> => {
      const n = fetches.current++;
      const url = n === 0 ? `/api/comparisons/${runId}/samples` : `/api/comparisons/${runId}/samples?fresh=${Date.now()}`;
      const res = await fetch(url, n === 0 ? { signal } : { signal, cache: "no-store" });
      if (!res.ok) throw new Error(`The samples could not be loaded (${res.status}).`);
      return decodeSampleColumns((await res.json()) as SampleColumns);
    },
    // Refetched only when RunProgress reports new results (or the end of the run), keeping the rows shown meanwhile.
    staleTime: Infinity,
  });
}
