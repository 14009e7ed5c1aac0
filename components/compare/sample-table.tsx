"use client";

import { useQuery } from "@tanstack/react-query";
import { createColumnHelper, flexRender, getCoreRowModel, useReactTable, type Column, type SortingState } from "@tanstack/react-table";
import { useVirtualizer } from "@tanstack/react-virtual";
import { usePathname, useSearchParams } from "next/navigation";
import { memo, useCallback, useEffect, useId, useMemo, useRef, useState } from "react";
import { Alert } from "@/components/ui/alert";
import { Button, buttonClass } from "@/components/ui/button";
import { cn } from "@/components/ui/cn";
import { inputClass } from "@/components/ui/field";
import {
  NO_LABEL,
  NO_TRUTH,
  VERDICTS,
  confidenceDelta,
  decodeSampleColumns,
  describeFilters,
  filterOptions,
  filterRows,
  hasFilters,
  isCorrect,
  isDisagreement,
  parseFilters,
  parseSort,
  sortRows,
  toSearch,
  type SampleColumns,
  type SampleFilters,
  type SampleRow,
  type SideOutcome,
  type SortColumn,
  type SortState,
  type Verdict,
} from "@/lib/compare/sample-filters";

/** Set (once per page load) when the first rows of the table are on screen; read by `npm run bench:table`. */
export const TABLE_READY_MARK = "samples-table-ready";

/**
 * One key per run: while the run is active, RunProgress invalidates it from the progress signal (and once more
 * when the run ends), so the rows always come from the stored results, never from a response loaded mid-run.
 */
export const sampleKeys = { rows: (runId: string) => ["comparison-run", runId, "samples"] as const };

const ROW_HEIGHT = 44;


const pct = (x: number | null) => (x === null ? "—" : `${(x * 100).toFixed(0)}%`);
const signed = (x: number | null) => (x === null ? "—" : `${x > 0 ? "+" : x < 0 ? "−" : "±"}${Math.abs(x).toFixed(2)}`);

const col = createColumnHelper<SampleRow>();

/** Leaf columns carry their sort key as id; groups A and B hold label, confidence and latency. */
const columns = [
  col.accessor("position", { id: "position", header: "#" }),
  col.accessor("input", { id: "input", header: "Input" }),
  col.accessor("truth", { id: "truth", header: "Truth" }),
  col.group({
    id: "a",
    header: "A",
    columns: [
      col.display({ id: "aLabel", header: "Label" }),
      col.display({ id: "aConfidence", header: "Conf." }),
      col.display({ id: "aLatency", header: "ms" }),
    ],
  }),
  col.group({
    id: "b",
    header: "B",
    columns: [
      col.display({ id: "bLabel", header: "Label" }),
      col.display({ id: "bConfidence", header: "Conf." }),
      col.display({ id: "bLatency", header: "ms" }),
    ],
  }),
  col.display({ id: "delta", header: "Δ (B−A)" }),
];

/**
 * Column widths in px; the input column takes the rest (at least INPUT_MIN). Flex rows, not table layout: cheap to scroll.
 * The sum (944 px) fits the report's content width at a 1280 px viewport, so B's latency and Δ show without scrolling.
 */
const WIDTHS: Record<string, number> = {
  position: 56,
  truth: 112,
  aLabel: 128,
  aConfidence: 68,
  aLatency: 60,
  bLabel: 128,
  bConfidence: 68,
  bLatency: 60,
  delta: 84,
};
const INPUT_MIN = 180;
const TABLE_MIN = INPUT_MIN + Object.values(WIDTHS).reduce((x, y) => x + y, 0);
const SIDE_WIDTH = WIDTHS.aLabel! + WIDTHS.aConfidence! + WIDTHS.aLatency!;
const widthStyle = (id: string): React.CSSProperties =>
  id in WIDTHS ? { width: WIDTHS[id], flex: "none" } : { flex: "1 1 0%", minWidth: INPUT_MIN };
const NUMERIC = new Set(["position", "aConfidence", "aLatency", "bConfidence", "bLatency", "delta"]);

/**
 * The report's sample table: every sample of the run (one JSON request),
 * filtered and sorted in the browser, rendered virtually (only the rows on
 * screen exist in the DOM), so 10,000 rows scroll smoothly. Filters and the
 * sort order live in the URL, so a matrix cell's link lands on its samples.
 */
export function SampleTable({ runId, modelA, modelB }: { runId: string; modelA: string; modelB: string }) {
  const searchParams = useSearchParams();
  const pathname = usePathname();
  // The view (filters, order) is local state mirrored into the URL. A control answers at once; the URL
  // (which Next syncs into useSearchParams a moment later) wins when it changes by other means: a matrix
  // cell's link, back and forward.
  const urlSearch = searchParams.toString();
  const [view, setView] = useState(() => ({ search: urlSearch, filters: parseFilters(searchParams), sort: parseSort(searchParams) }));
  const [seenSearch, setSeenSearch] = useState(urlSearch);
  if (urlSearch !== seenSearch) {
    setSeenSearch(urlSearch);
    if (urlSearch !== view.search) setView({ search: urlSearch, filters: parseFilters(searchParams), sort: parseSort(searchParams) });
  }
  const { filters, sort } = view;

  // Only the first fetch may use the page's <link rel="preload"> response (same URL, mode and credentials, so the
  // browser hands it over). Every later fetch asks for a distinct URL: an unclaimed or reused preloaded response
  // (loaded while the run was active) must never stand in for the stored results.
  const fetches = useRef(0);
  const query = useQuery({
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
  const all = query.data;

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
  const setFilter = (patch: Partial<SampleFilters>) => update({ filters: { ...filters, ...patch } });

  const options = useMemo(() => (all ? filterOptions(all) : { a: [], b: [], truth: [] }), [all]);
  const hasTruth = options.truth.some((t) => t !== NO_TRUTH);
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
  }, [view.search]);

  const headerGroups = table.getHeaderGroups();

  return (
    <div>
      <div className="mb-3 flex flex-wrap items-end gap-3 rounded-lg bg-white p-3 ring-1 ring-zinc-200 dark:bg-zinc-900 dark:ring-zinc-800" role="group" aria-label="Filter samples">
        <label className="flex items-center gap-2 self-center text-sm">
          <input
            type="checkbox"
            className="size-4 rounded border-zinc-300 text-indigo-600 dark:border-zinc-600"
            checked={filters.disagree}
            onChange={(e) => setFilter({ disagree: e.target.checked })}
          />
          Disagreements only
        </label>
        <LabelSelect label="Label of A" value={filters.a} options={options.a} onChange={(a) => setFilter({ a })} />
        <LabelSelect label="Label of B" value={filters.b} options={options.b} onChange={(b) => setFilter({ b })} />
        {hasTruth ? (
          <>
            <LabelSelect label="Ground truth" value={filters.truth} options={options.truth} onChange={(truth) => setFilter({ truth })} />
            <SmallField label="Against truth">
              {(id) => (
                <select
                  id={id}
                  className={cn(inputClass, "py-1.5")}
                  value={filters.verdict ?? ""}
                  onChange={(e) => setFilter({ verdict: (e.target.value || undefined) as Verdict | undefined })}
                >
                  <option value="">All</option>
                  {Object.entries(VERDICTS).map(([v, text]) => (
                    <option key={v} value={v}>{text}</option>
                  ))}
                </select>
              )}
            </SmallField>
          </>
        ) : null}
        <NumberFilter label="Δ from" placeholder="−1" value={filters.deltaMin} min={-1} max={1} onChange={(deltaMin) => setFilter({ deltaMin })} />
        <NumberFilter label="Δ to" placeholder="1" value={filters.deltaMax} min={-1} max={1} onChange={(deltaMax) => setFilter({ deltaMax })} />
        <NumberFilter label="|Δ| at least" placeholder="0" value={filters.absDeltaMin} min={0} max={1} onChange={(absDeltaMin) => setFilter({ absDeltaMin })} />
        {filtering ? (
          <Button variant="ghost" onClick={() => update({ filters: { disagree: false } })}>
            Clear filters
          </Button>
        ) : null}
        <div className="ml-auto flex items-center gap-3 self-center">
          <p className="text-sm text-zinc-600 dark:text-zinc-400" aria-live="polite">
            <span data-testid="samples-count">
              {all ? (
                <>
                  <strong className="text-zinc-900 dark:text-zinc-100">{rows.length.toLocaleString("en")}</strong> of {all.length.toLocaleString("en")} samples
                </>
              ) : (
                "Loading samples…"
              )}
            </span>
            {all && filtering ? <span className="sr-only"> ({describeFilters(filters)})</span> : null}
          </p>
          <a href={`/api/comparisons/${runId}/export`} className={buttonClass("secondary")}>
            Export CSV
          </a>
        </div>
      </div>

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

function LabelSelect({ label, value, options, onChange }: { label: string; value: string | undefined; options: string[]; onChange: (v: string | undefined) => void }) {
  // A label from the URL that this run does not have stays selectable, so the filter shows what it is doing.
  const all = value !== undefined && !options.includes(value) ? [...options, value] : options;
  return (
    <SmallField label={label}>
      {(id) => (
        <select id={id} className={cn(inputClass, "max-w-48 py-1.5")} value={value ?? ""} onChange={(e) => onChange(e.target.value === "" ? undefined : e.target.value)}>
          <option value="">All</option>
          {all.map((o) => (
            <option key={o} value={o}>
              {o === NO_LABEL ? "(error / no label)" : o === NO_TRUTH ? "(no ground truth)" : o}
            </option>
          ))}
        </select>
      )}
    </SmallField>
  );
}

function NumberFilter({
  label,
  placeholder,
  value,
  min,
  max,
  onChange,
}: {
  label: string;
  placeholder: string;
  value: number | undefined;
  min: number;
  max: number;
  onChange: (v: number | undefined) => void;
}) {
  return (
    <SmallField label={label}>
      {(id) => (
        <input
          id={id}
          type="number"
          inputMode="decimal"
          step={0.05}
          min={min}
          max={max}
          placeholder={placeholder}
          className={cn(inputClass, "w-24 py-1.5")}
          // Uncontrolled while typing ("-0." is not a number yet); the URL is the state.
          defaultValue={value ?? ""}
          key={value ?? "empty"}
          onBlur={(e) => commitNumber(e.currentTarget.value, min, max, value, onChange)}
          onKeyDown={(e) => {
            if (e.key === "Enter") commitNumber(e.currentTarget.value, min, max, value, onChange);
          }}
        />
      )}
    </SmallField>
  );
}

function commitNumber(raw: string, min: number, max: number, current: number | undefined, onChange: (v: number | undefined) => void) {
  const n = raw.trim() === "" ? undefined : Number(raw);
  const next = n === undefined || !Number.isFinite(n) ? undefined : Math.min(max, Math.max(min, n));
  if (next !== current) onChange(next);
}

function SmallField({ label, children }: { label: string; children: (id: string) => React.ReactNode }) {
  const id = useId();
  return (
    <div className="space-y-1">
      <label htmlFor={id} className="block text-xs font-medium text-zinc-600 dark:text-zinc-400">
        {label}
      </label>
      {children(id)}
    </div>
  );
}

/**
 * The rows on screen (plus a few): its own component, so scrolling re-renders
 * only this body, not the filters and headers. The body is as tall as all rows;
 * the rendered rows follow a spacer as tall as the rows above them. Rows are
 * keyed by slot, so a scroll reuses their elements with new content.
 */
function VirtualBody({ rows, scrollRef, loaded, headerRows }: { rows: SampleRow[]; scrollRef: React.RefObject<HTMLDivElement | null>; loaded: boolean; headerRows: number }) {
  // eslint-disable-next-line react-hooks/incompatible-library -- no React Compiler here; the virtualizer re-renders this body on scroll by design
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 3,
  });
  const items = virtualizer.getVirtualItems();

  const marked = useRef(false);
  const ready = items.length > 0 || (loaded && rows.length === 0);
  useEffect(() => {
    if (!ready || marked.current) return;
    marked.current = true;
    // After the next frame: the rows have been painted.
    requestAnimationFrame(() => performance.mark(TABLE_READY_MARK));
  }, [ready]);

  return (
    <tbody role="rowgroup" className="block" style={{ height: virtualizer.getTotalSize() }} data-ready={ready ? "true" : undefined}>
      {/* Rows flow below one spacer: a scroll changes the spacer's height and the rows' contents, not each row's
          position (restyling every row's transform was the slowest part of a frame, measured with bench:table). */}
      <tr aria-hidden="true" className="block" style={{ height: items[0]?.start ?? 0 }} />
      {items.map((v) => {
        const row = rows[v.index];
        // Keys by slot, not by sample: scrolling reuses the same row elements with new content, which the
        // browser restyles far faster than new elements (the style recalculation dominated a scroll).
        return row ? <SampleTr key={v.index % items.length} row={row} index={v.index + headerRows} /> : null;
      })}
    </tbody>
  );
}

/** A side's label as the filters name it (for tests and tooling): "(error)" for a failure or no label, "" when not recorded. */
const rowLabel = (o: SideOutcome) => (o === null ? "" : o.ok && o.label !== null ? o.label : NO_LABEL);

/** A cell: one line, cut with an ellipsis, centred by its line height (few elements per row: cheap style and layout). */
const cellClass = "block truncate px-3 leading-[43px]";

const SampleTr = memo(function SampleTr({ row, index }: { row: SampleRow; index: number }) {
  const differ = isDisagreement(row);
  const delta = confidenceDelta(row);
  return (
    <tr
      role="row"
      data-testid="sample-row"
      data-position={row.position}
      data-a={rowLabel(row.a)}
      data-b={rowLabel(row.b)}
      aria-rowindex={index + 1}
      style={{ height: ROW_HEIGHT }}
      className={cn(
        "flex w-full border-b border-zinc-100 dark:border-zinc-800",
        differ ? "bg-amber-50 dark:bg-amber-950/40" : "bg-white dark:bg-zinc-900",
      )}
    >
      <td role="cell" style={widthStyle("position")} className={cn(cellClass, "text-right tabular-nums text-zinc-500 dark:text-zinc-400")}>
        {row.position}
      </td>
      <InputCell row={row} />
      <td role="cell" style={widthStyle("truth")} className={cn(cellClass, !row.truth && "text-zinc-400 dark:text-zinc-500")} title={row.truth ?? undefined}>
        {row.truth || "—"}
      </td>
      <SideCells side={row.a} correct={isCorrect(row, row.a)} name="A" />
      <SideCells side={row.b} correct={isCorrect(row, row.b)} name="B" />
      <td
        role="cell"
        style={widthStyle("delta")}
        className={cn(
          cellClass,
          "text-right tabular-nums",
          delta !== null && delta > 0.0005 && "text-green-700 dark:text-green-400",
          delta !== null && delta < -0.0005 && "text-red-700 dark:text-red-400",
        )}
      >
        {signed(delta)}
      </td>
    </tr>
  );
});

function InputCell({ row }: { row: SampleRow }) {
  if (row.kind === "image") {
    return (
      <td role="cell" style={widthStyle("input")} className={cellClass} title={row.input}>
        {/* eslint-disable-next-line @next/next/no-img-element -- authorized route, cached by the browser; next/image cannot forward the session */}
        <img
          src={`/api/samples/${row.id}/image`}
          alt={row.input}
          width={36}
          height={36}
          loading="lazy"
          decoding="async"
          className="mr-2 inline-block size-9 rounded object-cover align-middle ring-1 ring-zinc-200 dark:ring-zinc-700"
        />
        {row.input}
      </td>
    );
  }
  const title = row.inputTruncated ? `${row.input}… (shortened; the CSV export has the whole input)` : row.input;
  return (
    <td role="cell" style={widthStyle("input")} className={cn(cellClass, row.kind === "tabular" && "font-mono text-xs")} title={title}>
      {row.kind === "imageUrl" ? (
        <span className="mr-1.5 rounded bg-zinc-100 px-1 align-middle text-[10px] font-medium uppercase leading-4 text-zinc-600 dark:bg-zinc-800 dark:text-zinc-300">URL</span>
      ) : null}
      {row.input}
    </td>
  );
}

function SideCells({ side, correct, name }: { side: SideOutcome; correct: boolean | null; name: string }) {
  if (!side) {
    return (
      <td role="cell" style={{ width: SIDE_WIDTH, flex: "none" }} className={cn(cellClass, "text-zinc-400 dark:text-zinc-500")}>
        pending
      </td>
    );
  }
  if (!side.ok) {
    return (
      <td role="cell" style={{ width: SIDE_WIDTH, flex: "none" }} className={cn(cellClass, "text-red-700 dark:text-red-400")} title={side.error}>
        failed: {side.error}
      </td>
    );
  }
  const id = name === "A" ? "a" : "b";
  return (
    <>
      <td role="cell" style={widthStyle(`${id}Label`)} className={cn(cellClass, side.label === null && "text-zinc-400")} title={side.label ?? "(no label)"}>
        {correct !== null ? (
          <span
            className={cn("mr-1", correct ? "text-green-700 dark:text-green-400" : "text-red-700 dark:text-red-400")}
            role="img"
            aria-label={correct ? `${name} matches the truth` : `${name} differs from the truth`}
          >
            {correct ? "✓" : "✗"}
          </span>
        ) : null}
        {side.label ?? "(no label)"}
      </td>
      <td role="cell" style={widthStyle(`${id}Confidence`)} className={cn(cellClass, "text-right tabular-nums")}>
        {pct(side.confidence)}
      </td>
      <td role="cell" style={widthStyle(`${id}Latency`)} className={cn(cellClass, "text-right tabular-nums text-zinc-600 dark:text-zinc-400")}>
        {side.latencyMs ?? "—"}
      </td>
    </>
  );
}
