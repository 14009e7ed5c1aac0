import "server-only";
import busboy from "busboy";
import { Readable } from "node:stream";
import type { ReadableStream as NodeWebStream } from "node:stream/web";
import { CsvParser } from "./csv";
import { checkImageBytes, describeNonImage, IMAGE_SNIFF_BYTES, sniffImage } from "./images";
import { MAX_FIELD_BYTES, MAX_IMAGE_BYTES, MAX_SAMPLES_PER_SET, MAX_SET_BYTES, MULTIPART_SLACK_BYTES, SAMPLE_LIMITS, formatBytes } from "./limits";
import { SetBuilder, type SampleSink, type SetSummary } from "./set-builder";
import { JsonlParser, TextLinesParser, type FileParser } from "./text-parsers";
import type { InputKind, Sample } from "./types";
import { sha256Hex } from "./hash";
import { yieldIfBusy } from "./yield";

/**
 * Reads a sample-set upload (multipart/form-data) as a stream, in bounded memory:
 * fields `name`, `text` (pasted samples, one per line), optional
 * `dataColumn`/`labelColumn` (send them before the files), and any number of files.
 * Images are recognised by content; other files by their ending (.csv, .jsonl/.ndjson,
 * .txt). Each file is parsed as it arrives; accepted samples go to `sink` in batches
 * (the preview passes none: they are counted and dropped).
 *
 * - Every byte of the body counts (files, fields and multipart framing), with or
 *   without a Content-Length: past MAX_SET_BYTES + 1 MB reading stops and the answer
 *   is 413 at once. A field over MAX_FIELD_BYTES is 413 too; an image over 10 MB is a
 *   rejected row (its bytes are drained, not kept).
 * - The body, busboy and every file stream have an `error` listener: a cut-off or
 *   aborted body is a 400 (nothing reaches the sink's commit), never an uncaught exception.
 * - Nothing here touches the database; the sink does.
 */
export type UploadFields = { name: string; dataColumn?: string; labelColumn?: string };

export type UploadOutcome =
  | { ok: true; fields: UploadFields; summary: SetSummary; files: number }
  | { ok: false; status: 400 | 413 | 415; message: string };

type Failure = Extract<UploadOutcome, { ok: false }>;

const TEXT_ENDINGS = /\.(txt|text)$/i;
const CSV_ENDINGS = /\.(csv|tsv)$/i;
const JSONL_ENDINGS = /\.(jsonl|ndjson)$/i;
const FIELDS = ["name", "text", "dataColumn", "labelColumn"] as const;
const BODY_LIMIT = MAX_SET_BYTES + MULTIPART_SLACK_BYTES;
/** The form has four fields; a few more are tolerated (and ignored). */
const MAX_FIELDS = 8;
/** Text is fed to the parsers in pieces this big, so no step blocks for long. */
const PIECE = 16 * 1024;

const tooLarge = (): Failure => ({ ok: false, status: 413, message: `The upload is larger than ${formatBytes(MAX_SET_BYTES)}, the limit for one sample set. Split it into smaller sets.` });
export const CUT_OFF = "The upload was cut off before its end (the connection closed, or the form is incomplete). Nothing was saved; send it again.";

function kindName(inputKind: InputKind): string {
  return inputKind === "tabular" ? "tabular rows" : "text";
}

export async function readSampleUpload(request: Request, inputKind: InputKind, sink?: SampleSink): Promise<UploadOutcome> {
  const contentType = request.headers.get("content-type") ?? "";
  if (!contentType.toLowerCase().startsWith("multipart/form-data")) {
    return { ok: false, status: 415, message: "Send the samples as multipart/form-data (files and a name)." };
  }
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > BODY_LIMIT) {
    return { ok: false, status: 413, message: `The upload is ${formatBytes(declared)}; a sample set is at most ${formatBytes(MAX_SET_BYTES)}.` };
  }
  if (!request.body) return { ok: false, status: 400, message: "The upload is empty." };

  let bb: busboy.Busboy;
  try {
    bb = busboy({
      headers: { "content-type": contentType },
      limits: { files: MAX_SAMPLES_PER_SET, fields: MAX_FIELDS, fieldSize: MAX_FIELD_BYTES, fileSize: BODY_LIMIT, parts: MAX_SAMPLES_PER_SET + MAX_FIELDS },
    });
  } catch {
    return { ok: false, status: 400, message: "The upload is not valid multipart/form-data." };
  }

  const set = new SetBuilder(SAMPLE_LIMITS, "The upload", sink ? { sink } : {});
  const fields: Record<string, string> = {};
  const body = Readable.fromWeb(request.body as unknown as NodeWebStream<Uint8Array>);
  let files = 0;
  let rows = 0;
  let fatal: string | null = null;
  let failure: Failure | null = null;
  let parsedFile = false;
  let work: Promise<void> = Promise.resolve();
  /** The file being read, destroyed when reading stops so its loop ends. */
  let current: Readable | null = null;
  let sinkError: unknown = null;
  let settle!: () => void;
  const settled = new Promise<void>((resolve) => (settle = resolve));

  /** Runs tasks one after the other; an unexpected error (a bug, the database) stops reading and is thrown at the end. */
  const enqueue = (task: () => Promise<void> | undefined) => {
    work = work.then(task).catch((e: unknown) => {
      sinkError ??= e;
      stop({ ok: false, status: 400, message: CUT_OFF });
    });
  };

  /** Stops reading: the answer is decided. */
  const stop = (f: Failure | null, message?: string) => {
    if (failure || fatal !== null) return;
    if (f) failure = f;
    else fatal = message ?? null;
    body.unpipe(bb);
    body.pause();
    current?.destroy();
    settle();
  };
  const stopped = () => failure !== null || fatal !== null;

  let received = 0;
  body.on("data", (chunk: Buffer) => {
    received += chunk.length;
    if (received > BODY_LIMIT) stop(tooLarge());
  });
  body.on("error", () => stop({ ok: false, status: 400, message: CUT_OFF }));
  bb.on("error", () => stop({ ok: false, status: 400, message: CUT_OFF }));
  bb.on("filesLimit", () => stop({ ok: false, status: 413, message: `An upload holds at most ${MAX_SAMPLES_PER_SET.toLocaleString("en")} files.` }));
  bb.on("fieldsLimit", () => stop({ ok: false, status: 413, message: `The upload has more than ${MAX_FIELDS} form fields; send the samples as files.` }));
  bb.on("partsLimit", () => stop({ ok: false, status: 413, message: "The upload has too many parts." }));

  bb.on("field", (name, value, info) => {
    if (stopped()) return;
    if (info.valueTruncated) {
      stop({ ok: false, status: 413, message: `The field "${name}" is larger than ${formatBytes(MAX_FIELD_BYTES)}, the limit for one form field. Upload long lists as a file.` });
      return;
    }
    if (!(FIELDS as readonly string[]).includes(name)) return;
    if ((name === "dataColumn" || name === "labelColumn") && parsedFile) {
      stop({ ok: false, status: 400, message: `Send "${name}" before the files: the files are read as they arrive.` });
      return;
    }
    fields[name] = value;
    if (name === "text" && value.trim()) {
      enqueue(() => (stopped() ? undefined : parseText(value)));
    }
  });

  bb.on("file", (_field, stream, info) => {
    stream.on("error", () => stop({ ok: false, status: 400, message: CUT_OFF }));
    if (stopped()) {
      stream.resume();
      return;
    }
    files++;
    const position = files;
    const name = info.filename || `file ${position}`;
    enqueue(async () => {
      if (stopped()) return void stream.resume();
      current = stream;
      try {
        await readFile(stream, name, position);
      } catch {
        // The file stream failed (cut off), or was destroyed because reading stopped.
        stop({ ok: false, status: 400, message: CUT_OFF });
      } finally {
        current = null;
      }
    });
  });

  bb.on("close", () => {
    void work.then(() => settle());
  });

  /** Hands a full batch to the sink; a sink failure stops reading and is thrown at the end. */
  async function flush(): Promise<void> {
    try {
      await set.flush();
    } catch (e) {
      sinkError ??= e;
      stop({ ok: false, status: 400, message: CUT_OFF });
    }
  }

  async function feed(parser: FileParser, chunks: AsyncIterable<Buffer> | Iterable<Buffer>): Promise<void> {
    for await (const chunk of chunks) {
      // In pieces, so that no synchronous step holds the event loop for long.
      for (let at = 0; at < chunk.length; at += PIECE) {
        if (stopped()) return;
        const error = parser.write(at === 0 && chunk.length <= PIECE ? chunk : chunk.subarray(at, at + PIECE));
        if (error) return stop(null, error);
        await flush();
        await yieldIfBusy();
      }
    }
    if (stopped()) return;
    const error = parser.end();
    if (error) return stop(null, error);
    rows += parser.rows;
    await flush();
  }

  async function parseText(value: string): Promise<void> {
    await feed(new TextLinesParser(set, "The text", { source: "pasted text", inputKind }), [Buffer.from(value, "utf8")]);
  }

  async function readFile(stream: Readable, name: string, position: number): Promise<void> {
    parsedFile = true;
    const iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    // The head decides what the file is: an image by its bytes, text by its ending.
    const head: Buffer[] = [];
    let headBytes = 0;
    let done = false;
    while (headBytes < 16) {
      const next = await iterator.next();
      if (next.done) {
        done = true;
        break;
      }
      head.push(next.value);
      headBytes += next.value.length;
    }
    const first = Buffer.concat(head);
    const rest: AsyncIterable<Buffer> = { [Symbol.asyncIterator]: () => iterator };
    const all: AsyncIterable<Buffer> = {
      async *[Symbol.asyncIterator]() {
        if (first.length) yield first;
        if (!done) yield* rest;
      },
    };
    const reject = async (reason: string) => {
      rows++;
      set.reject(position, reason, name);
      if (!done) for await (const chunk of rest) void chunk; // drain: the next part follows
    };
    if (first.length === 0) return reject(`${name} is empty.`);
    const image = sniffImage(first);
    if (image) {
      if (inputKind === "text" || inputKind === "tabular") {
        return reject(`${name} is an image, but this function takes ${kindName(inputKind)}: its sample sets hold text lines, CSV or JSONL rows, not images.`);
      }
      return readImage(all, name, position);
    }
    const options = { source: name, inputKind, dataColumn: fields.dataColumn || undefined, labelColumn: fields.labelColumn || undefined };
    if (CSV_ENDINGS.test(name)) return feed(new CsvParser(set, options), all);
    if (JSONL_ENDINGS.test(name)) return feed(new JsonlParser(set, options), all);
    if (TEXT_ENDINGS.test(name)) return feed(new TextLinesParser(set, "The text", options), all);
    return reject(`${name} is not a JPEG, PNG, WebP or GIF image (${describeNonImage(first.subarray(0, IMAGE_SNIFF_BYTES))}), nor a .csv, .jsonl or .txt file.`);
  }

  async function readImage(chunks: AsyncIterable<Buffer>, name: string, position: number): Promise<void> {
    const parts: Buffer[] = [];
    let size = 0;
    let refused = false;
    for await (const chunk of chunks) {
      if (stopped()) return;
      if (refused) continue; // drained, not kept
      size += chunk.length;
      if (size > MAX_IMAGE_BYTES) {
        refused = true;
        parts.length = 0;
        continue;
      }
      parts.push(chunk);
    }
    rows++;
    if (refused) return set.reject(position, `${name} is larger than ${formatBytes(MAX_IMAGE_BYTES)}, the limit for one image.`, name);
    const bytes = new Uint8Array(Buffer.concat(parts));
    const check = checkImageBytes(bytes, name);
    if (!check.ok) return set.reject(position, check.reason, name);
    const sample: Sample = { kind: "image", value: { mimeType: check.mimeType, bytes, fileName: name }, contentHash: sha256Hex("image", bytes), sourceRow: position, source: name };
    const error = set.add(sample);
    if (error) return stop(null, error);
    await flush();
  }

  body.pipe(bb);
  await settled;
  await work;
  // A sink failure (the database) is not the client's fault: it surfaces as an error.
  if (sinkError !== null) throw sinkError;
  if (failure) return failure;
  const name = (fields.name ?? "").trim();
  const uploadFields: UploadFields = { name, dataColumn: fields.dataColumn, labelColumn: fields.labelColumn };
  if (fatal !== null) return { ok: true, fields: uploadFields, summary: set.summary(fatal), files };
  if (files === 0 && !fields.text?.trim()) return { ok: false, status: 400, message: "Add files or paste some text: the upload holds no samples." };
  const none = set.noUsableSamples(rows);
  if (none) return { ok: true, fields: uploadFields, summary: set.summary(none), files };
  await set.flush(true);
  return { ok: true, fields: uploadFields, summary: set.summary(), files };
}

/** The function's Nyckel input type as a parser input kind. */
export function inputKindFor(inputType: string): InputKind {
  const t = inputType.toLowerCase();
  return t === "text" ? "text" : t === "image" ? "image" : t === "tabular" ? "tabular" : "auto";
}
