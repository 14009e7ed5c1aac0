import pg from "pg";

/**
 * A cheap fingerprint of the database for the fuzz suites: for every table of
 * the public schema, its row count and max(updated_at) where it has one, plus
 * (`content: true`) a checksum of every row. Two equal fingerprints mean no
 * malformed request changed anything. Tables that background work changes on
 * its own (the Nyckel budget's leases) are left out. Test support only.
 */
export const FINGERPRINT_SKIP = new Set(["_prisma_migrations", "nyckel_budget_leases", "nyckel_budget_state"]);

export type Fingerprint = Record<string, string>;

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

export async function databaseFingerprint(databaseUrl: string, options: { content?: boolean; skip?: ReadonlySet<string> } = {}): Promise<Fingerprint> {
  const skip = options.skip ?? FINGERPRINT_SKIP;
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const tables = await client.query<{ table_name: string; has_updated: boolean }>(
      `SELECT t.table_name,
              EXISTS (SELECT 1 FROM information_schema.columns c
                       WHERE c.table_schema = t.table_schema AND c.table_name = t.table_name AND c.column_name = 'updated_at') AS has_updated
         FROM information_schema.tables t
        WHERE t.table_schema = 'public' AND t.table_type = 'BASE TABLE'
        ORDER BY t.table_name`,
    );
    const out: Fingerprint = {};
    for (const { table_name: table, has_updated: hasUpdated } of tables.rows) {
      if (skip.has(table)) continue;
      const cols = [
        "count(*)::text AS n",
        hasUpdated ? "coalesce(max(updated_at)::text, '-') AS u" : "'-' AS u",
        options.content ? "coalesce(sum(hashtext(t::text)::bigint), 0)::text AS h" : "'-' AS h",
      ];
      const r = await client.query<{ n: string; u: string; h: string }>(`SELECT ${cols.join(", ")} FROM ${quote(table)} t`);
      const row = r.rows[0]!;
      out[table] = `rows=${row.n} updated=${row.u}${options.content ? ` sum=${row.h}` : ""}`;
    }
    return out;
  } finally {
    await client.end();
  }
}

/** The tables whose fingerprint differs, as "table: before → after". */
export function fingerprintDiff(before: Fingerprint, after: Fingerprint): string[] {
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...names].filter((t) => before[t] !== after[t]).map((t) => `${t}: ${before[t] ?? "(none)"} → ${after[t] ?? "(none)"}`);
}
