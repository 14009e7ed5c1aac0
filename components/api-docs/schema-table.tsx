import { InlineTable } from "@/components/ui/table";
import type { SchemaRow } from "@/lib/api/schema-rows";

/** The fields of a request or response body. */
export function SchemaTable({ rows, caption, allowsMore }: { rows: SchemaRow[]; caption: string; allowsMore?: boolean }) {
  if (rows.length === 0) return null;
  return (
    <div className="overflow-x-auto">
      <InlineTable caption={caption} columns={["Field", "Type", "Description"]}>
        {rows.map((r) => (
          <tr key={r.path}>
            <td className="py-1.5 pr-4 align-top">
              <code className="text-xs font-semibold">{r.path}</code>
              {r.required ? null : <span className="ml-1 text-xs text-zinc-500 dark:text-zinc-400">optional</span>}
            </td>
            <td className="py-1.5 pr-4 align-top font-mono text-xs text-indigo-700 dark:text-indigo-300">{r.type}</td>
            <td className="py-1.5 align-top text-zinc-600 dark:text-zinc-400">{r.description ?? ""}</td>
          </tr>
        ))}
      </InlineTable>
      {allowsMore ? <p className="mt-1 text-xs text-zinc-500 dark:text-zinc-400">Other fields may appear; ignore the ones you do not know.</p> : null}
    </div>
  );
}
