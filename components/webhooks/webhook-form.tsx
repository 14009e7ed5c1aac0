"use client";

import { useState } from "react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { FormCard } from "@/components/ui/form-card";
import { Field, inputClass } from "@/components/ui/field";
import {
  WEBHOOK_EVENT_LABELS,
  WEBHOOK_EVENT_TYPES,
  WEBHOOK_FORMAT_LABELS,
  WEBHOOK_FORMATS,
  type WebhookEventType,
  type WebhookFormat,
} from "@/lib/webhooks/event-types";

export type WebhookFormValues = {
  name: string;
  url: string;
  events: WebhookEventType[];
  format: WebhookFormat;
  active: boolean;
};

export const EMPTY_WEBHOOK: WebhookFormValues = { name: "", url: "", events: ["pin.changed"], format: "json", active: true };

export function urlHint(allowInsecure: boolean): string {
  return allowInsecure
    ? "https:// required. This server also allows http:// for localhost, 127.0.0.1 and ::1 (MODELPIN_ALLOW_INSECURE_WEBHOOKS=true)."
    : "https:// required. For Slack, paste the incoming-webhook URL and choose the Slack-compatible format.";
}

/**
 * The create/edit form of a webhook. Field errors come from the server's
 * validation (the same zod schema), per field, with a summary on top.
 */
export function WebhookForm({
  idPrefix,
  initial,
  allowInsecure,
  submitLabel,
  pending,
  message,
  success,
  fieldErrors,
  onSubmit,
  onCancel,
  autoFocus,
}: {
  idPrefix: string;
  /** Focus the name field on mount (the form was just opened). */
  autoFocus?: boolean;
  initial: WebhookFormValues;
  allowInsecure: boolean;
  submitLabel: string;
  pending: boolean;
  message?: string;
  success?: string | null;
  fieldErrors: Record<string, string[]>;
  onSubmit: (values: WebhookFormValues) => void;
  onCancel?: () => void;
}) {
  const [values, setValues] = useState<WebhookFormValues>(initial);
  const toggle = (e: WebhookEventType) =>
    setValues((v) => ({ ...v, events: v.events.includes(e) ? v.events.filter((x) => x !== e) : [...v.events, e] }));
  const eventsErrorId = `${idPrefix}-events-error`;
  const activeErrorId = `${idPrefix}-active-error`;
  return (
    <FormCard
      aria-label={submitLabel}
      onData={() => {
        onSubmit(values);
      }}
    >
      {message ? <Alert>{message}</Alert> : null}
      {success ? <Alert tone="success">{success}</Alert> : null}
      <div className="grid gap-4 sm:grid-cols-2">
        <Field label="Name" name={`${idPrefix}-name`} errors={fieldErrors.name}>
          {(p) => (
            <input
              {...p}
              value={values.name}
              onChange={(e) => setValues((v) => ({ ...v, name: e.target.value }))}
              autoComplete="off"
              autoFocus={autoFocus}
              className={inputClass}
            />
          )}
        </Field>
        <Field label="Format" name={`${idPrefix}-format`} errors={fieldErrors.format}>
          {(p) => (
            <select {...p} value={values.format} onChange={(e) => setValues((v) => ({ ...v, format: e.target.value as WebhookFormat }))} className={inputClass}>
              {WEBHOOK_FORMATS.map((f) => (
                <option key={f} value={f}>
                  {WEBHOOK_FORMAT_LABELS[f]}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <Field label="URL" name={`${idPrefix}-url`} errors={fieldErrors.url} hint={urlHint(allowInsecure)}>
        {(p) => (
          <input
            {...p}
            type="url"
            inputMode="url"
            placeholder="https://hooks.example.com/modelpin"
            value={values.url}
            onChange={(e) => setValues((v) => ({ ...v, url: e.target.value }))}
            autoComplete="off"
            spellCheck={false}
            className={inputClass + " font-mono"}
          />
        )}
      </Field>
      <fieldset aria-describedby={fieldErrors.events?.length ? eventsErrorId : undefined} aria-invalid={fieldErrors.events?.length ? true : undefined}>
        <legend className="text-sm font-medium text-zinc-700 dark:text-zinc-300">Events</legend>
        <div className="mt-2 grid gap-2 sm:grid-cols-2">
          {WEBHOOK_EVENT_TYPES.map((e) => (
            <label key={e} className="flex items-start gap-2 text-sm">
              <input
                type="checkbox"
                checked={values.events.includes(e)}
                onChange={() => toggle(e)}
                className="mt-0.5 size-4 rounded border-zinc-300 text-indigo-600 focus:ring-indigo-500 dark:border-zinc-700 dark:bg-zinc-900"
              />
              <span>
                {WEBHOOK_EVENT_LABELS[e]} <code className="font-mono text-xs text-zinc-500">{e}</code>
              </span>
            </label>
          ))}
        </div>
        {fieldErrors.events?.length ? (
          <p id={eventsErrorId} className="mt-1 text-sm text-red-600 dark:text-red-400">
            {fieldErrors.events.join(" ")}
          </p>
        ) : null}
      </fieldset>
      <label className="flex items-center gap-2 text-sm">
        <input
          type="checkbox"
          checked={values.active}
          onChange={(e) => setValues((v) => ({ ...v, active: e.target.checked }))}
          aria-invalid={fieldErrors.active?.length ? true : undefined}
          aria-describedby={fieldErrors.active?.length ? activeErrorId : undefined}
          className="size-4 rounded border-zinc-300 text-indigo-600 focus:ring-indigo-500 dark:border-zinc-700 dark:bg-zinc-900"
        />
        Active (deliver events to this URL)
      </label>
      {fieldErrors.active?.length ? <p id={activeErrorId} className="text-sm text-red-600 dark:text-red-400">{fieldErrors.active.join(" ")}</p> : null}
      <div className="flex flex-wrap gap-2">
        <Button type="submit" pending={pending}>
          {submitLabel}
        </Button>
        {onCancel ? (
          <Button type="button" variant="secondary" onClick={onCancel}>
            Cancel
          </Button>
        ) : null}
      </div>
    </FormCard>
  );
}
