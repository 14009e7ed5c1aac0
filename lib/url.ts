/** Decodes a route parameter; a malformed escape (e.g. "%ZZ") is kept as typed instead of throwing. */
export function decodeParam(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
