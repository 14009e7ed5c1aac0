import { usePathname, useSearchParams } from "next/navigation";
import { useCallback, useState } from "react";
import { parseFilters, parseSort, toSearch, type SampleFilters, type SortState } from "@/lib/compare/sample-filters";

/**
 * The sample table's view (filters, order): local state mirrored into the URL, so a matrix cell's link lands on
 * its samples. A control answers at once; the URL (which Next syncs into useSearchParams a moment later) wins when
 * it changes by other means: a matrix cell's link, back and forward.
 */
export function useSampleView() {
  const searchParams = useSearchParams();
  const pathname = usePathname();
  const urlSearch = searchParams.toString();
  const [view, setView] = useState(() => ({ search: urlSearch, filters: parseFilters(searchParams), sort: parseSort(searchParams) }));
  const [seenSearch, setSeenSearch] = useState(urlSearch);
  if (urlSearch !== seenSearch) {
    setSeenSearch(urlSearch);
    if (urlSearch !== view.search) setView({ search: urlSearch, filters: parseFilters(searchParams), sort: parseSort(searchParams) });
  }
  const { filters, sort } = view;

  const update = useCallback(
    (next: { filters?: SampleFilters; sort?: SortState }) => {
      const nextFilters = next.filters ?? filters;
      const nextSort = next.sort ?? sort;
      const search = toSearch(nextFilters, nextSort, new URLSearchParams(window.location.search));
      setView({ search: search.slice(1), filters: nextFilters, sort: nextSort });
      // The native history API: Next keeps useSearchParams in sync without a server round trip.
      window.history.replaceState(null, "", `${pathname}${search}${window.location.hash || "#samples"}`);
    },
    [filters, sort, pathname],
  );
  return { search: view.search, filters, sort, update };
}
