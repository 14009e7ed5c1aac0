/**
 * The emulator's HTTP plumbing (node:http): JSON answers with Nyckel's
 * `{ "message": … }` errors, bounded body reading, multipart and query parsing, route patterns.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { z } from "zod";
import type { EmulatorState } from "./state";

const MAX_BODY_BYTES = 20 * 1024 * 1024;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
  state?: EmulatorState,
): void {
  state?.countStatus(status);
  if (res.headersSent || res.destroyed || res.writableEnded) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    let ended = false;
    req.on("data", (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        failed = true;
        reject(new HttpError(413, `Request body larger than ${MAX_BODY_BYTES} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      ended = true;
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on("error", (error) => {
      if (!failed) reject(error);
    });
    // A client that goes away before sending the whole body: never "end".
    req.on("close", () => {
      if (!ended && !failed) {
        failed = true;
        reject(new HttpError(400, "The client closed the connection before sending the whole body"));
      }
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function mediaType(req: IncomingMessage): string {
  return (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
}

export async function parseMultipart(req: IncomingMessage, body: Buffer): Promise<FormData> {
  try {
    const request = new Request("http://emulator.invalid/", {
      method: "POST",
      headers: { "content-type": req.headers["content-type"] ?? "" },
      body: new Uint8Array(body),
    });
    return await request.formData();
  } catch {
    throw new HttpError(400, "Malformed multipart/form-data body");
  }
}

export function parseBoolean(name: string, value: string | null): boolean | undefined {
  if (value === null || value === "") return undefined;
  const v = value.toLowerCase();
  if (v === "true" || v === "1") return true;
  if (v === "false" || v === "0") return false;
  throw new HttpError(400, `Query parameter '${name}' must be true or false`);
}

export function parseNonNegativeInt(name: string, value: string | null): number | undefined {
  if (value === null || value === "") return undefined;
  if (!/^\d+$/.test(value)) throw new HttpError(400, `Query parameter '${name}' must be a non-negative integer`);
  return Number(value);
}

export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const raw = (await readBody(req)).toString("utf8");
  if (raw.trim() === "") return {};
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw new HttpError(400, "The request body is not valid JSON");
  }
}

export function zodMessage(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join(".") || "body"}: ${issue.message}`).join("; ");
}

/** The params of `path` under a route `pattern` like /v1/functions/:functionId/invoke, or null. */
export function matchPattern(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split("/").filter(Boolean);
  const s = path.split("/").filter(Boolean);
  if (p.length !== s.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    const part = p[i] as string;
    const seg = s[i] as string;
    if (part.startsWith(":")) {
      try {
        params[part.slice(1)] = decodeURIComponent(seg);
      } catch {
        return null;
      }
    } else if (part !== seg) return null;
  }
  return params;
}
