import { z } from "zod";

/**
 * Keyset pages of lists ordered newest first by (createdAt, id), never OFFSET:
 * the cursor is "<ISO time>~<id>" of the last row shown, carried in `?before=`.
 */

/** `?before=` from search params; a malformed cursor is dropped (the first page, never an error page). */
export const beforeCursorSchema = z
  .string()
  .regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z~[0-9a-f-]{36}$/i)
  .optional()
  .catch(undefined);

/** The WHERE condition for the rows after the cursor (older, or as old with a smaller id). */
export function olderThanCursor(before: string) {
  const [at, id] = before.split("~") as [string, string];
  const t = new Date(at);
  return { OR: [{ createdAt: { lt: t } }, { createdAt: t, id: { lt: id } }] };
}

/** The cursor of the next page: the last row shown, when more rows were found than shown. */
export function nextCursor(found: number, page: ReadonlyArray<{ createdAt: Date; id: string }>): string | null {
  const last = page[page.length - 1];
  return found > page.length && last ? `${last.createdAt.toISOString()}~${last.id}` : null;
}

/** The findMany arguments of a page of `take` rows: newest first, and one row more than shown to know whether another page follows. */
export function keysetPage(take: number) {
  return { orderBy: [{ createdAt: "desc" as const }, { id: "desc" as const }], take: take + 1 };
}

/** What a keysetPage query found, split into the rows to show and the cursor of the next page (null: none). */
export function splitPage<T extends { createdAt: Date; id: string }>(found: T[], take: number): { page: T[]; next: string | null } {
  const page = found.slice(0, take);
  return { page, next: nextCursor(found.length, page) };
}
