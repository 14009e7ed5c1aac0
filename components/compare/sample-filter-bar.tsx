"use client";

import { Button, buttonClass } from "@/components/ui/button";
import { cn } from "@/components/ui/cn";
import { CompactField, inputClass } from "@/components/ui/field";
import {
  NO_LABEL,
  NO_TRUTH,
  VERDICTS,
  describeFilters,
  hasFilters,
  type SampleFilters,
  type SampleRow,
  type Verdict,
} from "@/lib/compare/sample-filters";

/** The filters above the sample table, the count of samples shown and the CSV export. */
export function SampleFilterBar({
  runId,
  all,
  rows,
  filters,
  options,
  onChange,
}: {
  runId: string;
  /** Every sample of the run; undefined while loading. */
  all: SampleRow[] | undefined;
  /** The samples the filters let through. */
  rows: SampleRow[];
  filters: SampleFilters;
  options: { a: string[]; b: string[]; truth: string[] };
  onChange: (filters: SampleFilters) => void;
}) {
  const setFilter = (patch: Partial<SampleFilters>) => onChange({ ...filters, ...patch });
  const hasTruth = options.truth.some((t) => t !== NO_TRUTH);
  const filtering = hasFilters(filters);
  return (
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
          <CompactField label="Against truth">
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
          </CompactField>
        </>
      ) : null}
      <NumberFilter label="Δ from" placeholder="−1" value={filters.deltaMin} min={-1} max={1} onChange={(deltaMin) => setFilter({ deltaMin })} />
      <NumberFilter label="Δ to" placeholder="1" value={filters.deltaMax} min={-1} max={1} onChange={(deltaMax) => setFilter({ deltaMax })} />
      <NumberFilter label="|Δ| at least" placeholder="0" value={filters.absDeltaMin} min={0} max={1} onChange={(absDeltaMin) => setFilter({ absDeltaMin })} />
      {filtering ? (
        <Button variant="ghost" onClick={() => onChange({ disagree: false })}>
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
  );
}

function LabelSelect({ label, value, options, onChange }: { label: string; value: string | undefined; options: string[]; onChange: (v: string | undefined) => void }) {
  // A label from the URL that this run does not have stays selectable, so the filter shows what it is doing.
  const all = value !== undefined && !options.includes(value) ? [...options, value] : options;
  return (
    <CompactField label={label}>
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
    </CompactField>
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
    <CompactField label={label}>
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
    </CompactField>
  );
}

function commitNumber(raw: string, min: number, max: number, current: number | undefined, onChange: (v: number | undefined) => void) {
  const n = raw.trim() === "" ? undefined : Number(raw);
  const next = n === undefined || !Number.isFinite(n) ? undefined : Math.min(max, Math.max(min, n));
  if (next !== current) onChange(next);
}
