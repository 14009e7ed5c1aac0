"use client";

import { useAction } from "next-safe-action/hooks";
import { useState } from "react";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { FormCard } from "@/components/ui/form-card";
import { Field, inputClass } from "@/components/ui/field";
import { actionErrors } from "@/components/ui/action-errors";
import { saveNyckelSettingsAction, testNyckelConnectionAction } from "@/lib/nyckel-settings/actions";

type View = {
  saved: { baseUrl: string; clientId: string; secretSet: boolean; updatedAt: string } | null;
  envOverride: { baseUrl: string; clientId: string } | null;
  emulatorUrl: string | null;
  defaultBaseUrl: string;
};

export function NyckelSettingsForm({ view }: { view: View }) {
  const [values, setValues] = useState({
    baseUrl: view.saved?.baseUrl ?? view.defaultBaseUrl,
    clientId: view.saved?.clientId ?? "",
    clientSecret: "",
  });
  const save = useAction(saveNyckelSettingsAction, { onSuccess: () => setValues((v) => ({ ...v, clientSecret: "" })) });
  const test = useAction(testNyckelConnectionAction);
  const saveErr = actionErrors(save.result);
  const testErr = actionErrors(test.result);
  const fieldErrors = { ...testErr.fieldErrors, ...saveErr.fieldErrors };
  const set = (k: keyof typeof values) => (e: React.ChangeEvent<HTMLInputElement>) => setValues((v) => ({ ...v, [k]: e.target.value }));
  return (
    <div className="max-w-xl space-y-6">
      <div>
        <h2 className="text-lg font-semibold">Nyckel connection</h2>
        <p className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">
          The client id and secret from your Nyckel account (Access Management, or any function&apos;s Integrate tab). The secret is stored
          encrypted and never shown again.
        </p>
      </div>
      {view.envOverride ? (
        <Alert tone="info">
          NYCKEL_CLIENT_ID and NYCKEL_CLIENT_SECRET are set in the server&apos;s environment, so Modelpin uses those ({view.envOverride.clientId} at{" "}
          {view.envOverride.baseUrl}); credentials saved here are used once they are removed.
        </Alert>
      ) : !view.saved && view.emulatorUrl ? (
        <Alert tone="info">Nothing is saved yet, so Modelpin talks to the local Nyckel emulator at {view.emulatorUrl}.</Alert>
      ) : null}
      <FormCard
        onData={() => {
          test.reset();
          save.execute(values);
        }}
      >
        {save.result.data ? <Alert tone="success">Saved. Modelpin now uses these credentials.</Alert> : null}
        {saveErr.message ? <Alert>{saveErr.message}</Alert> : null}
        <Field label="Base URL" name="baseUrl" errors={fieldErrors.baseUrl}>
          {(p) => <input {...p} value={values.baseUrl} onChange={set("baseUrl")} className={inputClass} />}
        </Field>
        <Field label="Client id" name="clientId" errors={fieldErrors.clientId}>
          {(p) => <input {...p} value={values.clientId} onChange={set("clientId")} autoComplete="off" className={inputClass} />}
        </Field>
        <Field
          label="Client secret"
          name="clientSecret"
          errors={fieldErrors.clientSecret}
          hint={view.saved?.secretSet ? "A secret is set. Leave empty to keep it (only with the saved base URL), or type a new one to replace it." : undefined}
        >
          {(p) => (
            <div className="flex items-center gap-2">
              <input {...p} type="password" value={values.clientSecret} onChange={set("clientSecret")} autoComplete="new-password" className={inputClass} />
              {view.saved?.secretSet ? <Badge tone="green">set</Badge> : null}
            </div>
          )}
        </Field>
        <div className="flex flex-wrap items-center gap-2">
          <Button type="submit" pending={save.isPending}>Save</Button>
          <Button
            type="button"
            variant="secondary"
            pending={test.isPending}
            onClick={() => {
              save.reset();
              test.execute(values);
            }}
          >
            Test connection
          </Button>
        </div>
        {test.result.data ? (
          <Alert tone="success">
            Connected: Nyckel accepted the credentials and lists {test.result.data.functionCount} function
            {test.result.data.functionCount === 1 ? "" : "s"} ({test.result.data.ms} ms).
          </Alert>
        ) : null}
        {testErr.message ? <Alert>{testErr.message}</Alert> : null}
      </FormCard>
    </div>
  );
}
