/** UTF-8: strict decoding, whole or in chunks, with a message that names the first bad byte and its line. */

export type DecodeResult = { ok: true; text: string } | { ok: false; error: string };

/** Offset of the first byte that does not start a well-formed UTF-8 sequence, or -1. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  const n = bytes.length;
  const cont = (i: number, lo = 0x80, hi = 0xbf) => i < n && (bytes[i] as number) >= lo && (bytes[i] as number) <= hi;
  let i = 0;
  while (i < n) {
    const b = bytes[i] as number;
    if (b < 0x80) i += 1;
    else if (b >= 0xc2 && b <= 0xdf && cont(i + 1)) i += 2;
    else if (b === 0xe0 && cont(i + 1, 0xa0) && cont(i + 2)) i += 3;
    else if (((b >= 0xe1 && b <= 0xec) || b === 0xee || b === 0xef) && cont(i + 1) && cont(i + 2)) i += 3;
    else if (b === 0xed && cont(i + 1, 0x80, 0x9f) && cont(i + 2)) i += 3;
    else if (b === 0xf0 && cont(i + 1, 0x90) && cont(i + 2) && cont(i + 3)) i += 4;
    else if (b >= 0xf1 && b <= 0xf3 && cont(i + 1) && cont(i + 2) && cont(i + 3)) i += 4;
    else if (b === 0xf4 && cont(i + 1, 0x80, 0x8f) && cont(i + 2) && cont(i + 3)) i += 4;
    else return i;
  }
  return -1;
}

/**
 * Decodes UTF-8, refusing anything that is not (TextDecoder with `fatal: true`). A
 * UTF-8 BOM is dropped. The message names the first bad byte and its line, and
 * recognises UTF-16 (what Excel's "Unicode text" writes).
 */
export function decodeUtf8Strict(bytes: Uint8Array): DecodeResult {
  if (bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))) {
    return { ok: false, error: UTF16 };
  }
  try {
    return { ok: true, text: new TextDecoder("utf-8", { fatal: true }).decode(bytes) };
  } catch {
    const offset = Math.max(0, firstInvalidUtf8(bytes));
    let line = 1;
    for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line++;
    return { ok: false, error: invalidUtf8Message(bytes, offset, line) };
  }
}

function invalidUtf8Message(bytes: Uint8Array, offset: number, line: number): string {
  const hex = (bytes[offset] ?? 0).toString(16).toUpperCase().padStart(2, "0");
  return `The file is not valid UTF-8: byte 0x${hex} on line ${line} (byte ${offset + 1}) is not part of a UTF-8 character. Save the file as UTF-8 and upload it again.`;
}

const UTF16 = "The file is UTF-16 text, not UTF-8. Save it as UTF-8 (in Excel: \"CSV UTF-8\") and upload it again.";

/** How many bytes at the end of `bytes` start a UTF-8 sequence that the next chunk completes. */
function incompleteTail(bytes: Uint8Array): number {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const b = bytes[bytes.length - back] as number;
    if ((b & 0xc0) === 0x80) continue; // continuation byte: look further back
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? back : 0;
  }
  return 0;
}

/**
 * Strict UTF-8 in chunks: a sequence split across chunks is carried over; the BOM is
 * dropped; the first bad byte fails the whole file with its byte offset and line
 * (the same message as `decodeUtf8Strict`). Counts lines (LF) as it goes.
 */
export class StrictUtf8Decoder {
  private readonly decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  private carry: Uint8Array = new Uint8Array(0);
  private offset = 0;
  private lines = 1;
  private started = false;

  /** Text of this chunk, or an error message (then stop feeding). */
  write(chunk: Uint8Array): DecodeResult {
    let bytes = chunk;
    if (this.carry.length) {
      bytes = new Uint8Array(this.carry.length + chunk.length);
      bytes.set(this.carry);
      bytes.set(chunk, this.carry.length);
    }
    if (!this.started) {
      if (bytes.length < 3 && bytes.length > 0 && chunk.length > 0) {
        // Too short to tell a BOM yet.
        this.carry = bytes;
        return { ok: true, text: "" };
      }
      this.started = true;
      if (bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))) return { ok: false, error: UTF16 };
      if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
        bytes = bytes.subarray(3);
        this.offset = 3;
      }
    }
    const tail = incompleteTail(bytes);
    const whole = bytes.subarray(0, bytes.length - tail);
    this.carry = tail ? bytes.slice(bytes.length - tail) : new Uint8Array(0);
    return this.decode(whole);
  }

  /** The end of the file: a sequence still open is an error. */
  end(): DecodeResult {
    if (!this.started && this.carry.length) {
      const rest = this.carry;
      this.carry = new Uint8Array(0);
      this.started = true;
      if (rest.length >= 2 && ((rest[0] === 0xff && rest[1] === 0xfe) || (rest[0] === 0xfe && rest[1] === 0xff))) return { ok: false, error: UTF16 };
      return this.decode(rest);
    }
    if (this.carry.length) return this.decode(this.carry);
    return { ok: true, text: "" };
  }

  private decode(bytes: Uint8Array): DecodeResult {
    try {
      const text = this.decoder.decode(bytes);
      for (let at = text.indexOf("\n"); at !== -1; at = text.indexOf("\n", at + 1)) this.lines++;
      this.offset += bytes.length;
      return { ok: true, text };
    } catch {
      const bad = Math.max(0, firstInvalidUtf8(bytes));
      let line = this.lines;
      for (let i = 0; i < bad; i++) if (bytes[i] === 0x0a) line++;
      const message = invalidUtf8Message(bytes, bad, line);
      return { ok: false, error: message.replace(/\(byte \d+\)/, `(byte ${this.offset + bad + 1})`) };
    }
  }
}
