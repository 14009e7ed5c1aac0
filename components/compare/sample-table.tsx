"use client";

import { flexRender, getCoreRowModel, useReactTable, type Column, type SortingState } from "@tanstack/react-table";
import { useEffect, useMemo, useRef } from "react";
import { Alert } from "@/components/ui/alert";
import { cn } from "@/components/ui/cn";
import { filterOptions, filterRows, hasFilters, sortRows, type SampleRow, type SortColumn, type SortState } from "@/lib/compare/sample-filters";
import { NUMERIC, TABLE_MIN, WIDTHS, columns, widthStyle } from "./sample-columns";
import { SampleFilterBar } from "./sample-filter-bar";
import { useSampleRows } from "./sample-query";
import { VirtualBody } from "./sample-rows";
import { useSampleView } from "./use-sample-view";

/**
 * The report's sample table: every sample of the run (one JSON request),
 * filtered and sorted in the browser, rendered virtually (only the rows on
 * screen exist in the DOM), so 10,000 rows scroll smoothly. Filters and the
 * sort order live in the URL, so a matrix cell's link lands on its samples.
 */
export function SampleTable({ runId, modelA, modelB }: { runId: string; modelA: string; modelB: string }) {
  const { search, filters, sort, update } = useSampleView();
  const query = useSampleRows(runId);
  const all = query.data;

  const options = useMemo(() => (all ? filterOptions(all) : { a: [], b: [], truth: [] }), [all]);
  const rows = useMemo(() => (all ? sortRows(filterRows(all, filters), sort) : []), [all, filters, sort]);
  const filtering = hasFilters(filters);

  const sorting: SortingState = useMemo(() => [{ id: sort.column, desc: sort.desc }], [sort]);
  // eslint-disable-next-line react-hooks/incompatible-library -- the table is rebuilt from `rows` each render; nothing memoizes its functions
  const table = useReactTable({
    data: rows,
    columns,
    getCoreRowModel: getCoreRowModel(),
    manualSorting: true,
    manualFiltering: true,
    state: { sorting },
  });
  // A header click sorts by that column ascending; a second click turns the order around.
  const sortBy = (column: SortColumn) => update({ sort: { column, desc: sort.column === column ? !sort.desc : false } });

  const scrollRef = useRef<HTMLDivElement>(null);

  // A new filter or order starts at the top.
  useEffect(() => {
    scrollRef.current?.scrollTo({ top: 0 });
  }, [search]);

  const headerGroups = table.getHeaderGroups();

  return (
    <div>
      <SampleFilterBar runId={runId} all={all} rows={rows} filters={filters} options={options} onChange={(next) => update({ filters: next })} />

      {query.isError && !all ? (
        <Alert>
          {query.error.message}{" "}
          <button type="button" className="underline" onClick={() => void query.refetch()}>
            Try again
          </button>
        </Alert>
      ) : null}

      <div
        ref={scrollRef}
        className="relative h-[70vh] min-h-80 overflow-auto rounded-lg bg-white ring-1 ring-zinc-200 dark:bg-zinc-900 dark:ring-zinc-800"
        tabIndex={0}
        role="region"
        aria-label="Samples, scrollable"
        data-testid="samples-scroll"
      >
        <table
          className="grid text-sm"
          style={{ minWidth: TABLE_MIN }}
          role="table"
          aria-label="Samples"
          data-testid="samples-table"
          aria-rowcount={rows.length + headerGroups.length}
        >
          <thead role="rowgroup" className="sticky top-0 z-10 grid bg-zinc-50 text-left text-xs uppercase tracking-wide text-zinc-600 dark:bg-zinc-950 dark:text-zinc-400">
            {headerGroups.map((group, depth) => (
              <tr key={group.id} role="row" aria-rowindex={depth + 1} className="flex w-full">
                {group.headers.map((h) => {
                  if (depth === 0) {
                    if (h.isPlaceholder || !h.column.columns.length) {
                      // Above an ungrouped column: room only (its header is in the row below).
                      return <td key={h.id} aria-hidden="true" style={widthStyle(h.column.id)} />;
                    }
                    const title = h.column.id === "a" ? modelA : modelB;
                    const width = h.column.getLeafColumns().reduce((sum, c) => sum + (WIDTHS[c.id] ?? 0), 0);
                    return (
                      <th
                        key={h.id}
                        role="columnheader"
                        aria-colspan={h.colSpan}
                        className="border-b border-zinc-200 px-3 pt-2 text-center dark:border-zinc-800"
                        style={{ width, flex: "none" }}
                        title={title}
                      >
                        <span className="block truncate">
                          {flexRender(h.column.columnDef.header, h.getContext())} <span className="font-normal normal-case">· {title}</span>
                        </span>
                      </th>
                    );
                  }
                  const group = h.column.parent;
                  const label = group ? `${group.id.toUpperCase()} ${String(h.column.columnDef.header)}` : String(h.column.columnDef.header);
                  return <SortHeader key={h.id} column={h.column} sort={sort} onSort={sortBy} label={label} short={group ? String(h.column.columnDef.header) : undefined} />;
                })}
              </tr>
            ))}
          </thead>
          <VirtualBody rows={rows} scrollRef={scrollRef} loaded={all !== undefined} headerRows={headerGroups.length} />
        </table>
        {all && rows.length === 0 ? (
          <div className="p-8 text-center text-sm text-zinc-600 dark:text-zinc-400" data-testid="samples-empty">
            {all.length === 0 ? "This run has no samples." : "No samples match these filters."}{" "}
            {filtering ? (
              <button type="button" className="text-indigo-700 underline dark:text-indigo-300" onClick={() => update({ filters: { disagree: false } })}>
                Clear filters
              </button>
            ) : null}
          </div>
        ) : null}
        {!all && !query.isError ? (
          <div className="p-8 text-center text-sm text-zinc-500" role="status">
            Loading samples…
          </div>
        ) : null}
      </div>
    </div>
  );
}

function SortHeader({
  column,
  sort,
  onSort,
  label,
  short,
}: {
  column: Column<SampleRow, unknown>;
  sort: SortState;
  onSort: (column: SortColumn) => void;
  label: string;
  short?: string;
}) {
  const active = sort.column === column.id;
  const dir = active ? (sort.desc ? "descending" : "ascending") : "none";
  return (
    <th
      role="columnheader"
      aria-sort={dir}
      style={widthStyle(column.id)}
      className={cn("flex items-end border-b border-zinc-200 px-3 py-2 font-medium dark:border-zinc-800", NUMERIC.has(column.id) && "justify-end")}
    >
      <button
        type="button"
        onClick={() => onSort(column.id as SortColumn)}
        className={cn("inline-flex items-center gap-1 uppercase hover:text-zinc-900 dark:hover:text-zinc-100", active && "text-zinc-900 dark:text-zinc-100")}
        aria-label={`Sort by ${label}${active ? (sort.desc ? ", sorted descending" : ", sorted ascending") : ""}`}
      >
        {short ?? label}
        <span aria-hidden className="w-3 text-[10px]">{active ? (sort.desc ? "▼" : "▲") : ""}</span>
      </button>
    </th>
  );
}
