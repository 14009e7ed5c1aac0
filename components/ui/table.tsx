import { cn } from "./cn";

/**
 * The list-table primitives: a bordered, horizontally scrolling frame around a
 * white table with a grey header band and divided rows. Every component passes
 * its other props (data-testid, aria-*, id, title, …) through to the element, and
 * merges `className` after its own classes. No context, so they render on the
 * server and in client components alike.
 */

/** Cell padding: `normal` for most lists, `compact` for wide ones (audit log, deliveries), `relaxed` for rows with stacked content. */
export type TableDensity = "normal" | "compact" | "relaxed";

const padding: Record<TableDensity, string> = {
  normal: "px-4 py-2",
  compact: "px-3 py-2",
  relaxed: "px-4 py-3",
};

type CellOptions = { align?: "left" | "right"; density?: TableDensity };

/** The scroll wrapper with the rounded ring. */
export function TableFrame({ className, ...props }: React.ComponentProps<"div">) {
  return <div {...props} className={cn("overflow-x-auto rounded-lg ring-1 ring-zinc-200 dark:ring-zinc-800", className)} />;
}

export function Table({ className, ...props }: React.ComponentProps<"table">) {
  return <table {...props} className={cn("min-w-full divide-y divide-zinc-200 bg-white text-sm dark:divide-zinc-800 dark:bg-zinc-900", className)} />;
}

/** The header band; `tone="contrast"` uses darker (lighter in dark mode) header text. */
export function THead({ tone = "muted", className, ...props }: React.ComponentProps<"thead"> & { tone?: "muted" | "contrast" }) {
  return (
    <thead
      {...props}
      className={cn(
        "bg-zinc-50 text-left text-xs uppercase tracking-wide dark:bg-zinc-900",
        tone === "contrast" ? "text-zinc-600 dark:text-zinc-400" : "text-zinc-500",
        className,
      )}
    />
  );
}

export function TBody({ className, ...props }: React.ComponentProps<"tbody">) {
  return <tbody {...props} className={cn("divide-y divide-zinc-100 dark:divide-zinc-800", className)} />;
}

/** A header cell; `scope="col"` unless given (e.g. `scope="row"`). */
export function Th({ align = "left", density = "normal", scope = "col", className, ...props }: Omit<React.ComponentProps<"th">, "align"> & CellOptions) {
  return <th {...props} scope={scope} className={cn(padding[density], align === "right" && "text-right", className)} />;
}

export function Td({ align = "left", density = "normal", className, ...props }: Omit<React.ComponentProps<"td">, "align"> & CellOptions) {
  return <td {...props} className={cn(padding[density], align === "right" && "text-right", className)} />;
}
