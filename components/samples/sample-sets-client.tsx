"use client";

import { routeErrorMessage } from "@/lib/api/error-body";
import { useRouter } from "next/navigation";
import { useAction } from "next-safe-action/hooks";
import { useEffect, useMemo, useState } from "react";
import { useDropzone } from "react-dropzone";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { EmptyState } from "@/components/ui/empty-state";
import { Field, inputClass } from "@/components/ui/field";
import { actionErrors } from "@/components/ui/action-errors";
import { Time } from "@/components/ui/time";
import { deleteSampleSetAction, renameSampleSetAction } from "@/lib/samples/actions";
import type { SampleSetPreview } from "@/lib/samples/preview";
import type { SampleSetRow } from "@/lib/samples/queries";
import { LimitedInput } from "@/components/ui/limited-text";
import { TEXT_LIMITS } from "@/lib/text-limits";

type Limits = { image: string; samples: string; set: string };

export function SampleSetsClient(props: {
  functionId: string;
  inputType: string;
  canWrite: boolean;
  limits: Limits;
  sets: SampleSetRow[];
  /** The function's golden set (drift watch), marked in the list. */
  goldenSampleSetId: string | null;
}) {
  return (
    <div className="space-y-10">
      {props.canWrite ? <UploadForm functionId={props.functionId} inputType={props.inputType} limits={props.limits} /> : null}
      <SetList sets={props.sets} canWrite={props.canWrite} goldenSampleSetId={props.goldenSampleSetId} />
    </div>
  );
}

function UploadForm({ functionId, inputType, limits }: { functionId: string; inputType: string; limits: Limits }) {
  const router = useRouter();
  const [files, setFiles] = useState<File[]>([]);
  const [text, setText] = useState("");
  const [name, setName] = useState("");
  const [preview, setPreview] = useState<SampleSetPreview | null>(null);
  const [status, setStatus] = useState<{ tone: "error" | "success"; text: string } | null>(null);
  const [busy, setBusy] = useState<"preview" | "save" | null>(null);
  const { getRootProps, getInputProps, isDragActive } = useDropzone({
    onDrop: (accepted) => {
      setFiles((f) => [...f, ...accepted]);
      setPreview(null);
    },
    multiple: true,
  });
  const thumbnails = useMemo(
    () => files.filter((f) => f.type.startsWith("image/")).slice(0, 12).map((f) => ({ name: f.name, url: URL.createObjectURL(f) })),
    [files],
  );
  useEffect(() => () => thumbnails.forEach((t) => URL.revokeObjectURL(t.url)), [thumbnails]);

  async function send(mode: "preview" | "save") {
    setBusy(mode);
    setStatus(null);
    const body = new FormData();
    body.set("name", name);
    if (text.trim()) body.set("text", text);
    for (const f of files) body.append("files", f, f.name);
    try {
      const res = await fetch(`/api/functions/${encodeURIComponent(functionId)}/sample-sets${mode === "preview" ? "?preview=1" : ""}`, { method: "POST", body });
      const raw: unknown = await res.json().catch(() => null);
      const data = (raw ?? {}) as Partial<SampleSetPreview> & { preview?: SampleSetPreview; sampleCount?: number };
      if (!res.ok) {
        setStatus({ tone: "error", text: routeErrorMessage(raw, res.status) });
        if (data.preview) setPreview(data.preview);
        return;
      }
      if (mode === "preview") {
        setPreview(data as SampleSetPreview);
      } else {
        setStatus({ tone: "success", text: `Saved "${name.trim()}" with ${data.sampleCount} samples.` });
        setFiles([]);
        setText("");
        setName("");
        setPreview(null);
        router.refresh();
      }
    } catch {
      setStatus({ tone: "error", text: "The upload did not reach the server. Check your connection and try again." });
    } finally {
      setBusy(null);
    }
  }

  const hasInput = files.length > 0 || text.trim().length > 0;
  return (
    <section aria-labelledby="upload-heading" className="rounded-lg bg-white p-6 ring-1 ring-zinc-200 dark:bg-zinc-900 dark:ring-zinc-800">
      <h2 id="upload-heading" className="text-lg font-semibold">New sample set</h2>
      <p className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">
        Images (JPEG, PNG, WebP, GIF — checked by content), text (.txt, or paste one sample per line), CSV or JSONL with a data column
        (text, image URL or tabular fields) and an optional ground-truth label column. Limits: {limits.image} per image, {limits.samples}{" "}
        samples and {limits.set} per set. Duplicates are dropped and counted. This function takes {inputType} input.
      </p>
      <div className="mt-4 grid gap-4 md:grid-cols-2">
        {/* The file input sits beside the drop area, not in it: a control inside role="button" is nested-interactive (axe). */}
        <input {...getInputProps({ "aria-label": "Sample files" })} data-testid="sample-files" />
        <div
          {...getRootProps({
            // react-dropzone's default role (presentation) on a tab stop hides it from screen readers.
            role: "button",
            "aria-label": "Choose sample files, or drop them here",
            className: `flex min-h-36 cursor-pointer flex-col items-center justify-center rounded-lg border-2 border-dashed p-4 text-center text-sm ${
              isDragActive ? "border-indigo-500 bg-indigo-50 dark:bg-indigo-950" : "border-zinc-300 dark:border-zinc-700"
            }`,
          })}
        >
          <p className="font-medium">Drop files here, or click to choose</p>
          <p className="text-xs text-zinc-500">Images, .csv, .jsonl, .txt</p>
        </div>
        <Field label="Or paste samples (one per line)" name="text">
          {(p) => <textarea {...p} rows={5} value={text} onChange={(e) => { setText(e.target.value); setPreview(null); }} className={inputClass} />}
        </Field>
      </div>
      {files.length ? (
        <ul className="mt-3 flex flex-wrap gap-2 text-xs" aria-label="Chosen files">
          {files.map((f, i) => (
            <li key={`${f.name}-${i}`}>
              <Badge>
                {f.name} · {(f.size / 1024).toFixed(1)} KB
                <button type="button" className="ml-1" aria-label={`Remove ${f.name}`} onClick={() => { setFiles((all) => all.filter((_, j) => j !== i)); setPreview(null); }}>
                  ×
                </button>
              </Badge>
            </li>
          ))}
        </ul>
      ) : null}
      {thumbnails.length ? (
        <div className="mt-3 flex flex-wrap gap-2">
          {thumbnails.map((t) => (
            // eslint-disable-next-line @next/next/no-img-element -- local object URLs, not optimizable
            <img key={t.url} src={t.url} alt={t.name} className="size-16 rounded object-cover ring-1 ring-zinc-200" />
          ))}
        </div>
      ) : null}
      <div className="mt-4 flex flex-wrap items-end gap-3">
        <Field label="Name" name="sampleSetName" className="min-w-64">
          {(p) => <LimitedInput {...p} max={TEXT_LIMITS.sampleSetName} value={name} onChange={(e) => setName(e.target.value)} className={inputClass} placeholder="e.g. Support tickets, June" />}
        </Field>
        <Button type="button" variant="secondary" disabled={!hasInput} pending={busy === "preview"} onClick={() => send("preview")}>
          Preview
        </Button>
        <Button type="button" disabled={!hasInput || !preview || preview.counts.samples === 0 || !name.trim()} pending={busy === "save"} onClick={() => send("save")}>
          Save sample set
        </Button>
      </div>
      {status ? <Alert tone={status.tone} className="mt-4">{status.text}</Alert> : null}
      {preview ? <PreviewView preview={preview} /> : null}
    </section>
  );
}

const n = (value: number) => value.toLocaleString("en-US");

function PreviewView({ preview }: { preview: SampleSetPreview }) {
  const c = preview.counts;
  return (
    <div className="mt-6 space-y-4" data-testid="sample-preview">
      {preview.error ? <Alert>{preview.error}</Alert> : null}
      <p className="text-sm" data-testid="preview-counts">
        <strong>{n(c.samples)}</strong> samples ({c.kinds.join(", ") || "none"}), <strong>{n(c.labeled)}</strong> with ground truth,{" "}
        <strong>{n(c.duplicates)}</strong> duplicates dropped, <strong>{n(c.rejected)}</strong> rejected.
      </p>
      {preview.first.length ? (
        <>
        {c.samples > preview.first.length ? (
          <p className="text-xs text-zinc-500" data-testid="preview-shown">
            Showing the first {n(preview.first.length)} of {n(c.samples)} samples.
          </p>
        ) : null}
        <div className="overflow-x-auto rounded ring-1 ring-zinc-200 dark:ring-zinc-800">
          <table className="min-w-full text-sm">
            <caption className="sr-only">First samples</caption>
            <thead className="bg-zinc-50 text-left text-xs uppercase text-zinc-500 dark:bg-zinc-900">
              <tr><th className="px-3 py-1">Row</th><th className="px-3 py-1">Kind</th><th className="px-3 py-1">Sample</th><th className="px-3 py-1">Label</th></tr>
            </thead>
            <tbody>
              {preview.first.map((s) => (
                <tr key={`${s.source}-${s.row}`} className="border-t border-zinc-100 dark:border-zinc-800">
                  <td className="px-3 py-1 text-zinc-500">{s.source ? `${s.source}:` : ""}{s.row}</td>
                  <td className="px-3 py-1">{s.kind}</td>
                  <td className="max-w-xl truncate px-3 py-1 font-mono text-xs">{s.display}</td>
                  <td className="px-3 py-1">{s.label ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        </>
      ) : null}
      {preview.rejected.length ? (
        <div>
          <h3 className="text-sm font-semibold">
            Rejected rows
            {preview.rejectedNote ? (
              <span className="ml-2 font-normal text-zinc-500" data-testid="rejected-note">
                ({preview.rejectedNote})
              </span>
            ) : null}
          </h3>
          <ul className="mt-1 space-y-1 text-sm text-red-700 dark:text-red-300" data-testid="rejected-rows">
            {preview.rejected.map((r, i) => (
              <li key={i}>{r.source ? `${r.source}, row ${r.row}` : `Row ${r.row}`}: {r.reason}</li>
            ))}
          </ul>
        </div>
      ) : null}
    </div>
  );
}

function SetList({ sets, canWrite, goldenSampleSetId }: { sets: SampleSetRow[]; canWrite: boolean; goldenSampleSetId: string | null }) {
  const [renaming, setRenaming] = useState<{ id: string; name: string } | null>(null);
  const [deleting, setDeleting] = useState<SampleSetRow | null>(null);
  const [message, setMessage] = useState<{ tone: "error" | "success"; text: string } | null>(null);
  const rename = useAction(renameSampleSetAction, {
    onSuccess: () => { setRenaming(null); setMessage({ tone: "success", text: "Renamed." }); },
    // A refused name is said under its field; anything else above the list.
    onError: ({ error }) => (error.validationErrors ? setMessage(null) : setMessage({ tone: "error", text: actionErrors(error).message ?? "Could not rename." })),
  });
  const renameErrors = rename.hasErrored ? actionErrors(rename.result).fieldErrors.name : undefined;
  const remove = useAction(deleteSampleSetAction, {
    onSuccess: () => { setDeleting(null); setMessage({ tone: "success", text: "Sample set deleted." }); },
    onError: ({ error }) => { setDeleting(null); setMessage({ tone: "error", text: actionErrors(error).message ?? "Could not delete." }); },
  });
  if (sets.length === 0) {
    return <EmptyState title="No sample sets yet">{canWrite ? "Upload images, text, CSV or JSONL above to create the first one." : "Editors upload sample sets here."}</EmptyState>;
  }
  return (
    <section aria-labelledby="sets-heading">
      <h2 id="sets-heading" className="mb-3 text-lg font-semibold">Sample sets</h2>
      {message ? <Alert tone={message.tone} className="mb-3">{message.text}</Alert> : null}
      <ul className="divide-y divide-zinc-100 rounded-lg bg-white ring-1 ring-zinc-200 dark:divide-zinc-800 dark:bg-zinc-900 dark:ring-zinc-800">
        {sets.map((s) => (
          <li key={s.id} className="flex flex-wrap items-center gap-3 px-4 py-3" data-testid={`sample-set-${s.name}`}>
            {renaming?.id === s.id ? (
              <form
                className="flex flex-wrap items-start gap-2"
                onSubmit={(e) => { e.preventDefault(); rename.execute(renaming); }}
              >
                <label className="sr-only" htmlFor={`rename-${s.id}`}>New name</label>
                <div className="w-64 max-w-full space-y-1">
                  <LimitedInput
                    id={`rename-${s.id}`}
                    max={TEXT_LIMITS.sampleSetName}
                    autoFocus
                    value={renaming.name}
                    onChange={(e) => setRenaming({ id: s.id, name: e.target.value })}
                    aria-invalid={renameErrors ? true : undefined}
                    aria-describedby={renameErrors ? `rename-${s.id}-error` : undefined}
                    className={inputClass}
                  />
                  {renameErrors ? <p id={`rename-${s.id}-error`} className="text-sm text-red-600 dark:text-red-400">{renameErrors.join(" ")}</p> : null}
                </div>
                <Button type="submit" pending={rename.isPending}>Save</Button>
                <Button type="button" variant="ghost" onClick={() => setRenaming(null)}>Cancel</Button>
              </form>
            ) : (
              <div className="min-w-0 flex-1">
                <div className="flex flex-wrap items-center gap-2 font-medium wrap-anywhere">
                  {s.name}
                  {s.id === goldenSampleSetId ? (
                    <span title="Drift watch evaluates new models on this set">
                      <Badge tone="indigo">golden set</Badge>
                    </span>
                  ) : null}
                </div>
                <div className="text-xs text-zinc-500">
                  {s.sampleCount} samples ({s.kinds.join(", ")}) · {s.labeledCount} with ground truth · {s.duplicateCount} duplicates dropped ·{" "}
                  {s.rejectedCount} rejected · by {s.createdByLabel}, <Time value={s.createdAt} />
                </div>
              </div>
            )}
            {canWrite && renaming?.id !== s.id ? (
              <div className="flex gap-1">
                <Button variant="ghost" onClick={() => { rename.reset(); setRenaming({ id: s.id, name: s.name }); }}>Rename</Button>
                <Button variant="ghost" onClick={() => setDeleting(s)}>Delete</Button>
              </div>
            ) : null}
          </li>
        ))}
      </ul>
      <ConfirmDialog
        open={deleting !== null}
        title={`Delete "${deleting?.name ?? ""}"?`}
        confirmLabel="Delete"
        pending={remove.isPending}
        onCancel={() => setDeleting(null)}
        onConfirm={() => deleting && remove.execute({ id: deleting.id })}
      >
        It disappears from lists and pickers. Comparison runs that used it keep their samples and results.
      </ConfirmDialog>
    </section>
  );
}
