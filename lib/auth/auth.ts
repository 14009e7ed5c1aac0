import "server-only";
import NextAuth, { CredentialsSignin, type NextAuthConfig } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { z } from "zod";
import { env } from "@/lib/env";
import { getMemberIdBySubject } from "@/lib/members/queries";
import { authenticateWithPassword } from "@/lib/members/service";
import { signInWithSso } from "@/lib/members/sso";

class WrongCredentials extends CredentialsSignin {
  override code = "wrong_credentials";
}
class Deactivated extends CredentialsSignin {
  override code = "deactivated";
}

const credentialsSchema = z.object({ email: z.string().trim().toLowerCase().email(), password: z.string().min(1).max(1024) });

function buildConfig(): NextAuthConfig {
  const config = env();
  const providers: NextAuthConfig["providers"] = [
    Credentials({
      id: "credentials",
      name: "Email and password",
      credentials: { email: { label: "Email", type: "email" }, password: { label: "Password", type: "password" } },
      async authorize(raw) {
        const parsed = credentialsSchema.safeParse(raw);
        if (!parsed.success) throw new WrongCredentials();
        const result = await authenticateWithPassword(parsed.data.email, parsed.data.password);
        if (result.status === "deactivated") throw new Deactivated();
        if (result.status !== "ok") throw new WrongCredentials();
        return { id: result.user.id, email: result.user.email, name: result.user.name };
      },
    }),
  ];
  if (config.oidcEnabled) {
    providers.push({
      id: "oidc",
      name: config.OIDC_NAME,
      type: "oidc",
      issuer: config.OIDC_ISSUER,
      clientId: config.OIDC_CLIENT_ID,
      clientSecret: config.OIDC_CLIENT_SECRET,
      authorization: { params: { scope: "openid email profile" } },
      checks: ["pkce", "state", "nonce"],
    });
  }
  return {
    secret: config.AUTH_SECRET,
    trustHost: config.AUTH_TRUST_HOST,
    session: { strategy: "jwt", maxAge: 12 * 60 * 60 },
    pages: { signIn: "/signin", error: "/signin" },
    providers,
    logger: {
      error(error) {
        // Wrong passwords are expected; everything else is worth a log line.
        if ((error as { type?: string }).type === "CredentialsSignin") return;
        console.error("[auth]", error);
      },
    },
    callbacks: {
      async signIn({ account, profile }) {
        if (account?.provider !== "oidc") return true;
        // The linking, domain and role rules: lib/members/sso.ts. A refusal names its reason on the sign-in page.
        const result = await signInWithSso({ ...(profile ?? {}), sub: account.providerAccountId });
        return result.status === "ok" ? true : `/signin?error=${result.reason}`;
      },
      async jwt({ token, user, account }) {
        if (account?.provider === "oidc") {
          const id = await getMemberIdBySubject(account.providerAccountId);
          if (id) token.uid = id;
        } else if (user?.id) {
          token.uid = user.id;
        }
        return token;
      },
      session({ session, token }) {
        if (typeof token.uid === "string") session.user.id = token.uid;
        return session;
      },
    },
  };
}

export const { handlers, auth, signIn, signOut } = NextAuth(() => buildConfig());
