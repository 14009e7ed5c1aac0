"use client";

import { useAction } from "next-safe-action/hooks";
import { useRef, useState } from "react";
import { actionErrors } from "@/components/ui/action-errors";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { EmptyState } from "@/components/ui/empty-state";
import { FormCard } from "@/components/ui/form-card";
import { Field, inputClass } from "@/components/ui/field";
import { TableFrame, TBody, Td, Th } from "@/components/ui/table";
import { Time } from "@/components/ui/time";
import { Section } from "@/components/ui/section";
import { createApiTokenAction, revokeApiTokenAction } from "@/lib/tokens/actions";
import type { EnvironmentRow } from "@/lib/environments/queries";
import type { ApiTokenRow } from "@/lib/tokens/queries";
import type { TokenStatus } from "@/lib/tokens/schemas";
import { DEFAULT_TOKEN_SCOPES, TOKEN_SCOPE_LABELS, TOKEN_SCOPES, type TokenScope } from "@/lib/tokens/scopes";
import { CopyButton } from "./copy-button";

export type EnvironmentOption = Pick<EnvironmentRow, "id" | "slug" | "name">;

type NewToken = { name: string; token: string; environment: { slug: string; name: string }; expiresAt: string | null; scopes: TokenScope[] };

const EXPIRY_PRESETS = [
  { value: "", label: "Never" },
  { value: "7", label: "7 days" },
  { value: "30", label: "30 days" },
  { value: "90", label: "90 days" },
  { value: "365", label: "1 year" },
  { value: "custom", label: "Custom…" },
];

const STATUS_TONE: Record<TokenStatus, "green" | "amber" | "red"> = { active: "green", expired: "amber", revoked: "red" };

export function TokensClient({ tokens, environments, origin }: { tokens: ApiTokenRow[]; environments: EnvironmentOption[]; origin: string }) {
  const [created, setCreated] = useState<NewToken | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  return (
    <div className="space-y-10">
      <Section
        id="tokens"
        title="API tokens"
        description={
          <span className="block max-w-prose">
            A token belongs to one environment: applications use it to read that environment&apos;s pins and to invoke Nyckel through Modelpin&apos;s
            proxy with the pinned model; pipelines use it (with the evaluate and request scopes) to register models, run comparisons and ask for
            promotions — which people then approve. Modelpin stores only a hash of each token; revoking one takes effect on every server within a
            second.
          </span>
        }
      >
        {status ? <Alert tone="success" className="mb-3">{status}</Alert> : null}
        {tokens.length === 0 ? (
          <EmptyState title="No API tokens yet">Create one below for each application and environment (e.g. “checkout service, production”).</EmptyState>
        ) : (
          <TokenTable tokens={tokens} onRevoked={(name) => setStatus(`Revoked “${name}”. Applications using it now get 401.`)} />
        )}
      </Section>

      <Section id="new-token" title="Create a token" className="max-w-2xl">
        {created ? (
          <TokenReveal created={created} origin={origin} onDone={() => setCreated(null)} />
        ) : environments.length === 0 ? (
          <EmptyState title="No environments">Add an environment in Settings → Environments first: every token belongs to one.</EmptyState>
        ) : (
          <CreateTokenForm
            environments={environments}
            onCreated={(t) => {
              setStatus(null);
              setCreated(t);
            }}
          />
        )}
      </Section>
    </div>
  );
}

function CreateTokenForm({ environments, onCreated }: { environments: EnvironmentOption[]; onCreated: (token: NewToken) => void }) {
  const formRef = useRef<HTMLFormElement>(null);
  const [expiry, setExpiry] = useState("");
  const create = useAction(createApiTokenAction, {
    onSuccess: ({ data }) => {
      if (!data) return;
      formRef.current?.reset();
      setExpiry("");
      onCreated({ name: data.name, token: data.token, environment: data.environment, expiresAt: data.expiresAt, scopes: data.scopes });
    },
  });
  const { message, fieldErrors } = actionErrors(create.result);
  return (
    <FormCard
      ref={formRef}
      aria-label="Create an API token"
      onData={(f) => {
        const days = expiry === "custom" ? String(f.get("token-expiry-days") ?? "").trim() : expiry;
        create.execute({
          name: String(f.get("token-name") ?? ""),
          environmentId: String(f.get("token-environment") ?? ""),
          expiresInDays: days === "" ? null : Number(days),
          scopes: f.getAll("token-scopes").map(String) as TokenScope[],
        });
      }}
    >
      {message ? <Alert>{message}</Alert> : null}
      <div className="grid gap-4 sm:grid-cols-2">
        <Field label="Name" name="token-name" errors={fieldErrors.name} hint="What uses it, e.g. checkout service.">
          {(a) => <input {...a} type="text" autoComplete="off" maxLength={120} className={inputClass} />}
        </Field>
        <Field label="Environment" name="token-environment" errors={fieldErrors.environmentId}>
          {(a) => (
            <select {...a} className={inputClass} defaultValue={environments[0]?.id}>
              {environments.map((e) => (
                <option key={e.id} value={e.id}>
                  {e.name} ({e.slug})
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Expires" name="token-expiry" hint="After this, the token gets 401." errors={expiry === "custom" ? undefined : fieldErrors.expiresInDays}>
          {(a) => (
            <select {...a} className={inputClass} value={expiry} onChange={(e) => setExpiry(e.target.value)}>
              {EXPIRY_PRESETS.map((p) => (
                <option key={p.value} value={p.value}>
                  {p.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        {expiry === "custom" ? (
          <Field label="Expires in (days)" name="token-expiry-days" errors={fieldErrors.expiresInDays} hint="1 to 3650.">
            {(a) => <input {...a} type="number" min={1} max={3650} inputMode="numeric" className={inputClass} />}
          </Field>
        ) : null}
      </div>
      <fieldset aria-describedby="token-scopes-hint">
        <legend className="text-sm font-medium">Scopes</legend>
        <p id="token-scopes-hint" className="mb-2 text-xs text-zinc-600 dark:text-zinc-400">
          What the token may do in its environment. No token approves, rejects, pins or changes settings.
        </p>
        <div className="space-y-1">
          {TOKEN_SCOPES.map((scope) => (
            <label key={scope} className="flex items-center gap-2 text-sm">
              <input type="checkbox" name="token-scopes" value={scope} defaultChecked={DEFAULT_TOKEN_SCOPES.includes(scope)} />
              <code className="font-mono text-xs">{scope}</code> <span className="text-zinc-600 dark:text-zinc-400">{TOKEN_SCOPE_LABELS[scope]}</span>
            </label>
          ))}
        </div>
        {fieldErrors.scopes?.length ? (
          <p className="mt-1 text-sm text-red-600 dark:text-red-400" role="alert">
            {fieldErrors.scopes.join(" ")}
          </p>
        ) : null}
      </fieldset>
      <Button type="submit" pending={create.isPending}>
        Create token
      </Button>
    </FormCard>
  );
}

function TokenReveal({ created, origin, onDone }: { created: NewToken; origin: string; onDone: () => void }) {
  const pipeline = created.scopes.includes("evaluate") || created.scopes.includes("request");
  const example = pipeline
    ? `curl -sO ${origin}/cli.mjs\nexport MODELPIN_URL=${origin} MODELPIN_ENVIRONMENT=${created.environment.slug}\nexport MODELPIN_TOKEN=${created.token}\nnode cli.mjs help`
    : `curl -H "Authorization: Bearer ${created.token}" \\\n  ${origin}/api/v1/environments/${created.environment.slug}/pins`;
  return (
    <div className="space-y-4 rounded-lg bg-white p-6 ring-1 ring-zinc-200 dark:bg-zinc-900 dark:ring-zinc-800" data-testid="new-token">
      <div
        role="alert"
        className="rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-200"
      >
        <strong>Copy this token now.</strong> It is shown only this once: Modelpin keeps only a hash and cannot show it again. If you lose it,
        revoke it and create a new one.
      </div>
      <p className="text-sm">
        Token “{created.name}” for <strong>{created.environment.name}</strong> ({created.environment.slug}) with the scopes{" "}
        {created.scopes.join(", ")},{" "}
        {created.expiresAt ? (
          <>
            expires <Time value={created.expiresAt} />
          </>
        ) : (
          "does not expire"
        )}
        .
      </p>
      <div className="flex flex-wrap items-center gap-2">
        <label htmlFor="new-token-value" className="sr-only">
          The new API token
        </label>
        <input
          id="new-token-value"
          readOnly
          value={created.token}
          onFocus={(e) => e.currentTarget.select()}
          className={inputClass + " min-w-0 flex-1 font-mono"}
          data-testid="new-token-value"
        />
        <CopyButton value={created.token} label="Copy token" selectId="new-token-value" />
      </div>
      <div>
        <p className="mb-1 text-xs font-medium text-zinc-600 dark:text-zinc-400">{pipeline ? "Use it from a pipeline (README: Promote from a pipeline):" : "Try it:"}</p>
        <pre className="overflow-x-auto rounded-md bg-zinc-950 p-3 font-mono text-xs text-zinc-100">{example}</pre>
      </div>
      <Button type="button" onClick={onDone}>
        I have copied it
      </Button>
    </div>
  );
}

function TokenTable({ tokens, onRevoked }: { tokens: ApiTokenRow[]; onRevoked: (name: string) => void }) {
  const [confirming, setConfirming] = useState<ApiTokenRow | null>(null);
  const revoke = useAction(revokeApiTokenAction, {
    onSuccess: ({ data }) => {
      setConfirming(null);
      if (data) onRevoked(data.name);
    },
  });
  const { message } = actionErrors(revoke.result);
  return (
    <>
      {message && !confirming ? <Alert className="mb-3">{message}</Alert> : null}
      <TableFrame className="bg-white dark:bg-zinc-900">
        <table className="min-w-full text-left text-sm">
          <caption className="sr-only">API tokens</caption>
          <thead className="border-b border-zinc-200 text-xs uppercase tracking-wide text-zinc-500 dark:border-zinc-800">
            <tr>
              <Th className="font-medium">Name</Th>
              <Th className="font-medium">Environment</Th>
              <Th className="font-medium">Token</Th>
              <Th className="font-medium">Scopes</Th>
              <Th className="font-medium">Created</Th>
              <Th className="font-medium">Expires</Th>
              <Th className="font-medium">Last used</Th>
              <Th className="font-medium">Status</Th>
              <Th className="font-medium">
                <span className="sr-only">Actions</span>
              </Th>
            </tr>
          </thead>
          <TBody>
            {tokens.map((t) => (
              <tr key={t.id} data-testid={`token-${t.id}`}>
                <Td className="font-medium">{t.name}</Td>
                <Td>
                  {t.environment.name} <code className="font-mono text-xs text-zinc-500">{t.environment.slug}</code>
                </Td>
                <Td className="font-mono text-xs">{t.prefix}…</Td>
                <Td className="font-mono text-xs">{t.scopes.join(", ")}</Td>
                <Td className="text-xs">
                  <Time value={t.createdAt} />
                  <div className="text-zinc-500">by {t.createdBy}</div>
                </Td>
                <Td className="text-xs">{t.expiresAt ? <Time value={t.expiresAt} /> : <span className="text-zinc-500">never</span>}</Td>
                <Td className="text-xs">{t.lastUsedAt ? <Time value={t.lastUsedAt} /> : <span className="text-zinc-500">never</span>}</Td>
                <Td>
                  <Badge tone={STATUS_TONE[t.status]}>{t.status}</Badge>
                  {t.revokedAt ? (
                    <div className="mt-1 text-xs text-zinc-500">
                      <Time value={t.revokedAt} />
                    </div>
                  ) : null}
                </Td>
                <Td align="right">
                  {t.status !== "revoked" ? (
                    <Button variant="ghost" onClick={() => setConfirming(t)} aria-label={`Revoke ${t.name}`}>
                      Revoke
                    </Button>
                  ) : null}
                </Td>
              </tr>
            ))}
          </TBody>
        </table>
      </TableFrame>
      <ConfirmDialog
        open={confirming !== null}
        title={confirming ? `Revoke “${confirming.name}”?` : "Revoke token?"}
        confirmLabel="Revoke token"
        pending={revoke.isPending}
        onConfirm={() => confirming && revoke.execute({ id: confirming.id })}
        onCancel={() => {
          setConfirming(null);
          revoke.reset();
        }}
      >
        <p>
          Applications using this token ({confirming?.prefix}…, {confirming?.environment.slug}) get 401 within a second. This cannot be undone: they
          need a new token.
        </p>
        {message && confirming ? <p className="mt-2 text-red-600 dark:text-red-400">{message}</p> : null}
      </ConfirmDialog>
    </>
  );
}
