"use client";

import { useActionState } from "react";
import { signInWithPasswordAction, signInWithSsoAction, type SignInState } from "@/lib/session/actions";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Field, inputClass } from "@/components/ui/field";

export function SignInForm({ callbackUrl, initialError, sso }: { callbackUrl: string; initialError?: string; sso: { name: string } | null }) {
  const [state, formAction, pending] = useActionState<SignInState, FormData>(signInWithPasswordAction, { error: initialError });
  return (
    <div className="space-y-6">
      <form action={formAction} className="space-y-4" noValidate>
        <input type="hidden" name="callbackUrl" value={callbackUrl} />
        {state.error ? <Alert>{state.error}</Alert> : null}
        <Field label="Email" name="email">
          {(p) => <input {...p} type="email" autoComplete="username" required defaultValue={state.email} className={inputClass} />}
        </Field>
        <Field label="Password" name="password">
          {(p) => <input {...p} type="password" autoComplete="current-password" required className={inputClass} />}
        </Field>
        <Button type="submit" pending={pending} className="w-full">
          Sign in
        </Button>
      </form>
      {sso ? (
        <form action={signInWithSsoAction} className="border-t border-zinc-200 pt-6 dark:border-zinc-800">
          <input type="hidden" name="callbackUrl" value={callbackUrl} />
          <Button type="submit" variant="secondary" className="w-full">
            Sign in with {sso.name === "SSO" ? "SSO" : `SSO (${sso.name})`}
          </Button>
        </form>
      ) : null}
    </div>
  );
}
