/** Query-string handling of the invoke proxy. Pure. */

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, " "));
  } catch {
    return value;
  }
}

/**
 * Splits a raw query string into the caller's modelId values and everything
 * else, which is kept byte for byte. The key is matched case-insensitively:
 * Nyckel's query binding may be, and `ModelId=` must not slip past the pin.
 */
export function splitModelId(search: string): { rest: string[]; modelIds: string[] } {
  const rest: string[] = [];
  const modelIds: string[] = [];
  for (const pair of search.split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    const key = safeDecode(eq === -1 ? pair : pair.slice(0, eq)).trim().toLowerCase();
    if (key === "modelid") modelIds.push(eq === -1 ? "" : safeDecode(pair.slice(eq + 1)).trim());
    else rest.push(pair);
  }
  return { rest, modelIds };
}

/** The query string sent to Nyckel: the caller's other parameters unchanged, then `modelId` when one is served. */
export function upstreamQuery(rest: readonly string[], modelId: string | null): string {
  return [...rest, ...(modelId ? [`modelId=${encodeURIComponent(modelId)}`] : [])].join("&");
}
