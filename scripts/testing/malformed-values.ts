/**
 * Malformed values for the fuzz suites (issue 13 item 11), by the kind of
 * field they are sent to. Every value listed for a kind must be refused for
 * every field of that kind (a validation error, or an expected error such as
 * "not found"); none may change anything. Values that are valid for some
 * fields of a kind (unicode in a name, "" in optional notes, null for a
 * nullable id) are therefore only listed where they are invalid.
 * Test support only.
 */

/** A marker for "leave the field out". */
export const MISSING = Symbol("missing");
export type Malformed = { label: string; value: unknown };

export const HUGE = "x".repeat(12 * 1024);
export const UNKNOWN_UUID = "7d3b1f0e-9a52-4c8e-b1d6-0f2a6c9e4b17";
export const UNICODE = "ünïcødé ☃ 🚀 \u202e\u200b";
export const TRAVERSAL = "../../../etc/passwd";
export const NUL = "a\u0000b";

export type FieldKind =
  /** z.uuid(): an id of something that exists. */
  | "uuid"
  /** A Nyckel function id: free text (1–200), looked up in the database. */
  | "functionId"
  /** A slug or a Nyckel model id: letters, digits, - and _ only, bounded. */
  | "identifier"
  /** Required text (trimmed, at least 1 character, bounded). */
  | "text"
  /** Optional text (may be empty; bounded). */
  | "optionalText"
  /** z.number().int() with a minimum of 0 or more (strict: no strings). */
  | "int"
  /** z.coerce.number().int() with a minimum of 0 or more and a maximum. */
  | "coercedInt"
  /** z.coerce.number() between 0 and 100. */
  | "percent"
  | "boolean"
  | "enum"
  | "email"
  | "password"
  | "url"
  /** An array of enum values, at least one. */
  | "eventList"
  /** A model choice ({ kind: "latest" | "model" | "pinned", … }). */
  | "modelChoice"
  /** A one-sample body ({ kind: "text" | "tabular" | "image", … }). */
  | "sample"
  /** A JSON object literal sent as text (tabular samples). */
  | "jsonText";

export type FieldSpec = { kind: FieldKind; nullable?: boolean; optional?: boolean };

const v = (label: string, value: unknown): Malformed => ({ label, value });

/** Wrong types: refused by every kind except where noted. */
const WRONG_TYPES = [v("object", { a: 1 }), v("array", ["x", "y"]), v("nested", { a: { b: [{ c: HUGE }] } })];

/** Malformed values for a field of this kind. */
export function malformedFor(spec: FieldSpec): Malformed[] {
  const out: Malformed[] = [...WRONG_TYPES];
  const strictNull = !spec.nullable;
  const str = () => {
    if (strictNull) out.push(v("null", null));
    out.push(v("number", 123), v("boolean", true), v("NUL byte", NUL), v("10 kB+ string", HUGE));
  };
  switch (spec.kind) {
    case "uuid":
      str();
      out.push(v("not a uuid", "not-a-uuid"), v("empty", ""), v("unicode", UNICODE), v("../", TRAVERSAL), v("unknown uuid", UNKNOWN_UUID));
      out.push(v("uuid with junk", `${UNKNOWN_UUID}'; DROP TABLE users; --`), v("uppercase unknown uuid", UNKNOWN_UUID.toUpperCase()));
      break;
    case "functionId":
      str();
      out.push(v("empty", ""), v("unicode", UNICODE), v("../", TRAVERSAL), v("unknown", "function_doesnotexist"), v("SQL", "' OR 1=1 --"));
      break;
    case "identifier":
      str();
      out.push(v("empty", ""), v("space", "a b"), v("../", TRAVERSAL), v("unicode", UNICODE), v("markup", "<script>"), v("semicolon", "a;b"));
      break;
    case "text":
      str();
      out.push(v("empty", ""), v("blank", "   \t\n "));
      break;
    case "optionalText":
      str();
      break;
    case "int":
      if (strictNull) out.push(v("null", null));
      out.push(v("numeric string", "12"), v("NaN", Number.NaN), v("Infinity", Number.POSITIVE_INFINITY), v("negative", -1), v("fraction", 1.5), v("NaN-ish string", "NaN"), v("boolean", true));
      break;
    case "coercedInt":
      out.push(v("NaN-ish string", "NaN"), v("word", "abc"), v("Infinity string", "Infinity"), v("1e309", "1e309"), v("12abc", "12abc"), v("NaN", Number.NaN));
      out.push(v("negative", -1), v("negative string", "-5"), v("fraction", 1.5), v("out of range", 1e12), v("10 kB+ string", HUGE));
      break;
    case "percent":
      out.push(v("NaN-ish string", "NaN"), v("word", "abc"), v("Infinity string", "Infinity"), v("NaN", Number.NaN), v("negative", -1), v("over 100", 101), v("out of range", 1e12));
      break;
    case "boolean":
      if (strictNull) out.push(v("null", null));
      out.push(v("string true", "true"), v("yes", "yes"), v("one", 1), v("zero", 0));
      break;
    case "enum":
      str();
      out.push(v("unknown", "nope"), v("upper case", "ADMIN"), v("empty", ""), v("unicode", UNICODE));
      break;
    case "email":
      str();
      out.push(v("not an email", "not-an-email"), v("empty", ""), v("long email", `${HUGE}@example.com`), v("unicode", UNICODE), v("two @", "a@b@example.com"));
      break;
    case "password":
      if (strictNull) out.push(v("null", null));
      out.push(v("number", 123456789012345), v("short", "short"), v("10 kB+ string", HUGE));
      break;
    case "url":
      str();
      out.push(v("not a url", "not a url"), v("javascript:", "javascript:alert(1)"), v("ftp", "ftp://files.example.com/x"), v("no host", "https://"), v("credentials", "https://user:pw@hooks.example.com/x"));
      out.push(v("metadata address", "https://169.254.169.254/latest"), v("private address", "https://10.0.0.1/"), v("numeric private address", "https://167772161/"), v("mapped IPv6", "https://[::ffff:10.0.0.1]/"));
      out.push(v("unicode with space", `https://${UNICODE}/`), v("huge URL", `https://hooks.example.com/${HUGE}`));
      break;
    case "eventList":
      if (strictNull) out.push(v("null", null));
      out.push(v("empty list", []), v("unknown event", ["nope"]), v("string", "pin.changed"), v("huge event", [HUGE]), v("NUL event", [NUL]), v("numbers", [1, 2]));
      break;
    case "modelChoice":
      if (strictNull) out.push(v("null", null));
      out.push(v("string", "latest"), v("unknown kind", { kind: "nope" }), v("model without id", { kind: "model" }), v("model, bad id", { kind: "model", modelRefId: "x" }));
      out.push(v("model, unknown id", { kind: "model", modelRefId: UNKNOWN_UUID }), v("pinned, unknown environment", { kind: "pinned", environmentId: UNKNOWN_UUID }));
      out.push(v("pinned, NUL", { kind: "pinned", environmentId: NUL }), v("kind only upper", { kind: "LATEST" }));
      break;
    case "sample":
      if (strictNull) out.push(v("null", null));
      out.push(v("string", "hello"), v("unknown kind", { kind: "nope", text: "x" }), v("empty text", { kind: "text", text: "" }), v("blank text", { kind: "text", text: "  " }));
      out.push(v("huge text", { kind: "text", text: HUGE }), v("text is a number", { kind: "text", text: 5 }), v("text is null", { kind: "text", text: null }));
      out.push(v("tabular, not JSON", { kind: "tabular", json: "{not json" }), v("tabular, array", { kind: "tabular", json: "[1,2]" }), v("tabular, null", { kind: "tabular", json: "null" }));
      out.push(v("tabular, huge", { kind: "tabular", json: `{"a":"${HUGE}"}` }), v("image, bad base64", { kind: "image", mimeType: "image/png", dataBase64: "!!!" }));
      out.push(v("image, not an image type", { kind: "image", mimeType: "text/html", dataBase64: "AAAA" }));
      break;
    case "jsonText":
      str();
      out.push(v("not JSON", "{not json"), v("array", "[1,2]"), v("null", "null"), v("empty", ""));
      break;
  }
  if (!spec.optional) out.push(v("missing", MISSING));
  return out;
}

/** Whole inputs that are not an object at all, or an empty one: refused by every action that takes input. */
export function malformedInputs(): Malformed[] {
  const form = new FormData();
  form.set("id", UNKNOWN_UUID);
  form.set("name", "x");
  return [
    v("undefined", undefined),
    v("null", null),
    v("zero", 0),
    v("negative", -1),
    v("NaN", Number.NaN),
    v("empty string", ""),
    v("10 kB+ string", HUGE),
    v("JSON text", '{"id":"x"}'),
    v("empty array", []),
    v("array of objects", [{}, {}]),
    v("boolean", true),
    v("empty object", {}),
    v("prototype pollution", JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}')),
    v("FormData", form),
    v("Date", new Date(0)),
  ];
}

/** `base` with `field` set to `value` (or left out for MISSING). */
export function withField(base: Record<string, unknown>, field: string, value: unknown): Record<string, unknown> {
  const out = { ...base };
  if (value === MISSING) delete out[field];
  else out[field] = value;
  return out;
}
