"use client";

import { routeErrorMessage } from "@/lib/api/error-body";
import { useAction } from "next-safe-action/hooks";
import { useEffect, useMemo, useState } from "react";
import { useDropzone } from "react-dropzone";
import { defaultSides, ModelSelect, SameModelHint, type Option } from "@/components/compare/start-run-form";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { actionErrors } from "@/components/ui/action-errors";
import { Field, inputClass } from "@/components/ui/field";
import { quickCompareAction } from "@/lib/compare/actions";
import "@/components/shell/zod-jitless";
import { parseChoiceToken } from "@/lib/compare/choice";
import { quickCompareSchema, type QuickCompareResult, type QuickSide } from "@/lib/compare/schemas";

/** 10 MB, as for sample sets (lib/samples/parse.ts MAX_IMAGE_BYTES); the server checks again, by content. */
const MAX_IMAGE_BYTES = 10 * 1024 * 1024;
const mb = (bytes: number) => `${(bytes / (1024 * 1024)).toFixed(1)} MB`;

/**
 * Quick compare: one image or one text (tabular JSON for tabular functions),
 * two models, both answers side by side. Text goes through a server action;
 * an image streams through POST /api/comparisons/quick, because a server
 * action's body is capped at 1 MB and an image may be 10 MB.
 */
export function QuickCompare({ functionId, inputType, models, environments }: { functionId: string; inputType: string; models: Option[]; environments: Option[] }) {
  const kind = inputType.toLowerCase() === "image" ? "image" : inputType.toLowerCase() === "tabular" ? "tabular" : "text";
  const [a, setA] = useState(() => defaultSides(models).a);
  const [b, setB] = useState(() => defaultSides(models).b);
  const [text, setText] = useState("");
  const [file, setFile] = useState<File | null>(null);
  const [result, setResult] = useState<QuickCompareResult | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [sampleErrors, setSampleErrors] = useState<string[]>([]);
  const [uploading, setUploading] = useState(false);

  const action = useAction(quickCompareAction, {
    onSuccess: ({ data }) => setResult(data ?? null),
    onError: ({ error }) => setMessage(actionErrors(error).message ?? "The comparison failed."),
  });
  const pending = uploading || action.isPending;

  const { getRootProps, getInputProps, isDragActive } = useDropzone({
    multiple: false,
    onDrop: (accepted) => {
      setFile(accepted[0] ?? null);
      setResult(null);
      setMessage(null);
    },
  });
  const thumbnail = useMemo(() => (file ? URL.createObjectURL(file) : null), [file]);
  useEffect(() => () => (thumbnail ? URL.revokeObjectURL(thumbnail) : undefined), [thumbnail]);

  async function compareImage(image: File) {
    if (image.size > MAX_IMAGE_BYTES) {
      setMessage(`"${image.name}" is ${mb(image.size)}; an image can be at most 10 MB.`);
      return;
    }
    setUploading(true);
    try {
      const q = new URLSearchParams({ functionId, a, b, name: image.name });
      const res = await fetch(`/api/comparisons/quick?${q}`, {
        method: "POST",
        body: image,
        headers: { "content-type": image.type.startsWith("image/") ? image.type : "application/octet-stream" },
      });
      const data: unknown = await res.json().catch(() => null);
      if (!res.ok) setMessage(routeErrorMessage(data, res.status));
      else setResult(data as QuickCompareResult);
    } catch {
      setMessage("The image did not reach the server. Check your connection and try again.");
    } finally {
      setUploading(false);
    }
  }

  function submit(e: React.FormEvent) {
    e.preventDefault();
    setMessage(null);
    setSampleErrors([]);
    setResult(null);
    if (kind === "image") {
      if (!file) setMessage("Drop an image or click to choose one.");
      else void compareImage(file);
      return;
    }
    const sample = kind === "tabular" ? { kind: "tabular" as const, json: text } : { kind: "text" as const, text };
    const input = { functionId, modelA: parseChoiceToken(a), modelB: parseChoiceToken(b), sample };
    // The server's schema, checked here first: a field message without a round trip (the server checks again).
    const checked = quickCompareSchema.safeParse(input);
    if (!checked.success) {
      setSampleErrors(checked.error.issues.filter((i) => i.path[0] === "sample").map((i) => i.message));
      setMessage(checked.error.issues.find((i) => i.path[0] !== "sample")?.message ?? null);
      return;
    }
    action.execute(input);
  }

  const fieldErrors = actionErrors(action.result).fieldErrors;
  const errorsForSample = sampleErrors.length ? sampleErrors : fieldErrors.sample;
  return (
    <div className="rounded-lg bg-white p-5 ring-1 ring-zinc-200 dark:bg-zinc-900 dark:ring-zinc-800" data-testid="quick-compare">
      <form noValidate aria-label="Quick compare" onSubmit={submit} className="grid gap-4 lg:grid-cols-[minmax(0,1fr)_minmax(0,1fr)]">
        <div>
          {kind === "image" ? (
            <div className="space-y-1">
              <span className="block text-sm font-medium text-zinc-700 dark:text-zinc-300">Image</span>
              <div
                {...getRootProps({
                  className: `flex min-h-32 cursor-pointer items-center justify-center gap-3 rounded-lg border-2 border-dashed p-4 text-center text-sm ${
                    isDragActive ? "border-indigo-500 bg-indigo-50 dark:bg-indigo-950" : "border-zinc-300 dark:border-zinc-700"
                  }`,
                })}
              >
                <input {...getInputProps({ "aria-label": "Image to compare" })} data-testid="quick-file" />
                {file && thumbnail ? (
                  <>
                    {/* eslint-disable-next-line @next/next/no-img-element -- a local object URL */}
                    <img src={thumbnail} alt="" className="size-20 rounded object-cover ring-1 ring-zinc-200 dark:ring-zinc-700" />
                    <span className="text-left">
                      <span className="block font-medium">{file.name}</span>
                      <span className="text-xs text-zinc-600 dark:text-zinc-400">{(file.size / 1024).toFixed(1)} KB · drop or click to replace</span>
                    </span>
                  </>
                ) : (
                  <span>
                    <span className="block font-medium">Drop one image here, or click to choose</span>
                    <span className="text-xs text-zinc-600 dark:text-zinc-400">JPEG, PNG, WebP or GIF (checked by content), up to 10 MB</span>
                  </span>
                )}
              </div>
            </div>
          ) : (
            <Field
              label={kind === "tabular" ? "Fields (JSON object)" : "Text"}
              name="quick-sample"
              errors={errorsForSample}
              hint={kind === "tabular" ? 'Like {"plan": "pro", "seats": 3}: text or number values, by field name.' : "One sample, up to 10,000 characters."}
            >
              {(p) => (
                <textarea
                  {...p}
                  rows={4}
                  value={text}
                  onChange={(e) => setText(e.target.value)}
                  className={`${inputClass} ${kind === "tabular" ? "font-mono" : ""}`}
                  placeholder={kind === "tabular" ? '{"plan": "pro", "seats": 3}' : "My invoice was charged twice"}
                />
              )}
            </Field>
          )}
        </div>
        <div className="grid content-start gap-4 sm:grid-cols-2">
          <ModelSelect name="quick-modelA" label="Model A" value={a} onChange={setA} models={models} environments={environments} />
          <ModelSelect name="quick-modelB" label="Model B" value={b} onChange={setB} models={models} environments={environments} />
          <div className="sm:col-span-2">
            <Button type="submit" pending={pending}>
              {pending ? "Asking both models…" : "Compare"}
            </Button>
            <span className="ml-3 text-xs text-zinc-600 dark:text-zinc-400">Both models answer at once, with capture=false: Nyckel keeps nothing.</span>
          </div>
        </div>
      </form>
      <SameModelHint models={models} functionId={functionId} />
      {message ? (
        <Alert className="mt-4">
          <span data-testid="quick-error">{message}</span>
        </Alert>
      ) : null}
      {result ? <QuickResult result={result} /> : null}
    </div>
  );
}

function QuickResult({ result }: { result: QuickCompareResult }) {
  const { a, b, agree } = result;
  return (
    <div className="mt-5" aria-live="polite">
      <p className="mb-3 flex flex-wrap items-center gap-2 text-sm" data-testid="quick-verdict">
        {agree === true ? (
          <>
            <Badge tone="green">agree</Badge>{" "}
            <span>
              Both models say <strong>{a.ok ? (a.label ?? "(no label)") : ""}</strong>.
            </span>
          </>
        ) : agree === false ? (
          <>
            <Badge tone="amber">disagree</Badge>{" "}
            <span>
              A says <strong>{a.ok ? (a.label ?? "(no label)") : ""}</strong>, B says <strong>{b.ok ? (b.label ?? "(no label)") : ""}</strong>.
            </span>
          </>
        ) : (
          <>
            <Badge tone="red">no verdict</Badge> <span>{a.ok || b.ok ? "Only one model answered." : "Neither model answered."}</span>
          </>
        )}
      </p>
      <div className="grid gap-4 md:grid-cols-2">
        <SideCard name="A" side={a} />
        <SideCard name="B" side={b} />
      </div>
    </div>
  );
}

function SideCard({ name, side }: { name: "A" | "B"; side: QuickSide }) {
  return (
    <section aria-label={`Model ${name}`} className="rounded-lg p-4 ring-1 ring-zinc-200 dark:ring-zinc-800" data-testid={`quick-result-${name.toLowerCase()}`}>
      <h3 className="text-xs font-medium uppercase tracking-wide text-zinc-600 dark:text-zinc-400">
        Model {name} · <span className="normal-case">{side.model}</span>
      </h3>
      {side.ok ? (
        <>
          <p className="mt-2 flex flex-wrap items-baseline gap-x-3">
            <span className="text-xl font-semibold" data-testid="quick-label">
              {side.label ?? "(no label)"}
            </span>
            <span className="text-sm tabular-nums">{(side.confidence * 100).toFixed(1)}% confident</span>
            <span className="text-sm tabular-nums text-zinc-600 dark:text-zinc-400" data-testid="quick-latency">
              {side.latencyMs} ms
            </span>
          </p>
          {side.labelConfidences.length ? (
            <ul className="mt-3 space-y-1.5" aria-label={`Top labels of model ${name}`}>
              {side.labelConfidences.map((c, i) => (
                <li key={`${c.label}-${i}`} className="grid grid-cols-[8rem_minmax(0,1fr)_3.5rem] items-center gap-2 text-sm" data-testid="quick-bar">
                  <span className={`truncate ${c.label === side.label ? "font-medium" : ""}`} title={c.label ?? "(no label)"}>
                    {c.label ?? "(no label)"}
                  </span>
                  <span className="h-2.5 overflow-hidden rounded-full bg-zinc-200 dark:bg-zinc-800" aria-hidden>
                    <span
                      className={`block h-full rounded-full ${c.label === side.label ? "bg-indigo-600 dark:bg-indigo-400" : "bg-zinc-400 dark:bg-zinc-500"}`}
                      style={{ width: `${Math.max(0, Math.min(100, c.confidence * 100)).toFixed(1)}%` }}
                    />
                  </span>
                  <span className="text-right tabular-nums text-zinc-700 dark:text-zinc-300">{(c.confidence * 100).toFixed(1)}%</span>
                </li>
              ))}
            </ul>
          ) : (
            <p className="mt-3 text-xs text-zinc-600 dark:text-zinc-400">Nyckel sent no label confidences.</p>
          )}
        </>
      ) : (
        <Alert className="mt-2">
          <span data-testid="quick-side-error">{side.message}</span>
        </Alert>
      )}
    </section>
  );
}
