import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { signInWithPassword, type SignInDeps } from "@/lib/session/sign-in";
import { verifyPassword } from "@/lib/auth/password";
import { OPEN_SSO_POLICY } from "@/lib/auth/sso-config";
import { systemContext, type ServiceContext } from "@/lib/context";
import { disconnectPrisma, prisma } from "@/lib/db/client";
import { ConflictError, ForbiddenError, InvalidInputError } from "@/lib/errors";
import { SSO_ONLY_MESSAGE, changeOwnPassword, setOneTimePassword } from "./passwords";
import { getActiveUserById } from "./queries";
import { createMember } from "./service";
import { signInWithSso } from "./sso";

const sys = systemContext("test");
const uniq = () => `${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
const email = (p: string) => `${p}-${uniq()}@example.com`;
const OLD = "old-password-123";
const NEW = "brand-new-password-456";
const here = { address: "192.0.2.77" };
const deps: SignInDeps = { wait: async () => undefined, check: verifyPassword, authSecret: "passwords-test-secret-".repeat(2) };

type Role = "viewer" | "editor" | "approver" | "admin";
function as(user: { id: string; role: Role; email: string }): ServiceContext {
  return { actor: { id: user.id, role: user.role, label: user.email }, requestId: "test-request" };
}
async function member(prefix: string, role: Role = "editor") {
  const e = email(prefix);
  const m = await createMember(sys, { email: e, name: "Pat", role, password: OLD });
  const { sessionEpoch } = await prisma.user.findUniqueOrThrow({ where: { id: m.id }, select: { sessionEpoch: true } });
  return { ...m, email: e, role, sessionEpoch };
}
const signIn = (e: string, password: string) => signInWithPassword({ email: e, password, address: `203.0.113.${Math.floor(Math.random() * 250) + 1}` }, deps);
type Input = { currentPassword: string; newPassword: string; confirmPassword: string };
const change = (u: { id: string; role: Role; email: string }, input: Input, sessionId?: string) => changeOwnPassword(as(u), input, { ...here, sessionId });
/** What lib/session/current.ts asks for a session: its member, epoch and session id. */
const session = (id: string, epoch: string, sid: string) => getActiveUserById(id, { epoch, sid });

afterAll(async () => {
  await disconnectPrisma();
});

describe("password changes (real PostgreSQL)", () => {
  it("checks the current password, the length and the confirmation, with field errors, and changes nothing then", async () => {
    const m = await member("rules");
    const fields = async (input: Parameters<typeof change>[1]) => {
      const err = await change(m, input).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidInputError);
      return Object.keys((err as InvalidInputError).fieldErrors ?? {});
    };
    expect(await fields({ currentPassword: "not-it", newPassword: NEW, confirmPassword: NEW })).toEqual(["currentPassword"]);
    expect(await fields({ currentPassword: OLD, newPassword: "short-11ch", confirmPassword: "short-11ch" })).toEqual(["newPassword"]);
    expect(await fields({ currentPassword: OLD, newPassword: NEW, confirmPassword: `${NEW}!` })).toEqual(["confirmPassword"]);
    expect(await fields({ currentPassword: OLD, newPassword: OLD, confirmPassword: OLD })).toEqual(["newPassword"]);
    expect((await signIn(m.email, OLD)).status).toBe("ok");
  });

  it("a change ends the member's other sessions (new epoch) but keeps its own, and only the new password signs in", async () => {
    const m = await member("change");
    const [mine, other] = [randomUUID(), randomUUID()];
    expect(await session(m.id, m.sessionEpoch, mine)).toMatchObject({ id: m.id, mustChangePassword: false, sessionId: mine });
    expect(await session(m.id, m.sessionEpoch, other)).toMatchObject({ id: m.id });
    const { sessionEpoch } = await change(m, { currentPassword: OLD, newPassword: NEW, confirmPassword: NEW }, mine);
    expect(sessionEpoch).not.toBe(m.sessionEpoch);
    expect(await session(m.id, m.sessionEpoch, other)).toBeNull(); // every other session issued before
    expect(await session(m.id, m.sessionEpoch, mine)).toMatchObject({ id: m.id }); // the one that changed it stays
    expect(await session(m.id, sessionEpoch, randomUUID())).toMatchObject({ id: m.id }); // sign-ins from now on
    expect((await signIn(m.email, OLD)).status).toBe("wrong");
    expect(await signIn(m.email, NEW)).toMatchObject({ status: "ok", user: { id: m.id, sessionEpoch } });
    const event = await prisma.auditEvent.findFirst({ where: { targetId: m.id, action: "member.password_changed" } });
    expect(event).toMatchObject({ actorId: m.id, after: { otherSessionsEnded: true } });
    expect(JSON.stringify([event?.before, event?.after, event?.reason])).not.toContain(NEW);
  });

  it("wrong current passwords count like failed sign-ins: the 11th try is refused", async () => {
    const m = await member("guess");
    for (let i = 0; i < 10; i++) await expect(change(m, { currentPassword: `guess-${i}`, newPassword: NEW, confirmPassword: NEW })).rejects.toThrow(InvalidInputError);
    await expect(change(m, { currentPassword: OLD, newPassword: NEW, confirmPassword: NEW })).rejects.toThrow(/Too many failed sign-ins .* try again in 15 minutes/);
  });

  it("members who sign in only with SSO are told they have no password here", async () => {
    const r = await signInWithSso({ sub: `sub-${uniq()}`, email: email("sso"), email_verified: true }, OPEN_SSO_POLICY);
    if (r.status !== "ok") throw new Error("expected an SSO member");
    await expect(change({ ...r.user, role: "viewer" }, { currentPassword: "anything", newPassword: NEW, confirmPassword: NEW })).rejects.toThrow(SSO_ONLY_MESSAGE);
  });
});

describe("one-time passwords (real PostgreSQL)", () => {
  it("an admin sets one: old password and sessions end, the member signs in with it and must change it", async () => {
    const admin = await member("admin", "admin");
    const m = await member("forgot");
    const kept = randomUUID();
    const { sessionEpoch: changedEpoch } = await change(m, { currentPassword: OLD, newPassword: NEW, confirmPassword: NEW }, kept);
    const { password, email: shownFor } = await setOneTimePassword(as(admin), { userId: m.id });
    expect(shownFor).toBe(m.email);
    expect(password).toMatch(/^[A-Za-z2-9]{4}(-[A-Za-z2-9]{4}){3}$/);
    expect(await session(m.id, m.sessionEpoch, kept)).toBeNull(); // even the session kept by the member's own change
    expect(await session(m.id, changedEpoch, randomUUID())).toBeNull();
    expect((await signIn(m.email, NEW)).status).toBe("wrong");
    const signedIn = await signIn(m.email, password);
    if (signedIn.status !== "ok") throw new Error("expected a sign-in with the one-time password");
    const sid = randomUUID();
    expect(await session(m.id, signedIn.user.sessionEpoch, sid)).toMatchObject({ mustChangePassword: true });

    await change(m, { currentPassword: password, newPassword: `${NEW}-2`, confirmPassword: `${NEW}-2` }, sid);
    expect(await session(m.id, signedIn.user.sessionEpoch, sid)).toMatchObject({ mustChangePassword: false });
    const event = await prisma.auditEvent.findFirst({ where: { targetId: m.id, action: "member.password_reset" } });
    expect(event).toMatchObject({ actorId: admin.id, after: { oneTimePassword: true, mustChangePassword: true, otherSessionsEnded: true } });
    expect(JSON.stringify([event?.before, event?.after, event?.reason])).not.toContain(password);
  });

  it("only admins, never for themselves, never for SSO-only members", async () => {
    const admin = await member("admin2", "admin");
    const editor = await member("editor");
    await expect(setOneTimePassword(as(editor), { userId: admin.id })).rejects.toThrow(ForbiddenError);
    await expect(setOneTimePassword(as(admin), { userId: admin.id })).rejects.toThrow(/your account page/);
    const r = await signInWithSso({ sub: `sub-${uniq()}`, email: email("sso2"), email_verified: true }, OPEN_SSO_POLICY);
    if (r.status !== "ok") throw new Error("expected an SSO member");
    await expect(setOneTimePassword(as(admin), { userId: r.user.id })).rejects.toThrow(ConflictError);
    expect((await prisma.user.findUniqueOrThrow({ where: { id: r.user.id } })).passwordHash).toBeNull();
    expect((await signIn(admin.email, OLD)).status).toBe("ok");
  });
});
