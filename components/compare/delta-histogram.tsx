"use client";

import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

/** Histogram of confidence deltas (B − A) on samples both models answered. */
export function DeltaHistogram({ bins }: { bins: Array<{ start: number; end: number; count: number }> }) {
  const data = bins.map((b) => ({ range: `${b.start.toFixed(1)}…${b.end.toFixed(1)}`, count: b.count }));
  return (
    <div className="h-56 w-full text-zinc-500" role="img" aria-label="Histogram of confidence deltas, B minus A">
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data} margin={{ top: 8, right: 8, bottom: 8, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="currentColor" strokeOpacity={0.2} />
          <XAxis dataKey="range" tick={{ fontSize: 10, fill: "currentColor" }} interval={3} />
          <YAxis allowDecimals={false} tick={{ fontSize: 10, fill: "currentColor" }} width={36} />
          <Tooltip contentStyle={{ fontSize: 12 }} />
          <Bar dataKey="count" fill="#6366f1" />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
