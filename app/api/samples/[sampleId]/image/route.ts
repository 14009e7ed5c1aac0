import { can } from "@/lib/auth/permissions";
import { getCurrentUser } from "@/lib/auth/session";
import { getSampleImage } from "@/lib/compare/queries";

const IMAGE_TYPES = new Set(["image/jpeg", "image/png", "image/webp", "image/gif"]);

/**
 * The bytes of an image sample (thumbnails in the comparison report). Samples
 * never change (content-hashed), so the browser may keep them: private cache,
 * one year, and the content hash as ETag.
 */
export async function GET(request: Request, { params }: { params: Promise<{ sampleId: string }> }) {
  const user = await getCurrentUser();
  if (!user) return Response.json({ message: "Sign in first." }, { status: 401 });
  if (!can(user.role, "comparisons:read")) return Response.json({ message: "Not allowed." }, { status: 403 });
  const { sampleId } = await params;
  const image = await getSampleImage(sampleId);
  if (!image) return Response.json({ message: "That image sample does not exist." }, { status: 404 });
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
}
