"use client";

import { useAction } from "next-safe-action/hooks";
import { useRef, useState } from "react";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { Field, inputClass } from "@/components/ui/field";
import { actionErrors } from "@/components/ui/action-errors";
import { Time } from "@/components/ui/time";
import { checkModelAction, registerModelAction, restoreModelAction, retireModelAction, updateModelAction } from "@/lib/models/actions";
import { modelLabel } from "@/lib/models/label";
import { LimitedInput, LimitedTextarea } from "@/components/ui/limited-text";
import { TEXT_LIMITS } from "@/lib/text-limits";
import { ClampedText } from "@/components/ui/clamped-text";
import type { FunctionModelRow } from "@/lib/models/queries";
import { SeenIds, VerificationBadge } from "./model-ids";

type Status = { tone: "success" | "error"; text: string } | null;

/** The models registered for one function: where each is pinned, and register / edit / retire / restore / check. */
export function ModelsPanel({
  functionId,
  inputType,
  models,
  seenIds,
  canWrite,
}: {
  functionId: string;
  inputType: string;
  models: FunctionModelRow[];
  seenIds: Array<{ modelId: string; firstSeenAt: Date }>;
  canWrite: boolean;
}) {
  const [status, setStatus] = useState<Status>(null);
  const [panel, setPanel] = useState<{ id: string; mode: "edit" | "check" } | null>(null);
  const [retiring, setRetiring] = useState<FunctionModelRow | null>(null);
  const retire = useAction(retireModelAction, {
    onSuccess: ({ data }) => {
      setRetiring(null);
      setStatus({ tone: "success", text: `${data?.nickname || data?.modelId} was retired: it can no longer be pinned.` });
    },
    onError: ({ error }) => {
      setRetiring(null);
      setStatus({ tone: "error", text: actionErrors(error).message ?? "Could not retire the model." });
    },
  });
  const restore = useAction(restoreModelAction, {
    onSuccess: ({ data }) => setStatus({ tone: "success", text: `${data?.nickname || data?.modelId} was restored: it can be pinned again.` }),
    onError: ({ error }) => setStatus({ tone: "error", text: actionErrors(error).message ?? "Could not restore the model." }),
  });
  return (
    <div className="space-y-4">
      {status ? <Alert tone={status.tone}>{status.text}</Alert> : null}
      {models.length === 0 ? (
        <p className="text-sm text-zinc-500">No models registered yet. Paste a model id from the Model Info panel of the function in the Nyckel console.</p>
      ) : (
        <ul className="divide-y divide-zinc-100 rounded-lg bg-white ring-1 ring-zinc-200 dark:divide-zinc-800 dark:bg-zinc-900 dark:ring-zinc-800">
          {models.map((m) => (
            <li key={m.id} className={`px-4 py-3 text-sm ${m.retiredAt ? "bg-zinc-50 dark:bg-zinc-950" : ""}`} data-testid={`model-${m.modelId}`}>
              <div className="flex flex-wrap items-start gap-3">
                <div className="min-w-0 flex-1">
                  <div className="flex flex-wrap items-center gap-2">
                    <span className="font-medium wrap-anywhere">{m.nickname || "(no nickname)"}</span>
                    <code className="font-mono text-xs text-zinc-600 wrap-anywhere dark:text-zinc-400">{m.modelId}</code>
                    {m.discovered ? <Badge>discovered by sync</Badge> : null}
                    <VerificationBadge verifiedAt={m.verifiedAt} note={m.verificationNote} />
                    {m.retiredAt ? <Badge tone="amber">retired</Badge> : null}
                  </div>
                  <div className="mt-1 flex flex-wrap items-center gap-1 text-xs text-zinc-500" data-testid="pinned-in">
                    {m.pinnedIn.length ? (
                      <>
                        pinned in{" "}
                        {m.pinnedIn.map((e) => (
                          <Badge key={e.id} tone="indigo">
                            {e.name}
                          </Badge>
                        ))}
                      </>
                    ) : (
                      "not pinned anywhere"
                    )}
                  </div>
                  {m.notes ? <ClampedText text={m.notes} lines={2} className="mt-1 text-zinc-600 dark:text-zinc-400" /> : null}
                  <div className="mt-1 text-xs text-zinc-500">
                    registered {m.registeredBy ? `by ${m.registeredBy} ` : ""}
                    <Time value={m.createdAt} />
                    {m.retiredAt ? (
                      <>
                        {" "}
                        · retired <Time value={m.retiredAt} />
                      </>
                    ) : null}
                  </div>
                </div>
                {canWrite ? (
                  <div className="flex gap-1">
                    <Button variant="ghost" onClick={() => setPanel(panel?.id === m.id && panel.mode === "edit" ? null : { id: m.id, mode: "edit" })}>
                      Edit
                    </Button>
                    <Button variant="ghost" onClick={() => setPanel(panel?.id === m.id && panel.mode === "check" ? null : { id: m.id, mode: "check" })}>
                      Check
                    </Button>
                    {m.retiredAt ? (
                      <Button variant="ghost" disabled={restore.isPending} onClick={() => restore.execute({ id: m.id })}>
                        Restore
                      </Button>
                    ) : (
                      <Button variant="ghost" onClick={() => setRetiring(m)}>
                        Retire
                      </Button>
                    )}
                  </div>
                ) : null}
              </div>
              {panel?.id === m.id && panel.mode === "edit" ? (
                <EditModelForm
                  model={m}
                  onDone={(text) => {
                    setPanel(null);
                    setStatus({ tone: "success", text });
                  }}
                  onCancel={() => setPanel(null)}
                />
              ) : null}
              {panel?.id === m.id && panel.mode === "check" ? <CheckModelForm model={m} inputType={inputType} /> : null}
            </li>
          ))}
        </ul>
      )}
      {canWrite ? <RegisterModelForm functionId={functionId} seenIds={seenIds} onDone={(text) => setStatus({ tone: "success", text })} /> : null}
      <ConfirmDialog
        open={retiring !== null}
        title={`Retire ${retiring?.nickname || retiring?.modelId || ""}?`}
        confirmLabel="Retire"
        pending={retire.isPending}
        onCancel={() => setRetiring(null)}
        onConfirm={() => retiring && retire.execute({ id: retiring.id })}
      >
        It leaves the model pickers and can no longer be pinned. Its history stays.
      </ConfirmDialog>
    </div>
  );
}

function RegisterModelForm({ functionId, seenIds, onDone }: { functionId: string; seenIds: Array<{ modelId: string; firstSeenAt: Date }>; onDone: (text: string) => void }) {
  const formRef = useRef<HTMLFormElement>(null);
  const { execute, result, isPending, reset } = useAction(registerModelAction, {
    onSuccess: ({ data }) => {
      formRef.current?.reset();
      onDone(`Registered ${modelLabel(data)}${data && !data.verified ? " (not verified with Nyckel)" : ""}.`);
    },
  });
  /** “Use this id”: the id goes into the form, and the nickname is next to fill. */
  const useSeenId = (modelId: string) => {
    const form = formRef.current;
    const idField = form?.elements.namedItem("modelId");
    if (idField instanceof HTMLInputElement) idField.value = modelId;
    const nickname = form?.elements.namedItem("nickname");
    if (nickname instanceof HTMLInputElement) nickname.focus();
  };
  const { message, fieldErrors } = actionErrors(result);
  return (
    <form
      ref={formRef}
      id="register-model"
      noValidate
      aria-label="Register a model"
      className="space-y-4 rounded-lg bg-white p-5 ring-1 ring-zinc-200 dark:bg-zinc-900 dark:ring-zinc-800"
      onSubmit={(e) => {
        e.preventDefault();
        reset();
        const f = new FormData(e.currentTarget);
        execute({ functionId, modelId: String(f.get("modelId") ?? ""), nickname: String(f.get("nickname") ?? ""), notes: String(f.get("notes") ?? "") });
      }}
    >
      <h3 className="text-base font-semibold">Register a model</h3>
      {message ? <Alert>{message}</Alert> : null}
      <SeenIds ids={seenIds} onUse={useSeenId} />
      <div className="grid gap-4 sm:grid-cols-2">
        <Field
          label="Model id"
          name="modelId"
          errors={fieldErrors.modelId}
          hint="From the list above or the Model Info panel of the function in the Nyckel console. Modelpin checks it with Nyckel before saving."
        >
          {(p) => <input {...p} type="text" autoComplete="off" spellCheck={false} placeholder="model_…" className={inputClass + " font-mono"} />}
        </Field>
        <Field label="Nickname" name="nickname" errors={fieldErrors.nickname}>
          {(p) => <LimitedInput {...p} max={TEXT_LIMITS.nickname} type="text" autoComplete="off" placeholder="March retrain" className={inputClass} />}
        </Field>
        <Field label="Notes" name="notes" errors={fieldErrors.notes} className="sm:col-span-2">
          {(p) => <LimitedTextarea {...p} max={TEXT_LIMITS.notes} rows={2} className={inputClass} />}
        </Field>
      </div>
      <Button type="submit" pending={isPending}>
        Register model
      </Button>
    </form>
  );
}

function EditModelForm({ model, onDone, onCancel }: { model: FunctionModelRow; onDone: (text: string) => void; onCancel: () => void }) {
  const { execute, result, isPending } = useAction(updateModelAction, { onSuccess: ({ data }) => onDone(`Saved ${data?.nickname}.`) });
  const { message, fieldErrors } = actionErrors(result);
  return (
    <form
      noValidate
      aria-label={`Edit ${model.modelId}`}
      className="mt-3 space-y-3 rounded-md bg-zinc-50 p-4 dark:bg-zinc-950"
      onSubmit={(e) => {
        e.preventDefault();
        const f = new FormData(e.currentTarget);
        execute({ id: model.id, nickname: String(f.get("edit-nickname") ?? ""), notes: String(f.get("edit-notes") ?? "") });
      }}
    >
      {message ? <Alert>{message}</Alert> : null}
      <Field label="Nickname" name="edit-nickname" errors={fieldErrors.nickname}>
        {(p) => <LimitedInput {...p} max={TEXT_LIMITS.nickname} type="text" defaultValue={model.nickname} className={inputClass} />}
      </Field>
      <Field label="Notes" name="edit-notes" errors={fieldErrors.notes}>
        {(p) => <LimitedTextarea {...p} max={TEXT_LIMITS.notes} rows={2} defaultValue={model.notes} className={inputClass} />}
      </Field>
      <div className="flex gap-2">
        <Button type="submit" pending={isPending}>
          Save
        </Button>
        <Button type="button" variant="ghost" onClick={onCancel}>
          Cancel
        </Button>
      </div>
    </form>
  );
}

function readAsBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onerror = () => reject(new Error("The file could not be read."));
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ""));
    reader.readAsDataURL(file);
  });
}

function CheckModelForm({ model, inputType }: { model: FunctionModelRow; inputType: string }) {
  const kind = inputType.toLowerCase() === "image" ? "image" : inputType.toLowerCase() === "tabular" ? "tabular" : "text";
  const [localError, setLocalError] = useState<string | null>(null);
  const { execute, result, isPending, reset } = useAction(checkModelAction);
  const { message, fieldErrors } = actionErrors(result);
  const data = result.data;
  return (
    <form
      noValidate
      aria-label={`Check ${model.modelId}`}
      className="mt-3 space-y-3 rounded-md bg-zinc-50 p-4 dark:bg-zinc-950"
      onSubmit={async (e) => {
        e.preventDefault();
        reset();
        setLocalError(null);
        const f = new FormData(e.currentTarget);
        if (kind === "image") {
          const file = f.get("check-image");
          if (!(file instanceof File) || file.size === 0) return setLocalError("Choose an image file.");
          if (file.size > 600 * 1024) return setLocalError("Images for a check are at most 600 KB.");
          execute({ id: model.id, sample: { kind: "image", mimeType: file.type || "image/png", dataBase64: await readAsBase64(file) } });
        } else if (kind === "tabular") {
          execute({ id: model.id, sample: { kind: "tabular", json: String(f.get("check-json") ?? "") } });
        } else {
          execute({ id: model.id, sample: { kind: "text", text: String(f.get("check-text") ?? "") } });
        }
      }}
    >
      <p className="text-xs text-zinc-500">Invokes Nyckel with this model id on your sample. Nothing is captured as training data (capture=false).</p>
      {kind === "image" ? (
        <Field label="Image sample" name="check-image" errors={fieldErrors.sample}>
          {(p) => <input {...p} type="file" accept="image/*" className="block text-sm" />}
        </Field>
      ) : kind === "tabular" ? (
        <Field label="Fields (JSON)" name="check-json" errors={fieldErrors.sample} hint='One object, like {"plan": "pro", "seats": 3}.'>
          {(p) => <textarea {...p} rows={3} className={inputClass + " font-mono"} />}
        </Field>
      ) : (
        <Field label="Text sample" name="check-text" errors={fieldErrors.sample}>
          {(p) => <textarea {...p} rows={2} className={inputClass} />}
        </Field>
      )}
      <Button type="submit" variant="secondary" pending={isPending}>
        Run check
      </Button>
      {localError ? <Alert>{localError}</Alert> : null}
      {message ? <Alert>{message}</Alert> : null}
      {data ? (
        data.ok ? (
          <Alert tone="success">
            <span data-testid="check-output">
              {data.modelId} says <strong>{data.output.labelName ?? "(no label)"}</strong> ({(data.output.confidence * 100).toFixed(1)}%)
            </span>
            {data.output.labelConfidences.length > 1 ? (
              <span className="block text-xs">
                {data.output.labelConfidences.map((c) => `${c.labelName ?? "?"} ${(c.confidence * 100).toFixed(1)}%`).join(" · ")}
              </span>
            ) : null}
            <span className="block text-xs">{data.latencyMs} ms</span>
          </Alert>
        ) : (
          <Alert>
            <span data-testid="check-output">{data.message}</span>
          </Alert>
        )
      ) : null}
    </form>
  );
}
