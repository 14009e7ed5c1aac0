import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { SignInForm } from "@/components/auth/sign-in-form";
import { getSignedInMember } from "@/lib/session/current";
import { signInErrorMessage } from "@/lib/auth/sign-in-errors";
import { env } from "@/lib/env";

export const metadata: Metadata = { title: "Sign in" };

type SearchParams = { callbackUrl?: string; error?: string; code?: string };

export default async function SignInPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const [{ callbackUrl, error, code }, member] = await Promise.all([searchParams, getSignedInMember()]);
  if (member) redirect(member.mustChangePassword ? "/account" : "/");
  // Auth.js's own sign-in route names a credentials refusal by its code (?error=CredentialsSignin&code=throttled).
  const errorCode = error === "CredentialsSignin" && typeof code === "string" ? code : error;
  const config = env();
  return (
    <main className="flex min-h-screen items-center justify-center px-4">
      <div className="w-full max-w-sm">
        <div className="mb-8 text-center">
          <h1 className="text-3xl font-semibold tracking-tight">
            <span aria-hidden className="mr-1 text-indigo-600">◆</span>Modelpin
          </h1>
          <p className="mt-2 text-sm text-zinc-600 dark:text-zinc-400">Sign in to control which model serves each environment.</p>
        </div>
        <div className="rounded-lg bg-white p-6 shadow-sm ring-1 ring-zinc-200 dark:bg-zinc-900 dark:ring-zinc-800">
          <SignInForm
            callbackUrl={callbackUrl ?? "/"}
            initialError={errorCode ? signInErrorMessage(errorCode) : undefined}
            sso={config.oidcEnabled ? { name: config.OIDC_NAME } : null}
          />
        </div>
      </div>
    </main>
  );
}
