import { NextResponse } from "next/server";
import { can } from "@/lib/auth/permissions";
import { getCurrentUser } from "@/lib/auth/session";
import { quickCompare } from "@/lib/compare/quick";
import { parseChoiceToken } from "@/lib/compare/schemas";
import { newRequestId, userContext } from "@/lib/context";
import { isExpectedError } from "@/lib/errors";
import { logger } from "@/lib/logger";
import { MAX_IMAGE_BYTES, formatBytes, readStreamAtMost } from "@/lib/samples/parse";

// Images for a quick compare stream through this route handler: a server action
// caps its body at 1 MB, and an image may be 10 MB. Text goes through quickCompareAction.
export const runtime = "nodejs";

const json = (status: number, body: unknown) => NextResponse.json(body, { status, headers: { "cache-control": "no-store" } });

/**
 * POST the image's bytes as the body (Content-Type image/* or
 * application/octet-stream), with `functionId`, `a` and `b` (model choices:
 * `latest`, `model:<id>`, `pinned:<environment id>`) and optional `name` in
 * the query. Answers both sides' outputs, or `{ message }` with 4xx.
 */
export async function POST(request: Request) {
  const requestId = newRequestId();
  const user = await getCurrentUser();
  if (!user) return json(401, { message: "Sign in to compare models." });
  if (!can(user.role, "comparisons:run")) return json(403, { message: "Your role does not allow running comparisons." });
  // A non-form content type: a cross-site page cannot send this without a CORS preflight.
  const type = (request.headers.get("content-type") ?? "").toLowerCase();
  if (!type.startsWith("image/") && !type.startsWith("application/octet-stream")) {
    return json(415, { message: "Send the image's bytes with Content-Type image/* or application/octet-stream." });
  }
  const url = new URL(request.url);
  const name = (url.searchParams.get("name") ?? "").slice(0, 200) || undefined;
  const what = name ? `"${name}"` : "The image";
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_IMAGE_BYTES) {
    return json(413, { message: `${what} is ${formatBytes(declared)}; an image can be at most ${formatBytes(MAX_IMAGE_BYTES)}.` });
  }
  if (!request.body) return json(400, { message: "Choose an image: the request has no body." });
  try {
    const read = await readStreamAtMost(request.body, MAX_IMAGE_BYTES, what);
    if (!read.ok) return json(413, { message: `${what} is larger than ${formatBytes(MAX_IMAGE_BYTES)}, the limit for one image.` });
    const result = await quickCompare(userContext(user, requestId), {
      functionId: url.searchParams.get("functionId") ?? "",
      modelA: parseChoiceToken(url.searchParams.get("a") ?? ""),
      modelB: parseChoiceToken(url.searchParams.get("b") ?? ""),
      sample: { kind: "image", bytes: read.bytes, fileName: name },
    });
    return json(200, result);
  } catch (e) {
    if (isExpectedError(e)) return json(e.status, { message: e.message, fieldErrors: e.fieldErrors });
    logger.error({ err: e, requestId }, "quick compare failed");
    return json(500, { message: `The comparison failed on our side. If it keeps happening, report request id ${requestId}.` });
  }
}
