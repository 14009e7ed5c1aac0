import { createHash } from "node:crypto";
import type { SampleKind } from "./types";

/** A sample's content hash: SHA-256, hex, of `<kind>` + "\n" + its canonical form (see parse.ts). */
export function sha256Hex(kind: SampleKind, payload: string | Uint8Array): string {
  return createHash("sha256").update(`${kind}\n`).update(payload).digest("hex");
}
