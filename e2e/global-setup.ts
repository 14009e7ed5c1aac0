import { startOidcProvider } from "./fixtures/oidc-provider";

/** Starts the local OpenID Connect provider the SSO journey signs in with (when configured). */
export default async function globalSetup() {
  const issuer = process.env.OIDC_ISSUER;
  if (!issuer) return;
  const port = Number(new URL(issuer).port);
  const appUrl = `http://localhost:${process.env.E2E_PORT || 3100}`;
  const provider = await startOidcProvider({
    port,
    clientId: process.env.OIDC_CLIENT_ID!,
    clientSecret: process.env.OIDC_CLIENT_SECRET!,
    redirectUri: `${appUrl}/api/auth/callback/oidc`,
  });
  return async () => provider.close();
}
