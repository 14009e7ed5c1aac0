/** A timestamp shown the same way on the server and in the browser: `2026-03-01 10:20:30 UTC`. */
export function formatUtc(value: string | Date): string {
  const iso = typeof value === "string" ? value : value.toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}

export function Time({ value, className }: { value: string | Date; className?: string }) {
  const iso = typeof value === "string" ? value : value.toISOString();
  return (
    <time dateTime={iso} title={iso} className={className}>
      {formatUtc(iso)}
    </time>
  );
}
