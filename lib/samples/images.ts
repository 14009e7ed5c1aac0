/** Image files: recognised by their first bytes only (JPEG, PNG, WebP, GIF), never by name or declared type. */
import { sha256Hex } from "./hash";
import { firstInvalidUtf8 } from "./utf8";
import { MAX_IMAGE_BYTES, formatBytes, type SampleLimits } from "./limits";
import type { ImageMimeType, ParseOptions } from "./types";

export const IMAGE_NAMES: Record<ImageMimeType, string> = { "image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WebP", "image/gif": "GIF" };

/** How many leading bytes `sniffImage` and `describeNonImage` look at. */
export const IMAGE_SNIFF_BYTES = 512;

function startsWith(bytes: Uint8Array, signature: ReadonlyArray<number>, at = 0): boolean {
  if (bytes.length < at + signature.length) return false;
  return signature.every((b, i) => bytes[at + i] === b);
}

const ascii = (text: string): number[] => [...text].map((ch) => ch.charCodeAt(0));

/**
 * The image type from the first bytes ("magic numbers"), never from a file name:
 * JPEG FF D8 FF; PNG 89 "PNG" 0D 0A 1A 0A; GIF "GIF87a"/"GIF89a"; WebP "RIFF" ….
 * "WEBP". Anything else (including HTML renamed .jpg) → null.
 */
export function sniffImage(bytes: Uint8Array): ImageMimeType | null {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return "image/jpeg";
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "image/png";
  if (startsWith(bytes, ascii("GIF87a")) || startsWith(bytes, ascii("GIF89a"))) return "image/gif";
  if (startsWith(bytes, ascii("RIFF")) && startsWith(bytes, ascii("WEBP"), 8)) return "image/webp";
  return null;
}

/** What a non-image file looks like, for the rejection message ("an HTML page"). */
export function describeNonImage(bytes: Uint8Array): string {
  if (bytes.length === 0) return "empty";
  if (startsWith(bytes, ascii("%PDF-"))) return "a PDF document";
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04])) return "a ZIP archive (or an Office document)";
  if (startsWith(bytes, ascii("BM"))) return "a BMP image, which is not supported";
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) return "a TIFF image, which is not supported";
  if (startsWith(bytes, ascii("ftyp"), 4)) {
    const brand = String.fromCharCode(...bytes.subarray(8, 12));
    if (/^(heic|heix|hevc|mif1|msf1)$/.test(brand)) return "a HEIC image, which is not supported";
    if (brand === "avif") return "an AVIF image, which is not supported";
    return "a video file";
  }
  const head = new TextDecoder("utf-8", { fatal: false }).decode(bytes.subarray(0, IMAGE_SNIFF_BYTES)).replace(/^\uFEFF/, "").trimStart().toLowerCase();
  if (/^<(!doctype html|html|head|body|meta|script|!--)/.test(head)) return "an HTML page";
  if (head.includes("<svg")) return "an SVG image, which is not supported";
  if (head.startsWith("<")) return "an XML or HTML document";
  if (firstInvalidUtf8(bytes.subarray(0, Math.min(bytes.length, IMAGE_SNIFF_BYTES - 4))) === -1) return "a text file";
  return "not a JPEG, PNG, WebP or GIF image";
}

const ACCEPTED_IMAGES = "Only JPEG, PNG, WebP and GIF images are accepted, recognised by their content, not their file name.";

function quoteName(fileName: string | undefined): string {
  return fileName ? `"${fileName}"` : "The image";
}

export type ImageCheck = { ok: true; mimeType: ImageMimeType } | { ok: false; reason: string };

/** Size and content check of image bytes already in memory (e.g. a decoded data URI). */
export function checkImageBytes(bytes: Uint8Array, fileName?: string, limits: Partial<SampleLimits> = {}): ImageCheck {
  const max = limits.imageBytes ?? MAX_IMAGE_BYTES;
  if (bytes.length === 0) return { ok: false, reason: `${quoteName(fileName)} is empty.` };
  if (bytes.length > max) return { ok: false, reason: `${quoteName(fileName)} is ${formatBytes(bytes.length)}; an image can be at most ${formatBytes(max)}.` };
  const mimeType = sniffImage(bytes);
  if (mimeType) return { ok: true, mimeType };
  const what = describeNonImage(bytes);
  return { ok: false, reason: `${quoteName(fileName)} is ${what === "empty" ? "empty" : what}, not an image. ${ACCEPTED_IMAGES}` };
}

/** What `parseImageFile` needs: a `Blob`/`File` fits. */
export interface BlobLike {
  readonly size: number;
  readonly name?: string;
  slice(start?: number, end?: number): { arrayBuffer(): Promise<ArrayBuffer> };
  arrayBuffer(): Promise<ArrayBuffer>;
}

export type ImageFileResult = { ok: true; mimeType: ImageMimeType; bytes: Uint8Array; contentHash: string } | { ok: false; reason: string };

/**
 * Checks one uploaded file: the declared size first (a 50 MB file is refused without
 * reading a byte), then the first IMAGE_SNIFF_BYTES bytes, and only then the whole
 * file, whose length is checked again.
 */
export async function parseImageFile(file: BlobLike, options: Pick<ParseOptions, "limits"> = {}): Promise<ImageFileResult> {
  const max = options.limits?.imageBytes ?? MAX_IMAGE_BYTES;
  if (file.size === 0) return { ok: false, reason: `${quoteName(file.name)} is empty.` };
  if (file.size > max) return { ok: false, reason: `${quoteName(file.name)} is ${formatBytes(file.size)}; an image can be at most ${formatBytes(max)}.` };
  const head = new Uint8Array(await file.slice(0, IMAGE_SNIFF_BYTES).arrayBuffer());
  const headCheck = checkImageBytes(head, file.name, { imageBytes: max });
  if (!headCheck.ok) return headCheck;
  const bytes = new Uint8Array(await file.arrayBuffer());
  const check = checkImageBytes(bytes, file.name, { imageBytes: max });
  if (!check.ok) return check;
  return { ok: true, mimeType: check.mimeType, bytes, contentHash: sha256Hex("image", bytes) };
}

export type StreamReadResult = { ok: true; bytes: Uint8Array } | { ok: false; reason: string; bytesRead: number };

/**
 * Reads a stream (a request body, a file stream) into memory but stops, and cancels
 * the stream, as soon as more than `maxBytes` arrived: an oversized upload gets a
 * clear message without being read to the end.
 */
export async function readStreamAtMost(stream: ReadableStream<Uint8Array>, maxBytes: number, what = "The upload"): Promise<StreamReadResult> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel("size limit exceeded").catch(() => undefined);
      return { ok: false, reason: `${what} is larger than ${formatBytes(maxBytes)}, the limit.`, bytesRead: total };
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return { ok: true, bytes };
}
