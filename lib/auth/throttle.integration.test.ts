import bcrypt from "bcryptjs";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { systemContext } from "@/lib/context";
import { runTsx } from "@/scripts/testing/run-tsx";
import { disconnectPrisma, prisma } from "@/lib/db/client";
import { createMember, type PasswordCheck } from "@/lib/members/service";
import { signInWithSso } from "@/lib/members/sso";
import { OPEN_SSO_POLICY } from "./sso-config";
import { DUMMY_HASH, PASSWORD_COST, verifyPassword } from "./password";
import { signInWithPassword, type SignInDeps } from "@/lib/session/sign-in";
import { pruneThrottle } from "./throttle";

const sys = systemContext("test");
const uniq = () => `${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
const email = (p: string) => `${p}-${uniq()}@example.com`;
let octet = 1;
/** A fresh documentation-range address per call, so tests never share an address counter. */
const address = () => `198.51.${Math.floor(octet / 250)}.${(octet++ % 250) + 1}`;
const RIGHT = "the-right-password";

/** Records every wait and every comparison; `fast` skips bcrypt (the member's password is RIGHT). */
function deps(options: { fast?: boolean } = {}) {
  const waits: number[] = [];
  const compared: string[] = [];
  const check: PasswordCheck = async (password, hash) => {
    compared.push(hash);
    return options.fast ? hash !== DUMMY_HASH && password === RIGHT : verifyPassword(password, hash);
  };
  const d: SignInDeps = { wait: async (ms) => void waits.push(ms), check, authSecret: "throttle-test-secret-".repeat(2) };
  return { d, waits, compared };
}

async function member(prefix: string) {
  const e = email(prefix);
  const m = await createMember(sys, { email: e, name: "Thea", role: "viewer", password: RIGHT });
  return { ...m, email: e };
}

const throttledEvents = (after: Record<string, unknown>) =>
  prisma.auditEvent.findMany({ where: { action: "auth.throttled", after: { path: ["email"], equals: after.email as string } }, orderBy: { id: "asc" } });

beforeEach(async () => {
  await prisma.$executeRaw`DELETE FROM sign_in_throttle`;
});
afterAll(async () => {
  await disconnectPrisma();
});

describe("sign-in throttle (real PostgreSQL)", () => {
  it("10 failures for one account from one address: refused for 15 minutes even with the right password; other addresses still sign in", async () => {
    const m = await member("pair");
    const here = address();
    const { d, compared } = deps({ fast: true });
    for (let i = 0; i < 10; i++) expect((await signInWithPassword({ email: m.email, password: `wrong-${i}`, address: here }, d)).status).toBe("wrong");
    const before = compared.length;
    const refused = await signInWithPassword({ email: m.email, password: RIGHT, address: here }, d);
    expect(refused).toMatchObject({ status: "throttled", message: "Too many failed sign-ins for this account from your network. Sign-in is paused: try again in 15 minutes." });
    expect(compared.length).toBe(before); // refused before any password check
    expect((await signInWithPassword({ email: m.email, password: RIGHT, address: address() }, d)).status).toBe("ok");

    const events = await throttledEvents({ email: m.email });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ targetType: "member", targetId: m.id, actorLabel: "system (sign-in throttle)" });
    expect(events[0]!.after).toMatchObject({ rule: "pair", email: m.email, address: here, failures: 10, refusedForMinutes: 15 });
  });

  it("holds across instances: failures made by another process count, and its attempts are refused too", async () => {
    const m = await member("instances");
    const here = address();
    const { d } = deps({ fast: true });
    const b = await otherInstance({ email: m.email, address: here, passwords: Array.from({ length: 5 }, (_, i) => `b-wrong-${i}`) });
    expect(b).toEqual(Array(5).fill("wrong"));
    for (let i = 0; i < 5; i++) expect((await signInWithPassword({ email: m.email, password: `a-wrong-${i}`, address: here }, d)).status).toBe("wrong");
    expect((await signInWithPassword({ email: m.email, password: RIGHT, address: here }, d)).status).toBe("throttled");
    const [again] = await otherInstance({ email: m.email, address: here, passwords: [RIGHT] });
    expect(again).toMatch(/^throttled: Too many failed sign-ins for this account from your network\. .* try again in 15 minutes\.$/);
  });

  it("50 failures from one address, any accounts: that address is refused for every account; other addresses are not", async () => {
    const m = await member("address");
    const here = address();
    const { d } = deps({ fast: true });
    for (let i = 0; i < 50; i++) expect((await signInWithPassword({ email: email(`spray${i}`), password: "guess", address: here }, d)).status).toBe("wrong");
    expect(await signInWithPassword({ email: m.email, password: RIGHT, address: here }, d)).toMatchObject({
      status: "throttled",
      message: "Too many failed sign-ins from your network. Sign-in is paused: try again in 15 minutes.",
    });
    expect((await signInWithPassword({ email: m.email, password: RIGHT, address: address() }, d)).status).toBe("ok");
  });

  it("100 failures for one account from anywhere only delay, growing to 30 s; browsers that signed in before are exempt", async () => {
    const m = await member("account");
    const { d, waits } = deps({ fast: true });
    const known = await signInWithPassword({ email: m.email, password: RIGHT, address: address() }, d);
    if (known.status !== "ok") throw new Error("expected a sign-in");
    for (let i = 0; i < 100; i++) await signInWithPassword({ email: m.email, password: `wrong-${i}`, address: address() }, d);
    expect(waits).toEqual([]);

    // A stranger now waits 1 s, then 2 s, 4 s … and is never refused: the right password still signs in.
    for (let i = 0; i < 6; i++) expect((await signInWithPassword({ email: m.email, password: `late-${i}`, address: address() }, d)).status).toBe("wrong");
    expect(waits).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000]);
    expect((await signInWithPassword({ email: m.email, password: RIGHT, address: address() }, d)).status).toBe("ok");
    expect(waits.at(-1)).toBe(30_000);

    // The member's own browser does not wait.
    waits.length = 0;
    expect((await signInWithPassword({ email: m.email, password: RIGHT, address: address(), deviceCookie: known.deviceCookie }, d)).status).toBe("ok");
    expect(waits).toEqual([]);
    const events = await throttledEvents({ email: m.email });
    expect(events.map((e) => (e.after as { rule: string }).rule)).toEqual(["account"]);
  });

  it("successful sign-ins never count, and one clears its own pair's failures", async () => {
    const m = await member("success");
    const here = address();
    const { d } = deps({ fast: true });
    for (let i = 0; i < 9; i++) await signInWithPassword({ email: m.email, password: `wrong-${i}`, address: here }, d);
    for (let i = 0; i < 60; i++) expect((await signInWithPassword({ email: m.email, password: RIGHT, address: here }, d)).status).toBe("ok");
    for (let i = 0; i < 9; i++) expect((await signInWithPassword({ email: m.email, password: `again-${i}`, address: here }, d)).status).toBe("wrong");
    expect((await signInWithPassword({ email: m.email, password: RIGHT, address: here }, d)).status).toBe("ok");
    const rows = await prisma.$queryRaw<{ scope: string; failures: number }[]>`SELECT scope, failures FROM sign_in_throttle ORDER BY scope`;
    expect(rows).toEqual([
      { scope: "account", failures: 18 },
      { scope: "address", failures: 18 },
    ]);
  });

  it("after the window and the cool-down the counters start over, and old rows are pruned", async () => {
    const m = await member("window");
    const here = address();
    const { d } = deps({ fast: true });
    for (let i = 0; i < 10; i++) await signInWithPassword({ email: m.email, password: `wrong-${i}`, address: here }, d);
    expect((await signInWithPassword({ email: m.email, password: RIGHT, address: here }, d)).status).toBe("throttled");
    await prisma.$executeRaw`UPDATE sign_in_throttle SET window_start = now() - interval '16 minutes', blocked_until = now() - interval '1 second'`;
    expect((await signInWithPassword({ email: m.email, password: "wrong-after", address: here }, d)).status).toBe("wrong");
    const [pair] = await prisma.$queryRaw<{ failures: number }[]>`SELECT failures FROM sign_in_throttle WHERE scope = 'pair'`;
    expect(pair?.failures).toBe(1);
    await prisma.$executeRaw`UPDATE sign_in_throttle SET window_start = now() - interval '16 minutes', blocked_until = NULL`;
    expect(await pruneThrottle()).toBe(3);
    expect((await signInWithPassword({ email: m.email, password: RIGHT, address: here }, d)).status).toBe("ok");
  });

  it("unknown emails and SSO-only members cost one bcrypt comparison against the dummy hash, and are throttled alike", async () => {
    expect(bcrypt.getRounds(DUMMY_HASH)).toBe(PASSWORD_COST);
    const m = await member("known");
    const sso = await signInWithSso({ sub: `sub-${uniq()}`, email: email("sso-only"), email_verified: true }, OPEN_SSO_POLICY);
    if (sso.status !== "ok") throw new Error("expected an SSO member");
    const { d, compared } = deps();
    expect((await signInWithPassword({ email: email("nobody"), password: RIGHT, address: address() }, d)).status).toBe("wrong");
    expect((await signInWithPassword({ email: sso.user.email, password: RIGHT, address: address() }, d)).status).toBe("wrong");
    expect((await signInWithPassword({ email: m.email, password: "wrong", address: address() }, d)).status).toBe("wrong");
    const row = await prisma.user.findUniqueOrThrow({ where: { id: m.id } });
    expect(compared).toEqual([DUMMY_HASH, DUMMY_HASH, row.passwordHash]);

    const nobody = email("nobody");
    const here = address();
    const fast = deps({ fast: true });
    for (let i = 0; i < 10; i++) await signInWithPassword({ email: nobody, password: `wrong-${i}`, address: here }, fast.d);
    const refused = await signInWithPassword({ email: nobody, password: RIGHT, address: here }, fast.d);
    expect(refused).toMatchObject({ status: "throttled", message: "Too many failed sign-ins for this account from your network. Sign-in is paused: try again in 15 minutes." });
    expect((await throttledEvents({ email: nobody }))[0]).toMatchObject({ targetId: null });
  });
});

/** Runs sign-in attempts in a separate process (scripts/testing/throttle-instance.ts) against the same database. */
async function otherInstance(plan: { email: string; address: string; passwords: string[] }): Promise<string[]> {
  const { code, stdout, stderr } = await runTsx("scripts/testing/throttle-instance.ts", [JSON.stringify(plan)]);
  if (code !== 0) throw new Error(`the second instance failed (${code}): ${stderr}`);
  const line = stdout.trim().split("\n").at(-1) ?? "[]";
  return JSON.parse(line) as string[];
}
