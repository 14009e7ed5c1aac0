import { route } from "@/lib/api/route";
import { getSampleImage } from "@/lib/compare/queries";
import { sampleIdParams } from "@/lib/compare/schemas";
import { NotFoundError } from "@/lib/errors";

const IMAGE_TYPES = new Set(["image/jpeg", "image/png", "image/webp", "image/gif"]);
const NOT_FOUND = "That image sample does not exist.";

/**
 * The bytes of an image sample (thumbnails in the comparison report). Samples
 * never change (content-hashed), so the browser may keep them: private cache,
 * one year, and the content hash as ETag. A malformed id is a 404.
 */
export const GET = route({ permission: "comparisons:read", params: sampleIdParams, notFound: NOT_FOUND }, async ({ request, params }) => {
  const image = await getSampleImage(params.sampleId);
  if (!image) throw new NotFoundError(NOT_FOUND);
  const etag = `"${image.contentHash}"`;
  const headers = {
    "cache-control": "private, max-age=31536000, immutable",
    etag,
    "x-content-type-options": "nosniff",
    "content-security-policy": "default-src 'none'; sandbox",
  };
  if (request.headers.get("if-none-match") === etag) return new Response(null, { status: 304, headers });
  // Stored types were recognised by content at upload; anything else is served as opaque bytes.
  const type = image.mimeType && IMAGE_TYPES.has(image.mimeType) ? image.mimeType : "application/octet-stream";
  return new Response(new Uint8Array(image.bytes), { headers: { ...headers, "content-type": type, "content-length": String(image.bytes.byteLength) } });
});
