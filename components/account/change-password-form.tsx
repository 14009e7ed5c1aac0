"use client";

import { useAction } from "next-safe-action/hooks";
import { useRouter } from "next/navigation";
import { useRef, useState } from "react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { FormCard } from "@/components/ui/form-card";
import { Field, inputClass } from "@/components/ui/field";
import { actionErrors } from "@/components/ui/action-errors";
import { NEW_PASSWORD_MIN_LENGTH } from "@/lib/auth/password-rules";
import { changeOwnPasswordAction } from "@/lib/session/account-actions";

/** Current + new + confirm. After a one-time password, success leads on to the dashboard. */
export function ChangePasswordForm({ oneTime }: { oneTime: boolean }) {
  const router = useRouter();
  const formRef = useRef<HTMLFormElement>(null);
  const [done, setDone] = useState(false);
  const { execute, result, isPending, reset } = useAction(changeOwnPasswordAction, {
    onSuccess: () => {
      formRef.current?.reset();
      setDone(true);
      if (oneTime) router.replace("/");
    },
  });
  const { message, fieldErrors } = actionErrors(result);
  return (
    <FormCard
      ref={formRef}
      onData={(f) => {
        setDone(false);
        reset();
        execute({
          currentPassword: String(f.get("currentPassword") ?? ""),
          newPassword: String(f.get("newPassword") ?? ""),
          confirmPassword: String(f.get("confirmPassword") ?? ""),
        });
      }}
    >
      {message ? <Alert>{message}</Alert> : null}
      {done ? <Alert tone="success">Password changed. Your other sessions were signed out.</Alert> : null}
      <Field label={oneTime ? "One-time password" : "Current password"} name="currentPassword" errors={fieldErrors.currentPassword}>
        {(p) => <input {...p} type="password" autoComplete="current-password" className={inputClass} />}
      </Field>
      <Field label="New password" name="newPassword" errors={fieldErrors.newPassword} hint={`At least ${NEW_PASSWORD_MIN_LENGTH} characters.`}>
        {(p) => <input {...p} type="password" autoComplete="new-password" className={inputClass} />}
      </Field>
      <Field label="Confirm new password" name="confirmPassword" errors={fieldErrors.confirmPassword}>
        {(p) => <input {...p} type="password" autoComplete="new-password" className={inputClass} />}
      </Field>
      <Button type="submit" pending={isPending}>
        Change password
      </Button>
    </FormCard>
  );
}
