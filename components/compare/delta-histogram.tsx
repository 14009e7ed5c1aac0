"use client";

import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis, type TooltipContentProps } from "recharts";

type Datum = { range: string; count: number };

/** Tooltip drawn with Tailwind classes, so it follows the light or dark theme (Recharts' default is always white). */
function HistogramTooltip({ active, payload }: Partial<TooltipContentProps<number, string>>) {
  const d = active ? (payload?.[0]?.payload as Datum | undefined) : undefined;
  if (!d) return null;
  return (
    <div className="rounded-md bg-white px-2 py-1 text-xs text-zinc-900 shadow ring-1 ring-zinc-200 dark:bg-zinc-800 dark:text-zinc-100 dark:ring-zinc-700">
      <div className="font-medium">Δ {d.range}</div>
      <div>
        {d.count} {d.count === 1 ? "sample" : "samples"}
      </div>
    </div>
  );
}

/**
 * Histogram of confidence deltas (B − A) on samples both models answered.
 * Colours come from `currentColor` set by Tailwind classes (text-zinc-600 /
 * dark:text-zinc-400 for axes and grid, indigo 600 / 400 for the bars), so
 * ticks, grid, bars and tooltip have enough contrast in both themes.
 */
export function DeltaHistogram({ bins }: { bins: Array<{ start: number; end: number; count: number }> }) {
  const data: Datum[] = bins.map((b) => ({ range: `${b.start.toFixed(1)}…${b.end.toFixed(1)}`, count: b.count }));
  return (
    <div
      className="h-56 w-full text-zinc-600 dark:text-zinc-400"
      role="img"
      aria-label={`Histogram of confidence deltas, B minus A: ${data.filter((d) => d.count).map((d) => `${d.range}: ${d.count}`).join("; ") || "no samples"}`}
      data-testid="delta-histogram"
    >
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data} margin={{ top: 8, right: 8, bottom: 8, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="currentColor" strokeOpacity={0.25} vertical={false} />
          <XAxis dataKey="range" tick={{ fontSize: 10, fill: "currentColor" }} stroke="currentColor" strokeOpacity={0.5} interval={3} />
          <YAxis allowDecimals={false} tick={{ fontSize: 10, fill: "currentColor" }} stroke="currentColor" strokeOpacity={0.5} width={36} />
          <Tooltip content={<HistogramTooltip />} cursor={{ fill: "currentColor", fillOpacity: 0.1 }} isAnimationActive={false} />
          <Bar dataKey="count" fill="currentColor" className="text-indigo-600 dark:text-indigo-400" isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
