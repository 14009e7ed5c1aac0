"use client";

import { Area, CartesianGrid, ComposedChart, Line, ResponsiveContainer, Tooltip, XAxis, YAxis, type TooltipContentProps } from "recharts";

/** One hour of a shadow: requests both models answered, how many agreed, and the 95% interval of the rate. */
export type AgreementPoint = { hour: string; n: number; agree: number; rate: number | null; low: number; high: number };

type Datum = { hour: string; label: string; rate: number | null; band: [number, number] | null; n: number; agree: number };

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** "12-07 14:00" (UTC), the same on the server and in the browser. */
const hourLabel = (iso: string) => `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;

function AgreementTooltip({ active, payload }: Partial<TooltipContentProps<number, string>>) {
  const d = active ? (payload?.[0]?.payload as Datum | undefined) : undefined;
  if (!d) return null;
  return (
    <div className="rounded-md bg-white px-2 py-1 text-xs text-zinc-900 shadow ring-1 ring-zinc-200 dark:bg-zinc-800 dark:text-zinc-100 dark:ring-zinc-700">
      <div className="font-medium">{d.label} UTC</div>
      <div>{d.rate === null ? "no request both answered" : `${pct(d.rate)} agree (${d.agree} of ${d.n})`}</div>
      {d.band ? <div>95% CI {pct(d.band[0])}–{pct(d.band[1])}</div> : null}
    </div>
  );
}

/**
 * Agreement of the served and the candidate model per hour, with its 95% interval as a band.
 * Colours follow `currentColor` set by Tailwind classes, as in the comparison report's histogram,
 * so axes, line and band keep their contrast in both themes.
 */
export function AgreementChart({ points }: { points: AgreementPoint[] }) {
  const data: Datum[] = points.map((p) => ({
    hour: p.hour,
    label: hourLabel(p.hour),
    rate: p.rate,
    band: p.n > 0 ? [p.low, p.high] : null,
    n: p.n,
    agree: p.agree,
  }));
  const described = data.filter((d) => d.rate !== null).map((d) => `${d.label}: ${pct(d.rate!)} of ${d.n}`);
  return (
    <div
      className="h-56 w-full text-zinc-600 dark:text-zinc-400"
      role="img"
      aria-label={`Agreement per hour (UTC): ${described.join("; ") || "no requests yet"}`}
      data-testid="agreement-chart"
    >
      <ResponsiveContainer width="100%" height="100%">
        <ComposedChart data={data} margin={{ top: 8, right: 8, bottom: 8, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="currentColor" strokeOpacity={0.25} vertical={false} />
          <XAxis dataKey="label" tick={{ fontSize: 10, fill: "currentColor" }} stroke="currentColor" strokeOpacity={0.5} minTickGap={24} />
          <YAxis
            domain={[0, 1]}
            tickFormatter={(v: number) => `${Math.round(v * 100)}%`}
            tick={{ fontSize: 10, fill: "currentColor" }}
            stroke="currentColor"
            strokeOpacity={0.5}
            width={40}
          />
          <Tooltip content={<AgreementTooltip />} cursor={{ stroke: "currentColor", strokeOpacity: 0.3 }} isAnimationActive={false} />
          <Area dataKey="band" stroke="none" fill="currentColor" fillOpacity={0.15} className="text-indigo-600 dark:text-indigo-400" isAnimationActive={false} connectNulls />
          <Line
            dataKey="rate"
            stroke="currentColor"
            strokeWidth={2}
            dot={data.length < 48}
            className="text-indigo-600 dark:text-indigo-400"
            isAnimationActive={false}
            connectNulls
          />
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
}
