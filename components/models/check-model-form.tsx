"use client";

import { useAction } from "next-safe-action/hooks";
import { useState } from "react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Field, inputClass } from "@/components/ui/field";
import { actionErrors } from "@/components/ui/action-errors";
import { checkModelAction } from "@/lib/models/actions";
import type { FunctionModelRow } from "@/lib/models/queries";

function readAsBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onerror = () => reject(new Error("The file could not be read."));
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ""));
    reader.readAsDataURL(file);
  });
}

export function CheckModelForm({ model, inputType }: { model: FunctionModelRow; inputType: string }) {
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
