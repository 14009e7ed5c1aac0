/**
 * Times as people type them, shared by the pin pages (point-in-time views),
 * the audit log's filter and the resolve API's `at`. Pure: usable by server and
 * client code.
 */

/**
 * A point in time as people type it: ISO 8601 with a zone, or a
 * `YYYY-MM-DDTHH:mm[:ss]` / `YYYY-MM-DD HH:mm` local form read as UTC.
 * Returns null when it is not a time.
 */
export function parsePointInTime(raw: string): Date | null {
  const s = raw.trim();
  if (!s || s.length > 40) return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/i.exec(s);
  if (!m) return null;
  const [, y, mo, d, h = "00", mi = "00", sec = "00", frac = "", zone] = m;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, sec].map(Number) as [number, number, number, number, number, number];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (year < 2000 || month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) return null;
  let offsetMinutes = 0;
  if (zone && zone.toUpperCase() !== "Z") {
    const z = zone.replace(":", "");
    const oh = Number(z.slice(1, 3));
    const om = Number(z.slice(3, 5));
    if (oh > 23 || om > 59) return null;
    offsetMinutes = (z.startsWith("-") ? -1 : 1) * (oh * 60 + om);
  }
  const ms = Number((frac + "000").slice(0, 3));
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMinutes * 60_000);
}
