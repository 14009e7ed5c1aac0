/**
 * A second Modelpin "instance" for lib/auth/throttle.integration.test.ts: a
 * separate process, with its own database pool, that makes password sign-in
 * attempts against the same PostgreSQL. Prints one JSON line: the statuses.
 *
 *   tsx --conditions=react-server scripts/testing/throttle-instance.ts '{"email":…,"address":…,"passwords":[…]}'
 */
import { disconnectPrisma } from "@/lib/db/client";
import { verifyPassword } from "@/lib/auth/password";
import { signInWithPassword } from "@/lib/session/sign-in";

type Plan = { email: string; address: string; passwords: string[] };

async function main(): Promise<void> {
  const plan = JSON.parse(process.argv[2] ?? "{}") as Plan;
  const statuses: string[] = [];
  for (const password of plan.passwords) {
    const r = await signInWithPassword(
      { email: plan.email, password, address: plan.address },
      { wait: async () => undefined, check: verifyPassword, authSecret: "instance-b-secret-".repeat(3) },
    );
    statuses.push(r.status === "throttled" ? `throttled: ${r.message}` : r.status);
  }
  console.log(JSON.stringify(statuses));
  await disconnectPrisma();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
