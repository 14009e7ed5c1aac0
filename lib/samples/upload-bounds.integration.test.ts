/**
 * Issue 12, item 2: uploads in bounded memory. Big bodies are generated as streams
 * (one reused chunk, so the generator itself holds nothing), sent without a
 * Content-Length, and read by the same functions the route calls.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemContext } from "@/lib/context";
import { disconnectPrisma, prisma } from "@/lib/db/client";
import { startMemorySampler, type MemorySampler } from "@/lib/diagnostics/memory-sampler";
import { MAX_EXAMPLES } from "./limits";
import { saveSampleSetUpload } from "./service";
import { CUT_OFF, readSampleUpload } from "./upload";

const sys = systemContext("test");
const FUNCTION_ID = `function_bounds${Date.now()}`;
const MB = 2 ** 20;
const BOUNDARY = "modelpinboundsboundary";
const CHUNK = 64 * 1024;

type Part = { field: string; value: string } | { file: string; line: string; bytes: number } | { file: string; lines: (i: number) => string; count: number };

/** A multipart body as a stream; `end: "cut"` stops mid-file, `end: "abort"` errors the stream there. */
function multipart(parts: Part[], end: "close" | "cut" | "abort" = "close") {
  let pulled = 0;
  async function* pieces(): AsyncGenerator<Uint8Array> {
    for (const part of parts) {
      if ("field" in part) {
        yield Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${part.field}"\r\n\r\n${part.value}\r\n`);
        continue;
      }
      yield Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="${part.file}"\r\nContent-Type: application/octet-stream\r\n\r\n`);
      if ("line" in part) {
        const chunk = Buffer.from(part.line.repeat(CHUNK / part.line.length));
        for (let sent = 0; sent < part.bytes; sent += chunk.length) yield chunk;
      } else {
        let batch = "";
        for (let i = 0; i < part.count; i++) {
          batch += part.lines(i);
          if (batch.length > CHUNK) {
            yield Buffer.from(batch);
            batch = "";
          }
        }
        yield Buffer.from(batch);
      }
      if (end === "cut") return;
      if (end === "abort") throw new Error("the client went away");
      yield Buffer.from("\r\n");
    }
    yield Buffer.from(`--${BOUNDARY}--\r\n`);
  }
  const source = pieces();
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await source.next();
        if (next.done) return controller.close();
        pulled += next.value.length;
        controller.enqueue(next.value);
      } catch (e) {
        controller.error(e);
      }
    },
  });
  const request = new Request("http://localhost/api/functions/x/sample-sets", {
    method: "POST",
    body: stream,
    headers: { "content-type": `multipart/form-data; boundary=${BOUNDARY}` },
    duplex: "half",
  } as RequestInit & { duplex: "half" });
  return { request, pulled: () => pulled };
}

const gc = (() => {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
})();

const uncaught: unknown[] = [];
const onUncaught = (e: unknown) => uncaught.push(e);
let sampler: MemorySampler;

function measure() {
  gc();
  sampler.reset();
}

beforeAll(async () => {
  process.on("uncaughtException", onUncaught);
  process.on("unhandledRejection", onUncaught);
  sampler = startMemorySampler({ intervalMs: 20 });
  await prisma.nyckelFunction.create({
    data: { id: FUNCTION_ID, name: "Bounds test", inputType: "Text", outputType: "Classification", lastSyncedAt: new Date() },
  });
});

afterAll(async () => {
  sampler.stop();
  process.off("uncaughtException", onUncaught);
  process.off("unhandledRejection", onUncaught);
  await disconnectPrisma();
});

describe("uploads in bounded memory", () => {
  it("190 MB of rejected lines: every row counted, 200 examples kept, memory grows < 100 MB", async () => {
    measure();
    const body = multipart([{ field: "name", value: "rejected" }, { file: "nul.txt", line: "\u0000\n", bytes: 190 * MB }]);
    const upload = await readSampleUpload(body.request, "text");
    const peak = sampler.peak();
    if (!upload.ok) throw new Error(upload.message);
    expect(upload.summary.rejected).toBe((190 * MB) / 2);
    expect(upload.summary.rejectedExamples).toHaveLength(MAX_EXAMPLES);
    expect(upload.summary.error).toBe(`The upload has no usable samples: all ${((190 * MB) / 2).toLocaleString("en-US")} rows were rejected.`);
    console.log(`190 MB rejected: growth ${peak.growthMb.toFixed(1)} MB, loop delay max ${peak.loopDelayMaxMs.toFixed(0)} ms`);
    expect(peak.growthMb).toBeLessThan(100);
  }, 600_000);

  it("190 MB of one duplicate line is saved as one sample, memory grows < 100 MB", async () => {
    measure();
    const line = "the very same line\n";
    const body = multipart([{ field: "name", value: "duplicates" }, { file: "dups.txt", line, bytes: 190 * MB }]);
    const saved = await saveSampleSetUpload(sys, { functionId: FUNCTION_ID, inputKind: "text" }, body.request);
    const peak = sampler.peak();
    if (!saved.ok) throw new Error(saved.message);
    const perChunk = Math.floor(CHUNK / line.length);
    const lines = perChunk * Math.ceil((190 * MB) / (perChunk * line.length));
    expect(saved.summary).toMatchObject({ samples: 1, duplicates: lines - 1 });
    expect(await prisma.sample.count({ where: { sampleSetId: saved.set.id } })).toBe(1);
    console.log(`190 MB duplicates: growth ${peak.growthMb.toFixed(1)} MB, loop delay max ${peak.loopDelayMaxMs.toFixed(0)} ms`);
    expect(peak.growthMb).toBeLessThan(100);
  }, 600_000);

  it("distinct lines stop at the 10,001st sample without reading on", async () => {
    const body = multipart([{ field: "name", value: "distinct" }, { file: "many.txt", lines: (i) => `distinct line ${i}\n`, count: 10_000_000 }]);
    const upload = await readSampleUpload(body.request, "text");
    expect(upload.ok && upload.summary.error).toBe("The upload has more than 10,000 samples; a sample set holds at most 10,000. Split it into smaller sets.");
    expect(body.pulled()).toBeLessThan(10 * MB);
  });

  it("413 at once for a chunked body over 200 MB, for 450 MB of fields and for one field over 2 MB", async () => {
    const big = multipart([{ field: "name", value: "big" }, { file: "blob.bin", line: "0123456789abcdef", bytes: 450 * MB }]);
    expect(await readSampleUpload(big.request, "text")).toEqual({
      ok: false,
      status: 413,
      message: "The upload is larger than 200 MB, the limit for one sample set. Split it into smaller sets.",
    });
    expect(big.pulled()).toBeLessThan(203 * MB);

    const fields = multipart(Array.from({ length: 450 }, (_, i) => ({ field: `f${i}`, value: "x".repeat(MB - 64) })));
    expect(await readSampleUpload(fields.request, "text")).toMatchObject({ ok: false, status: 413 });
    expect(fields.pulled()).toBeLessThan(30 * MB);

    const field = multipart([{ field: "text", value: "y".repeat(3 * MB) }]);
    expect(await readSampleUpload(field.request, "text")).toEqual({
      ok: false,
      status: 413,
      message: 'The field "text" is larger than 2 MB, the limit for one form field. Upload long lists as a file.',
    });
  }, 120_000);

  it("a cut-off or aborted body is a 400 with nothing saved and no uncaught exception", async () => {
    const lines = (i: number) => `sample ${i}\n`;
    for (const end of ["cut", "abort"] as const) {
      const body = multipart([{ field: "name", value: `broken ${end}` }, { file: "part.txt", lines, count: 3_000 }], end);
      const saved = await saveSampleSetUpload(sys, { functionId: FUNCTION_ID, inputKind: "text" }, body.request);
      expect(saved).toEqual({ ok: false, status: 400, message: CUT_OFF });
      const preview = multipart([{ field: "name", value: "p" }, { file: "part.txt", lines, count: 3_000 }], end);
      expect(await readSampleUpload(preview.request, "text")).toEqual({ ok: false, status: 400, message: CUT_OFF });
    }
    // Batches of 500 went into the transaction before the cut; none of it is visible.
    expect(await prisma.sampleSet.count({ where: { functionId: FUNCTION_ID, NOT: { name: { in: ["duplicates"] } } } })).toBe(0);
    await new Promise((r) => setTimeout(r, 100));
    expect(uncaught).toEqual([]);
  });
});
