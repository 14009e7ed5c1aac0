"use client";

import { useAction } from "next-safe-action/hooks";
import { useRef, useState } from "react";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { FormCard } from "@/components/ui/form-card";
import { Field, inputClass } from "@/components/ui/field";
import { actionErrors } from "@/components/ui/action-errors";
import { ListTable, Td } from "@/components/ui/table";
import { Time } from "@/components/ui/time";
import { Section } from "@/components/ui/section";
import { PASSWORD_MIN_LENGTH } from "@/lib/auth/password-rules";
import { ROLE_LABELS, ROLES, type RoleName } from "@/lib/auth/permissions";
import type { MemberRow } from "@/lib/members/queries";
import { changeMemberRoleAction, createMemberAction, setMemberActiveAction, setOneTimePasswordAction } from "@/lib/members/actions";

export function MembersClient({ members, meId }: { members: MemberRow[]; meId: string }) {
  return (
    <div className="space-y-10">
      <Section id="members" title="Members">
        <MembersTable members={members} meId={meId} />
      </Section>
      <Section id="add" title="Add a member" className="max-w-xl">
        <AddMemberForm />
      </Section>
    </div>
  );
}

function MembersTable({ members, meId }: { members: MemberRow[]; meId: string }) {
  const [status, setStatus] = useState<{ tone: "error" | "success"; text: string } | null>(null);
  const [confirm, setConfirm] = useState<MemberRow | null>(null);
  const [reset, setReset] = useState<MemberRow | null>(null);
  const [issued, setIssued] = useState<{ email: string; password: string } | null>(null);
  const otpAction = useAction(setOneTimePasswordAction, {
    onSuccess: ({ data }) => {
      setReset(null);
      setStatus(null);
      if (data) setIssued({ email: data.email, password: data.password });
    },
    onError: ({ error }) => {
      setReset(null);
      setStatus({ tone: "error", text: actionErrors(error).message ?? "Could not set a one-time password." });
    },
  });
  const roleAction = useAction(changeMemberRoleAction, {
    onSuccess: ({ data }) => setStatus({ tone: "success", text: `Role changed to ${data ? ROLE_LABELS[data.role] : "?"}.` }),
    onError: ({ error }) => setStatus({ tone: "error", text: actionErrors(error).message ?? "Could not change the role." }),
  });
  const activeAction = useAction(setMemberActiveAction, {
    onSuccess: ({ data }) => {
      setConfirm(null);
      setStatus({ tone: "success", text: data?.active ? "Member reactivated." : "Member deactivated: they can no longer sign in." });
    },
    onError: ({ error }) => {
      setConfirm(null);
      setStatus({ tone: "error", text: actionErrors(error).message ?? "Could not change the member." });
    },
  });
  return (
    <>
      {status ? <Alert tone={status.tone} className="mb-3">{status.text}</Alert> : null}
      {issued ? <IssuedPassword {...issued} onDone={() => setIssued(null)} /> : null}
      <ListTable columns={["Name", "Email", "Role", "Status", "Last sign-in", { label: "Actions", srOnly: true }]}>
        {members.map((m) => (
          <tr key={m.id} data-testid={`member-${m.email}`} className={m.active ? undefined : "bg-zinc-50 dark:bg-zinc-950"}>
            <Td className="font-medium">
              {m.name} {m.id === meId ? <Badge tone="indigo">you</Badge> : null} {m.sso ? <Badge>SSO</Badge> : null}
            </Td>
            <Td>{m.email}</Td>
            <Td>
              {m.roleClaim ? (
                <RoleFromSso role={m.role} claim={m.roleClaim} />
              ) : (
                <>
                  <label className="sr-only" htmlFor={`role-${m.id}`}>Role of {m.name}</label>
                  <select
                    id={`role-${m.id}`}
                    value={m.role}
                    disabled={roleAction.isPending}
                    onChange={(e) => roleAction.execute({ userId: m.id, role: e.target.value as RoleName })}
                    className={inputClass + " w-32 py-1"}
                  >
                    {ROLES.map((r) => (
                      <option key={r} value={r}>{ROLE_LABELS[r]}</option>
                    ))}
                  </select>
                </>
              )}
            </Td>
            <Td>{m.active ? <Badge tone="green">Active</Badge> : <Badge tone="red">Deactivated</Badge>}</Td>
            <Td className="text-zinc-500">{m.lastSignInAt ? <Time value={m.lastSignInAt} /> : "never"}</Td>
            <Td align="right">
              {m.hasPassword && m.id !== meId ? (
                <Button variant="ghost" onClick={() => setReset(m)}>Set one-time password</Button>
              ) : null}
              {m.active ? (
                <Button variant="ghost" onClick={() => setConfirm(m)}>Deactivate</Button>
              ) : (
                <Button variant="ghost" pending={activeAction.isPending} onClick={() => activeAction.execute({ userId: m.id, active: true })}>
                  Reactivate
                </Button>
              )}
            </Td>
          </tr>
        ))}
      </ListTable>
      <ConfirmDialog
        open={confirm !== null}
        title={`Deactivate ${confirm?.name ?? ""}?`}
        confirmLabel="Deactivate"
        pending={activeAction.isPending}
        onCancel={() => setConfirm(null)}
        onConfirm={() => confirm && activeAction.execute({ userId: confirm.id, active: false })}
      >
        {confirm?.email} will be signed out and can no longer sign in. Their history stays. You can reactivate them later.
      </ConfirmDialog>
      <ConfirmDialog
        open={reset !== null}
        title={`Set a one-time password for ${reset?.name ?? ""}?`}
        confirmLabel="Set one-time password"
        pending={otpAction.isPending}
        onCancel={() => setReset(null)}
        onConfirm={() => reset && otpAction.execute({ userId: reset.id })}
      >
        {reset?.email}&apos;s current password stops working and all their sessions end. You get a generated password to hand
        over privately; at their next sign-in they must choose their own.
      </ConfirmDialog>
    </>
  );
}

/** The generated one-time password, shown once. */
function IssuedPassword({ email, password, onDone }: { email: string; password: string; onDone: () => void }) {
  return (
    <Alert tone="success" className="mb-3">
      <p>
        One-time password for {email}: <code data-testid="one-time-password" className="font-mono font-semibold select-all">{password}</code>
      </p>
      <p className="mt-1">Hand it over privately; it is shown only now. They must choose their own password when they sign in with it.</p>
      <Button variant="ghost" className="mt-1" onClick={onDone}>Done</Button>
    </Alert>
  );
}

/** A role the identity provider sets at every sign-in (OIDC_ROLES_CLAIM): shown, not editable. */
function RoleFromSso({ role, claim }: { role: RoleName; claim: string }) {
  return (
    <div data-testid="role-from-sso">
      <span className="font-medium">{ROLE_LABELS[role]}</span>
      <p className="max-w-56 text-xs text-zinc-500">
        Set by the identity provider&apos;s <code>{claim}</code> claim at every sign-in. Change their groups there.
      </p>
    </div>
  );
}

function AddMemberForm() {
  const formRef = useRef<HTMLFormElement>(null);
  const [done, setDone] = useState<string | null>(null);
  const { execute, result, isPending, reset } = useAction(createMemberAction, {
    onSuccess: ({ data }) => {
      formRef.current?.reset();
      setDone(data ? `${data.email} was added. Share the initial password with them privately.` : "Member added.");
    },
  });
  const { message, fieldErrors } = actionErrors(result);
  return (
    <FormCard
      ref={formRef}
      onData={(f) => {
        setDone(null);
        reset();
        execute({
          email: String(f.get("email") ?? ""),
          name: String(f.get("name") ?? ""),
          role: String(f.get("role") ?? "viewer") as RoleName,
          password: String(f.get("password") ?? ""),
        });
      }}
    >
      {message ? <Alert>{message}</Alert> : null}
      {done ? <Alert tone="success">{done}</Alert> : null}
      <div className="grid gap-4 sm:grid-cols-2">
        <Field label="Email" name="email" errors={fieldErrors.email}>
          {(p) => <input {...p} type="email" autoComplete="off" className={inputClass} />}
        </Field>
        <Field label="Name" name="name" errors={fieldErrors.name}>
          {(p) => <input {...p} type="text" autoComplete="off" className={inputClass} />}
        </Field>
        <Field label="Role" name="role" errors={fieldErrors.role}>
          {(p) => (
            <select {...p} defaultValue="viewer" className={inputClass}>
              {ROLES.map((r) => (
                <option key={r} value={r}>{ROLE_LABELS[r]}</option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Initial password" name="password" errors={fieldErrors.password} hint={`At least ${PASSWORD_MIN_LENGTH} characters.`}>
          {(p) => <input {...p} type="password" autoComplete="new-password" className={inputClass} />}
        </Field>
      </div>
      <Button type="submit" pending={isPending}>Add member</Button>
    </FormCard>
  );
}
