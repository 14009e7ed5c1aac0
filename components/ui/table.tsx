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

/** A header cell of `ListTable`/`InlineTable`: its text, or the text and how to show it. */
export type TableColumn =
  | string
  | { label: React.ReactNode; key?: string; align?: "left" | "right"; density?: TableDensity; className?: string; srOnly?: boolean };

function columnParts(column: TableColumn, index: number) {
  if (typeof column === "string") return { key: column, label: column, align: undefined, density: undefined, className: undefined };
  const label = column.srOnly ? <span className="sr-only">{column.label}</span> : column.label;
  return { key: column.key ?? (typeof column.label === "string" ? column.label : String(index)), label, align: column.align, density: column.density, className: column.className };
}

/**
 * A list: the frame, the table (its props pass through), an optional `<caption>`, one header row of
 * `columns` and a body holding `children` (the rows).
 */
export function ListTable({
  columns,
  density,
  tone,
  caption,
  frameClassName,
  bodyClassName,
  children,
  ...props
}: React.ComponentProps<"table"> & {
  columns: TableColumn[];
  /** Density of the header cells. */
  density?: TableDensity;
  tone?: "muted" | "contrast";
  /** A `<caption>` element. */
  caption?: React.ReactNode;
  frameClassName?: string;
  bodyClassName?: string;
}) {
  return (
    <TableFrame className={frameClassName}>
      <Table {...props}>
        {caption}
        <THead tone={tone}>
          <tr>
            {columns.map((column, i) => {
              const c = columnParts(column, i);
              return (
                <Th key={c.key} density={c.density ?? density} align={c.align} className={c.className}>
                  {c.label}
                </Th>
              );
            })}
          </tr>
        </THead>
        <TBody className={bodyClassName}>{children}</TBody>
      </Table>
    </TableFrame>
  );
}

/**
 * A light table inside a card or a documentation section: no frame and no header band; a screen-reader
 * caption; header cells `py-1 pr-4 font-medium` (the last without right padding).
 */
export function InlineTable({
  caption,
  columns,
  className = "w-full text-left text-sm",
  headClassName = "text-xs text-zinc-500 dark:text-zinc-400",
  children,
  ...props
}: React.ComponentProps<"table"> & { caption: React.ReactNode; columns: TableColumn[]; headClassName?: string }) {
  return (
    <table {...props} className={className}>
      <caption className="sr-only">{caption}</caption>
      <thead className={headClassName}>
        <tr>
          {columns.map((column, i) => {
            const c = columnParts(column, i);
            return (
              <th key={c.key} scope="col" className={cn("py-1", i < columns.length - 1 && "pr-4", c.align === "right" && "text-right", "font-medium", c.className)}>
                {c.label}
              </th>
            );
          })}
        </tr>
      </thead>
      <TBody>{children}</TBody>
    </table>
  );
}
