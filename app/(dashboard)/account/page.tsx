import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { ChangePasswordForm } from "@/components/account/change-password-form";
import { Alert } from "@/components/ui/alert";
import { PageHeader } from "@/components/ui/page-header";
import { requireSignedIn } from "@/lib/session/current";
import { getAccount } from "@/lib/members/queries";

export const metadata: Metadata = { title: "Your account" };

// Every signed-in member may open their own account, also while a one-time password is pending.
export default async function AccountPage() {
  const member = await requireSignedIn();
  const account = await getAccount(member.id);
  if (!account) redirect("/signin");
  return (
    <div className="max-w-xl">
      <PageHeader title="Your account" description={`${account.name} · ${account.email}`} />
      {account.mustChangePassword ? (
        <Alert tone="info" className="mb-6">
          An admin set a one-time password for you. Choose your own password to continue.
        </Alert>
      ) : null}
      <section aria-labelledby="password-heading">
        <h2 id="password-heading" className="mb-3 text-lg font-semibold">
          Password
        </h2>
        {account.hasPassword ? (
          <ChangePasswordForm oneTime={account.mustChangePassword} />
        ) : (
          <Alert tone="info">
            You sign in with single sign-on and have no Modelpin password here. Change your password at your identity provider.
          </Alert>
        )}
      </section>
    </div>
  );
}
