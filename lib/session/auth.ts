import "server-only";
import { randomUUID } from "node:crypto";
import NextAuth, { CredentialsSignin, type NextAuthConfig } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { z } from "zod";
import { env } from "@/lib/env";
import { getMemberSessionBySubject } from "@/lib/members/queries";
import { signInWithSso } from "@/lib/members/sso";
import { readKnownDeviceCookie, requestClientAddress, writeKnownDeviceCookie } from "@/lib/auth/request-context";
import { signInWithPassword } from "./sign-in";

declare module "next-auth" {
  interface User {
    /** The member's session epoch at sign-in (lib/session/current.ts). */
    sessionEpoch?: string;
  }
  interface Session {
    /** The epoch this session was issued under; a password change or reset replaces the member's. */
    epoch?: string;
    /** A random id per sign-in: the session that changes its own password is kept by it. */
    sid?: string;
  }
}

class WrongCredentials extends CredentialsSignin {
  override code = "wrong_credentials";
}
class Deactivated extends CredentialsSignin {
  override code = "deactivated";
}
/** The sign-in throttle refused the attempt; the message says for how long (lib/auth/throttle-rules.ts). */
export class Throttled extends CredentialsSignin {
  override code = "throttled";
  constructor(readonly userMessage: string) {
    super(userMessage);
  }
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
        const [address, deviceCookie] = await Promise.all([requestClientAddress(), readKnownDeviceCookie()]);
        const result = await signInWithPassword({ ...parsed.data, address, deviceCookie });
        if (result.status === "throttled") throw new Throttled(result.message);
        if (result.status === "deactivated") throw new Deactivated();
        if (result.status !== "ok") throw new WrongCredentials();
        await writeKnownDeviceCookie(result.deviceCookie);
        return result.user;
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
        // At sign-in only: the member, the epoch the session starts under (lib/session/current.ts) and a fresh session id.
        if (account?.provider === "oidc") {
          const member = await getMemberSessionBySubject(account.providerAccountId);
          if (member) Object.assign(token, { uid: member.id, epoch: member.sessionEpoch, sid: randomUUID() });
        } else if (user?.id) {
          Object.assign(token, { uid: user.id, epoch: user.sessionEpoch, sid: randomUUID() });
        }
        return token;
      },
      session({ session, token }) {
        if (typeof token.uid === "string") session.user.id = token.uid;
        if (typeof token.epoch === "string") session.epoch = token.epoch;
        if (typeof token.sid === "string") session.sid = token.sid;
        return session;
      },
    },
  };
}

export const { handlers, auth, signIn, signOut } = NextAuth(() => buildConfig());
