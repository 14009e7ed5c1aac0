import "server-only";
import busboy from "busboy";
import { Readable } from "node:stream";
import type { ReadableStream as NodeWebStream } from "node:stream/web";
import {
  IMAGE_SNIFF_BYTES,
  MAX_IMAGE_BYTES,
  MAX_SAMPLES_PER_SET,
  MAX_SET_BYTES,
  describeNonImage,
  formatBytes,
  mergeParseResults,
  parseCsv,
  parseImages,
  parseJsonl,
  parseTextLines,
  sniffImage,
  type InputKind,
  type ParseResult,
} from "./parse";

/**
 * Reads a sample-set upload (multipart/form-data) as a stream: fields `name`,
 * `text` (pasted samples, one per line), optional `dataColumn`/`labelColumn`,
 * and any number of files. Images are recognised by content; other files by
 * their ending (.csv, .jsonl/.ndjson, .txt). An image over 10 MB is refused as
 * soon as it passes 10 MB (the rest is drained, not kept); an upload over
 * 200 MB is stopped there. Nothing here touches the database.
 */
export type UploadFields = { name: string; dataColumn?: string; labelColumn?: string };

export type UploadOutcome =
  | { ok: true; fields: UploadFields; result: ParseResult; files: number }
  | { ok: false; status: 400 | 413 | 415; message: string };

type FileBuffer = { name: string; chunks: Buffer[]; size: number; image: boolean | null; refused?: string };

const TEXT_ENDINGS = /\.(txt|text)$/i;
const CSV_ENDINGS = /\.(csv|tsv)$/i;
const JSONL_ENDINGS = /\.(jsonl|ndjson)$/i;

export async function readSampleUpload(request: Request, inputKind: InputKind): Promise<UploadOutcome> {
  const contentType = request.headers.get("content-type") ?? "";
  if (!contentType.toLowerCase().startsWith("multipart/form-data")) {
    return { ok: false, status: 415, message: "Send the samples as multipart/form-data (files and a name)." };
  }
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_SET_BYTES + 1024 * 1024) {
    return { ok: false, status: 413, message: `The upload is ${formatBytes(declared)}; a sample set is at most ${formatBytes(MAX_SET_BYTES)}.` };
  }
  if (!request.body) return { ok: false, status: 400, message: "The upload is empty." };

  const fields: Record<string, string> = {};
  const files: FileBuffer[] = [];
  let total = 0;
  let tooLarge = false;

  let bb: busboy.Busboy;
  try {
    bb = busboy({
      headers: { "content-type": contentType },
      limits: { files: MAX_SAMPLES_PER_SET + 1, fields: 10, fieldSize: MAX_SET_BYTES, fileSize: MAX_SET_BYTES + 1 },
    });
  } catch {
    return { ok: false, status: 400, message: "The upload is not valid multipart/form-data." };
  }

  const done = new Promise<{ ok: true } | { ok: false; message: string; status: 400 | 413 }>((resolve) => {
    bb.on("field", (name, value) => {
      if (["name", "text", "dataColumn", "labelColumn"].includes(name)) fields[name] = value;
      total += Buffer.byteLength(value);
    });
    bb.on("file", (_field, stream, info) => {
      const file: FileBuffer = { name: info.filename || `file ${files.length + 1}`, chunks: [], size: 0, image: null };
      files.push(file);
      stream.on("data", (chunk: Buffer) => {
        if (tooLarge || file.refused) return; // drain
        file.size += chunk.length;
        total += chunk.length;
        if (total > MAX_SET_BYTES) {
          tooLarge = true;
          file.chunks = [];
          return;
        }
        file.chunks.push(chunk);
        if (file.image === null && file.size >= Math.min(IMAGE_SNIFF_BYTES, 12)) {
          file.image = sniffImage(Buffer.concat(file.chunks)) !== null;
        }
        if (file.image && file.size > MAX_IMAGE_BYTES) {
          file.refused = `${file.name} is larger than ${formatBytes(MAX_IMAGE_BYTES)}, the limit for one image.`;
          total -= file.size;
          file.chunks = [];
        }
      });
    });
    bb.on("filesLimit", () => resolve({ ok: false, status: 413, message: `An upload holds at most ${MAX_SAMPLES_PER_SET.toLocaleString("en")} files.` }));
    bb.on("error", () => resolve({ ok: false, status: 400, message: "The upload was cut off or is not valid multipart/form-data." }));
    bb.on("close", () => resolve({ ok: true }));
  });

  const body = Readable.fromWeb(request.body as unknown as NodeWebStream<Uint8Array>);
  body.on("error", () => bb.destroy());
  body.pipe(bb);
  const finished = await done;
  if (!finished.ok) return finished;
  if (tooLarge) return { ok: false, status: 413, message: `The upload is larger than ${formatBytes(MAX_SET_BYTES)}, the limit for one sample set.` };

  const name = (fields.name ?? "").trim();
  const results: ParseResult[] = [];
  const images: File[] = [];
  const refused: ParseResult = { samples: [], rejected: [], duplicates: 0, duplicateRows: [], bytes: 0 };
  files.forEach((f, i) => {
    if (f.refused) {
      refused.rejected.push({ row: i + 1, reason: f.refused, source: f.name });
      return;
    }
    const bytes = Buffer.concat(f.chunks);
    if (bytes.length === 0) {
      refused.rejected.push({ row: i + 1, reason: `${f.name} is empty.`, source: f.name });
    } else if (sniffImage(bytes)) {
      images.push(new File([bytes], f.name));
    } else if (CSV_ENDINGS.test(f.name)) {
      results.push(parseCsv(bytes, { source: f.name, inputKind, dataColumn: fields.dataColumn || undefined, labelColumn: fields.labelColumn || undefined }));
    } else if (JSONL_ENDINGS.test(f.name)) {
      results.push(parseJsonl(bytes, { source: f.name, inputKind }));
    } else if (TEXT_ENDINGS.test(f.name)) {
      results.push(parseTextLines(bytes, { source: f.name, inputKind }));
    } else {
      refused.rejected.push({
        row: i + 1,
        reason: `${f.name} is not a JPEG, PNG, WebP or GIF image (${describeNonImage(bytes.subarray(0, IMAGE_SNIFF_BYTES))}), nor a .csv, .jsonl or .txt file.`,
        source: f.name,
      });
    }
  });
  if (images.length) results.unshift(await parseImages(images));
  if (fields.text?.trim()) results.push(parseTextLines(fields.text, { source: "pasted text", inputKind }));
  results.push(refused);
  if (results.length === 1 && refused.rejected.length === 0) {
    return { ok: false, status: 400, message: "Add files or paste some text: the upload holds no samples." };
  }
  const merged = mergeParseResults(results);
  return {
    ok: true,
    fields: { name, dataColumn: fields.dataColumn, labelColumn: fields.labelColumn },
    result: merged,
    files: files.length,
  };
}

/** The function's Nyckel input type as a parser input kind. */
export function inputKindFor(inputType: string): InputKind {
  const t = inputType.toLowerCase();
  return t === "text" ? "text" : t === "image" ? "image" : t === "tabular" ? "tabular" : "auto";
}
