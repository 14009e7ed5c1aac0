/**
 * What the sign-in page says for each `?error=` code: Auth.js's own codes and
 * the SSO refusals of lib/members/sso.ts (`SsoRefusal`).
 */
export const SIGN_IN_ERRORS: Record<string, string> = {
  deactivated: "This account is deactivated. Ask an admin to reactivate it.",
  wrong_credentials: "Wrong email or password.",
  throttled: "Too many failed sign-ins. Sign-in is paused for up to 15 minutes: try again later.",
  AccessDenied: "Access denied: your account may be deactivated.",
  Configuration: "Single sign-on failed: the identity provider could not be reached or is misconfigured.",
  OAuthCallbackError: "Single sign-on failed. Try again.",
  sso_no_email: "Single sign-on refused: your identity provider did not send an email address.",
  sso_unverified: "Single sign-on refused: your identity provider has not verified this email address. Verify it there, then try again.",
  sso_email_taken:
    "Single sign-on refused: this email belongs to an existing member who signs in with another identity. Ask an admin if this is your account.",
  sso_domain: "Single sign-on refused: your email domain is not allowed on this Modelpin. Ask an admin.",
  sso_no_role: "Single sign-on refused: none of your groups gives access to Modelpin. Ask an admin to add you to a group.",
  sso_last_admin:
    "Single sign-on refused: your groups would remove the last active admin. Ask your identity provider's admins to restore your admin group, or make another member an admin first.",
};

export function signInErrorMessage(code: string): string {
  return Object.hasOwn(SIGN_IN_ERRORS, code) ? SIGN_IN_ERRORS[code]! : "Sign-in failed. Try again.";
}
