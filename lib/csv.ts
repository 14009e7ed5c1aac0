/**
 * One CSV cell, for every CSV Modelpin writes (audit export, comparison
 * export). RFC 4180 quoting; a cell a spreadsheet would run as a formula
 * (starting with = + - @, a tab or a CR) gets a leading apostrophe
 * (OWASP "CSV injection").
 */
export function csvCell(value: string | number | boolean | null | undefined): string {
  let s = value === null || value === undefined ? "" : String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One CSV line (no line break). */
export function csvLine(values: ReadonlyArray<string | number | boolean | null | undefined>): string {
  return values.map(csvCell).join(",");
}
