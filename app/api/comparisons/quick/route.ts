import { route } from "@/lib/api/route";
import { quickCompare } from "@/lib/compare/quick";
import { parseChoiceToken } from "@/lib/compare/choice";
import { InvalidInputError, PayloadTooLargeError, UnsupportedMediaTypeError } from "@/lib/errors";
import { MAX_IMAGE_BYTES, formatBytes, readStreamAtMost } from "@/lib/samples/parse";

// Images for a quick compare stream through this route handler: a server action
// caps its body at 1 MB, and an image may be 10 MB. Text goes through quickCompareAction.
export const runtime = "nodejs";

/**
 * POST the image's bytes as the body (Content-Type image/* or
 * application/octet-stream), with `functionId`, `a` and `b` (model choices:
 * `latest`, `model:<id>`, `pinned:<environment id>`) and optional `name` in
 * the query. Answers both sides' outputs, or the route error body with 4xx.
 */
export const POST = route({ permission: "comparisons:run" }, async ({ request, service }) => {
  const type = (request.headers.get("content-type") ?? "").toLowerCase();
  if (!type.startsWith("image/") && !type.startsWith("application/octet-stream")) {
    throw new UnsupportedMediaTypeError("Send the image's bytes with Content-Type image/* or application/octet-stream.");
  }
  const url = new URL(request.url);
  const name = (url.searchParams.get("name") ?? "").slice(0, 200) || undefined;
  const what = name ? `"${name}"` : "The image";
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_IMAGE_BYTES) throw new PayloadTooLargeError(`${what} is ${formatBytes(declared)}; an image can be at most ${formatBytes(MAX_IMAGE_BYTES)}.`);
  if (!request.body) throw new InvalidInputError("Choose an image: the request has no body.");
  const read = await readStreamAtMost(request.body, MAX_IMAGE_BYTES, what);
  if (!read.ok) throw new PayloadTooLargeError(`${what} is larger than ${formatBytes(MAX_IMAGE_BYTES)}, the limit for one image.`);
  const result = await quickCompare(service, {
    functionId: url.searchParams.get("functionId") ?? "",
    modelA: parseChoiceToken(url.searchParams.get("a") ?? ""),
    modelB: parseChoiceToken(url.searchParams.get("b") ?? ""),
    sample: { kind: "image", bytes: read.bytes, fileName: name },
  });
  return Response.json(result, { headers: { "cache-control": "no-store" } });
});
