/**
 * What an invoke's `data` means for each input modality (text, image as data
 * URI, URL or multipart part, tabular fields), and how Nyckel echoes it back.
 */
import type { EmulatorInput } from "./models";
import type { EmuFunction } from "./state";
import { HttpError } from "./http";

/** Decodes a `data:` URI; throws a 400 for anything malformed or empty. */
function decodeDataUri(uri: string): { mimeType: string; bytes: Uint8Array } {
  const match = /^data:([^;,]*)((?:;[^;,]*)*),(.*)$/s.exec(uri);
  if (!match) throw new HttpError(400, "Malformed data URI");
  const mimeType = match[1] || "application/octet-stream";
  const isBase64 = (match[2] ?? "").split(";").some((p) => p.trim().toLowerCase() === "base64");
  const payload = match[3] ?? "";
  let bytes: Buffer;
  if (isBase64) {
    const compact = payload.replace(/\s+/g, "");
    if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(compact)) throw new HttpError(400, "Malformed base64 in data URI");
    bytes = Buffer.from(compact, "base64");
  } else {
    try {
      bytes = Buffer.from(decodeURIComponent(payload), "utf8");
    } catch {
      throw new HttpError(400, "Malformed data URI");
    }
  }
  if (bytes.length === 0) throw new HttpError(400, "The data URI holds no data");
  return { mimeType, bytes: new Uint8Array(bytes) };
}

const IMAGE_HINT = "Image functions take a data URI (data:image/...;base64,...), an http(s) URL, or a multipart part 'data'";

/** Turns a request's `data` into a model input for this function's input modality. */
export function toInput(fn: EmuFunction, data: unknown): EmulatorInput {
  if (data === undefined || data === null) throw new HttpError(400, "The request has no 'data'");
  switch (fn.input) {
    case "Text":
      if (typeof data !== "string") throw new HttpError(400, "Text functions take a JSON string in 'data'");
      if (data.trim() === "") throw new HttpError(400, "The text input is empty");
      return { kind: "text", text: data };
    case "Image":
      if (data instanceof Uint8Array) {
        if (data.length === 0) throw new HttpError(400, "The image part is empty");
        return { kind: "image", bytes: data, mimeType: "application/octet-stream" };
      }
      if (typeof data !== "string") throw new HttpError(400, IMAGE_HINT);
      if (data.startsWith("data:")) {
        const { mimeType, bytes } = decodeDataUri(data);
        return { kind: "image", bytes, mimeType };
      }
      if (/^https?:\/\/\S+$/i.test(data)) return { kind: "imageUrl", url: data };
      throw new HttpError(400, IMAGE_HINT);
    case "Tabular": {
      if (typeof data !== "object" || Array.isArray(data) || data instanceof Uint8Array) {
        throw new HttpError(400, "Tabular functions take a JSON object in 'data' ({\"field\": value, ...})");
      }
      const fields: Record<string, string | number> = {};
      const entries = Object.entries(data as Record<string, unknown>);
      if (entries.length === 0) throw new HttpError(400, "The tabular input has no fields");
      for (const [key, value] of entries) {
        const field = fn.fields.find((f) => f.name === key || f.id === key || f.id === `field_${key}`);
        if (!field) throw new HttpError(400, `Unknown field '${key}'`);
        if (field.type === "Number" && (typeof value !== "number" || !Number.isFinite(value))) {
          throw new HttpError(400, `Field '${field.name}' is a Number field and needs a JSON number`);
        }
        if (field.type === "Text" && typeof value !== "string") {
          throw new HttpError(400, `Field '${field.name}' is a Text field and needs a JSON string`);
        }
        fields[field.name] = value as string | number;
      }
      return { kind: "tabular", fields };
    }
  }
}

export function storedData(fn: EmuFunction, input: EmulatorInput): unknown {
  switch (input.kind) {
    case "text":
      return input.text;
    case "imageUrl":
      return input.url;
    case "image":
      return `data:${input.mimeType};base64,${Buffer.from(input.bytes).toString("base64")}`;
    case "tabular":
      // Nyckel returns tabular sample data keyed by field id.
      return Object.fromEntries(
        Object.entries(input.fields).map(([name, value]) => [fn.fields.find((f) => f.name === name)?.id ?? name, value]),
      );
  }
}
