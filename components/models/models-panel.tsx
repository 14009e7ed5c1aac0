"use client";

import dynamic from "next/dynamic";
import { useAction } from "next-safe-action/hooks";
import { useRef, useState } from "react";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { Field, inputClass } from "@/components/ui/field";
import { actionErrors } from "@/components/ui/action-errors";
import { Time } from "@/components/ui/time";
import { registerModelAction, restoreModelAction, retireModelAction, updateModelAction } from "@/lib/models/actions";
import { modelLabel } from "@/lib/models/label";
import { LimitedInput, LimitedTextarea } from "@/components/ui/limited-text";
import { TEXT_LIMITS } from "@/lib/text-limits";
import { ClampedText } from "@/components/ui/clamped-text";
import type { FunctionModelRow } from "@/lib/models/queries";
import { SeenIds, VerificationBadge } from "./model-ids";

/** The check form, shown after a click: its code (file reading, the sample inputs) loads then (issue 17, light pages). */
const CheckModelForm = dynamic(() => import("./check-model-form").then((m) => m.CheckModelForm), {
  loading: () => <p className="mt-2 text-sm text-zinc-500">Loading…</p>,
});

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
