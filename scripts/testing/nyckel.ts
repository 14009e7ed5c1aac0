/** Helpers shared by the Nyckel client and emulator tests (not used by app code). */
import { deflateSync } from "node:zlib";
import { NyckelClient, type NyckelClientOptions, type NyckelLogger } from "@/lib/nyckel/client";
import { isNyckelError, type NyckelError } from "@/lib/nyckel/errors";
import type { EmulatorHandle } from "@/scripts/emulator/server";

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The NyckelError `promise` rejects with; any other error is rethrown, and a success fails the test. */
export async function nyckelFailure(promise: Promise<unknown>): Promise<NyckelError> {
  try {
    await promise;
  } catch (error) {
    if (isNyckelError(error)) return error;
    throw error;
  }
  throw new Error("expected a NyckelError, but the call succeeded");
}

/** A client for `emulator` with fast retries and no client-side limiter unless overridden. */
export function emulatorClient(emulator: EmulatorHandle, overrides: Partial<NyckelClientOptions> = {}): NyckelClient {
  return new NyckelClient({
    baseUrl: emulator.url,
    clientId: emulator.state.clientId,
    clientSecret: emulator.state.clientSecret,
    retryBaseDelayMs: 5,
    retryMaxDelayMs: 20,
    rateLimit: false,
    ...overrides,
  });
}

export interface RecordedLine {
  level: "warn" | "info" | "debug";
  fields: Record<string, unknown>;
  message: string;
}

export function recordingLogger(): { logger: NyckelLogger; lines: RecordedLine[] } {
  const lines: RecordedLine[] = [];
  const record = (level: RecordedLine["level"]) => (fields: Record<string, unknown>, message: string) => {
    lines.push({ level, fields, message });
  };
  return { logger: { warn: record("warn"), info: record("info"), debug: record("debug") }, lines };
}

/** A fetch that counts responses by status, then passes them on unchanged. */
export function countingFetch(): { fetch: typeof fetch; statuses: number[]; urls: string[] } {
  const statuses: number[] = [];
  const urls: string[] = [];
  const wrapped: typeof fetch = async (input, init) => {
    urls.push(input instanceof URL ? input.href : typeof input === "string" ? input : input.url);
    const res = await fetch(input, init);
    statuses.push(res.status);
    return res;
  };
  return { fetch: wrapped, statuses, urls };
}

/** Fetches a bearer token from the emulator the way the guide's readers would. */
export async function emulatorToken(emulator: EmulatorHandle): Promise<string> {
  const res = await fetch(`${emulator.url}/connect/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_id: emulator.state.clientId,
      client_secret: emulator.state.clientSecret,
    }),
  });
  if (!res.ok) throw new Error(`token request failed: ${res.status}`);
  const body = (await res.json()) as { access_token: string };
  return body.access_token;
}

/** A tiny valid PNG (solid colour), so image contract tests can also run against real Nyckel. */
export function tinyPng(width: number, height: number, rgb: [number, number, number]): Uint8Array<ArrayBuffer> {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc32 = (buf: Buffer) => {
    let c = 0xffffffff;
    for (const byte of buf) c = (crcTable[(c ^ byte) & 0xff] as number) ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const typed = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(typed));
    return Buffer.concat([len, typed, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type RGB
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: width }, () => rgb).flat())]);
  const raw = Buffer.concat(Array.from({ length: height }, () => row));
  return new Uint8Array(
    Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      chunk("IHDR", ihdr),
      chunk("IDAT", deflateSync(raw)),
      chunk("IEND", Buffer.alloc(0)),
    ]),
  );
}
