"use client";

import { useVirtualizer } from "@tanstack/react-virtual";
import { memo, useEffect, useRef } from "react";
import { cn } from "@/components/ui/cn";
import { NO_LABEL, confidenceDelta, isCorrect, isDisagreement, type SampleRow, type SideOutcome } from "@/lib/compare/sample-filters";
import { ROW_HEIGHT, SIDE_WIDTH, widthStyle } from "./sample-columns";

/** Set (once per page load) when the first rows of the table are on screen; read by `npm run bench:table`. */
export const TABLE_READY_MARK = "samples-table-ready";

const pct = (x: number | null) => (x === null ? "—" : `${(x * 100).toFixed(0)}%`);
const signed = (x: number | null) => (x === null ? "—" : `${x > 0 ? "+" : x < 0 ? "−" : "±"}${Math.abs(x).toFixed(2)}`);

/**
 * The rows on screen (plus a few): its own component, so scrolling re-renders
 * only this body, not the filters and headers. The body is as tall as all rows;
 * the rendered rows follow a spacer as tall as the rows above them. Rows are
 * keyed by slot, so a scroll reuses their elements with new content.
 */
export function VirtualBody({ rows, scrollRef, loaded, headerRows }: { rows: SampleRow[]; scrollRef: React.RefObject<HTMLDivElement | null>; loaded: boolean; headerRows: number }) {
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
      <td role="cell" style={widthStyle("truth")} className={cn(cellClass, !row.truth && "text-zinc-500 dark:text-zinc-400")} title={row.truth ?? undefined}>
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
      <td role="cell" style={{ width: SIDE_WIDTH, flex: "none" }} className={cn(cellClass, "text-zinc-500 dark:text-zinc-400")}>
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
      <td role="cell" style={widthStyle(`${id}Label`)} className={cn(cellClass, side.label === null && "text-zinc-500")} title={side.label ?? "(no label)"}>
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
      <td
        role="cell"
        style={widthStyle(`${id}Latency`)}
        // A reused answer's marker takes part of the left padding, so four-digit latencies still fit.
        className={cn("block truncate pr-3 leading-[43px] text-right tabular-nums text-zinc-600 dark:text-zinc-400", side.reused ? "pl-1" : "pl-3")}
        title={side.reused ? `${name}'s answer was reused from an earlier run; ${side.latencyMs ?? "—"} ms is the original call's latency` : undefined}
        data-reused={side.reused ? "true" : undefined}
      >
        {side.reused ? (
          <>
            <span aria-hidden="true" className="text-indigo-700 dark:text-indigo-300">↺</span>
            <span className="sr-only">reused, original latency </span>
          </>
        ) : null}
        {side.latencyMs ?? "—"}
      </td>
    </>
  );
}
