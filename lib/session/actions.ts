"use server";

import { AuthError, CredentialsSignin } from "next-auth";
import { Throttled, signIn, signOut } from "@/lib/session/auth";

export type SignInState = { error?: string; email?: string };

function safeRedirect(target: FormDataEntryValue | null): string {
  const value = typeof target === "string" ? target : "/";
  // Only same-site paths: never redirect to another host after sign-in.
  return value.startsWith("/") && !value.startsWith("//") && !value.startsWith("/\\") ? value : "/";
}

/** Email + password sign-in, for the sign-in form (useActionState). */
export async function signInWithPasswordAction(_prev: SignInState, formData: FormData): Promise<SignInState> {
  const email = String(formData.get("email") ?? "").trim();
  const password = String(formData.get("password") ?? "");
  if (!email || !password) return { error: "Enter your email and password.", email };
  try {
    await signIn("credentials", { email, password, redirectTo: safeRedirect(formData.get("callbackUrl")) });
    return {};
  } catch (e) {
    if (e instanceof Throttled) return { email, error: e.userMessage };
    if (e instanceof CredentialsSignin) {
      return {
        email,
        error: e.code === "deactivated" ? "This account is deactivated. Ask an admin to reactivate it." : "Wrong email or password.",
      };
    }
    if (e instanceof AuthError) return { email, error: "Sign-in failed. Try again." };
    throw e; // the redirect after a successful sign-in
  }
}

export async function signInWithSsoAction(formData: FormData): Promise<void> {
  await signIn("oidc", { redirectTo: safeRedirect(formData.get("callbackUrl")) });
}

export async function signOutAction(): Promise<void> {
  await signOut({ redirectTo: "/signin" });
}
