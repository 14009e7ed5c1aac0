"use client";

import { cn } from "@/components/ui/cn";
import { NO_LABEL } from "@/lib/compare/sample-filters";

/** Indigo 700: white text on its full shade has a contrast of 7.8:1. */
const SHADE = [67, 56, 202] as const;

function channel(c: number): number {
  const s = c / 255;
  return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
}

/**
 * The text colour for a cell in the light theme: the shade at `alpha` over white,
 * then black or white text, whichever contrasts more (both stay ≥ 4.5:1 this way).
 * In the dark theme the mix over zinc-900 is always dark, so the text is white.
 */
export function lightThemeText(alpha: number): "text-black" | "text-white" {
  const mixed = SHADE.map((c) => alpha * c + (1 - alpha) * 255);
  const l = 0.2126 * channel(mixed[0]!) + 0.7152 * channel(mixed[1]!) + 0.0722 * channel(mixed[2]!);
  return (l + 0.05) / 0.05 >= 1.05 / (l + 0.05) ? "text-black" : "text-white";
}

/**
 * A label name cut to its cell's width, with its full text on hover and on
 * keyboard focus (a tooltip; screen readers read the whole name from the DOM).
 */
function TruncatedLabel({ text, className }: { text: string; className: string }) {
  return (
    <span className="group/label relative block">
      <span tabIndex={0} title={text} data-label={text} className={cn("block truncate rounded focus-visible:outline-2 focus-visible:outline-indigo-500", className)}>
        {text}
      </span>
      <span
        aria-hidden="true"
        className="pointer-events-none absolute left-0 top-full z-20 mt-1 hidden w-max max-w-64 whitespace-normal break-words rounded bg-zinc-900 px-2 py-1 text-left text-xs font-normal text-white shadow group-focus-within/label:block group-hover/label:block dark:bg-zinc-700"
      >
        {text}
      </span>
    </span>
  );
}

/**
 * The A × B label transition matrix as a heatmap (rows A, columns B; the
 * diagonal is agreement). With a `runId`, each cell links to its samples in the
 * table below (`?a=<label>&b=<label>#samples`; "(error)" = no label). A plain
 * click only changes the URL (history.pushState, which Next syncs into
 * useSearchParams) and scrolls to the table: the sample table filters in the
 * browser, so the report is not rendered again. Other clicks (new tab, …)
 * follow the link. Without one (a shadow's report, which keeps no samples),
 * the cells are plain text. `rows` and `cols` name the two sides.
 */
export function TransitionMatrix({
  runId,
  labels,
  counts,
  rows = "A",
  cols = "B",
  unit = "samples",
}: {
  runId?: string;
  labels: Array<string | null>;
  counts: number[][];
  rows?: string;
  cols?: string;
  unit?: string;
}) {
  const max = Math.max(1, ...counts.flat());
  const name = (l: string | null) => l ?? NO_LABEL;
  const href = (a: string | null, b: string | null) => `/comparisons/${runId}?a=${encodeURIComponent(name(a))}&b=${encodeURIComponent(name(b))}#samples`;
  return (
    <table className="text-xs" data-testid="matrix">
      <caption className="sr-only">
        Label transitions: rows are {rows === "A" ? "model A" : rows}&apos;s label, columns {cols === "B" ? "model B" : cols}&apos;s label.
      </caption>
      <thead>
        <tr>
          <th scope="col" className="p-1 text-left font-medium text-zinc-600 dark:text-zinc-400">{rows} \ {cols}</th>
          {labels.map((l) => (
            <th key={name(l)} scope="col" className="p-1 font-medium">
              <TruncatedLabel text={name(l)} className="max-w-28" />
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {labels.map((rowLabel, i) => (
          <tr key={name(rowLabel)}>
            <th scope="row" className="p-1 text-left font-medium">
              <TruncatedLabel text={name(rowLabel)} className="max-w-36" />
            </th>
            {labels.map((colLabel, j) => {
              const n = counts[i]?.[j] ?? 0;
              const alpha = n ? 0.08 + 0.82 * (n / max) : 0;
              const described = `${rows} ${name(rowLabel)}, ${cols} ${name(colLabel)}: ${n} ${unit}${i === j ? " (agree)" : ""}`;
              const cell = {
                className: cn(
                  "block min-w-12 p-1.5 text-center tabular-nums",
                  runId && "hover:outline-2 hover:outline-indigo-500",
                  n ? cn(lightThemeText(alpha), "dark:text-white") : "text-zinc-500 dark:text-zinc-400",
                  i === j && "font-semibold",
                ),
                style: { backgroundColor: n ? `rgb(${SHADE.join(" ")} / ${alpha.toFixed(2)})` : undefined },
                title: `${rows} ${name(rowLabel)} → ${cols} ${name(colLabel)}: ${n}`,
                "data-cell": `${name(rowLabel)}|${name(colLabel)}`,
              };
              return (
                <td key={name(colLabel)} className="p-0">
                  {runId ? (
                    <a
                      {...cell}
                      href={href(rowLabel, colLabel)}
                      onClick={(e) => {
                        if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
                        e.preventDefault();
                        window.history.pushState(null, "", href(rowLabel, colLabel));
                        document.getElementById("samples")?.scrollIntoView({ block: "start" });
                      }}
                      aria-label={described}
                    >
                      {n}
                    </a>
                  ) : (
                    <span {...cell}>
                      <span aria-hidden>{n}</span>
                      <span className="sr-only">{described}</span>
                    </span>
                  )}
                </td>
              );
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
