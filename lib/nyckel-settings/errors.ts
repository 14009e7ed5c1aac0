import { UpstreamError } from "@/lib/errors";
import { isNyckelError } from "@/lib/nyckel/errors";

/** Turns a Nyckel client failure into a message an admin or editor can act on. */
export function explainNyckelError(e: unknown, what = "Nyckel"): UpstreamError | null {
  if (!isNyckelError(e)) return null;
  const detail = e.nyckelMessage ? ` Nyckel said: “${e.nyckelMessage}”` : "";
  const byCode: Record<string, string> = {
    unauthorized: `${what} rejected the client id or secret. Check the credentials in Settings → Nyckel.`,
    forbidden: `${what} refused access with these credentials (403).`,
    not_found: `${what} answered "not found" (404).`,
    payment_required: `${what} needs a billing change (402): the free-tier quota may be used up.`,
    conflict: `${what} reported a conflict (409).`,
    rate_limited: `${what} kept answering "too many requests" (429) after retries. Try again in a minute.`,
    upstream: `${what} had a server error${e.status ? ` (${e.status})` : ""} after retries. Try again later.`,
    timeout: `${what} did not answer in time.`,
    network: `${what} could not be reached. Check the base URL and the network.`,
    bad_request: `${what} refused the request (400).`,
    invalid_response: `${what} answered with something Modelpin could not read.`,
  };
  return new UpstreamError(`${byCode[e.code] ?? `${what} request failed.`}${detail}`);
}
