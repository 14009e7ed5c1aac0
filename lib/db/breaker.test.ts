import { describe, expect, it } from "vitest";
import type pg from "pg";
import { DatabaseBreaker, DatabaseUnavailableError, guardPool, tripsBreaker } from "./breaker";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met");
    await sleep(5);
  }
}

describe("DatabaseBreaker", () => {
  it("opens on a client-side timeout, refuses at once while open, and closes when a probe answers", async () => {
    let answering = false;
    let probes = 0;
    const events: string[] = [];
    const breaker = new DatabaseBreaker(
      async () => {
        probes++;
        if (!answering) throw new Error("Connection terminated due to connection timeout");
      },
      20,
      { onOpen: () => events.push("open"), onClose: () => events.push("close") },
    );
    expect(breaker.refusal()).toBeNull();
    breaker.observe(new Error("Query read timeout"));
    expect(breaker.isOpen).toBe(true);
    expect(breaker.refusal()).toBeInstanceOf(DatabaseUnavailableError);
    breaker.observe(new Error("Query read timeout")); // already open: one event
    await until(() => probes >= 2);
    expect(breaker.isOpen).toBe(true);
    answering = true;
    await until(() => !breaker.isOpen);
    expect(breaker.refusal()).toBeNull();
    expect(events).toEqual(["open", "close"]);
    breaker.dispose();
  });

  it("is not opened by errors the server itself answered with", () => {
    const breaker = new DatabaseBreaker(async () => undefined, 20);
    breaker.observe(Object.assign(new Error("canceling statement due to statement timeout"), { code: "57014" }));
    breaker.observe(Object.assign(new Error("duplicate key"), { code: "23505" }));
    breaker.observe(new DatabaseUnavailableError());
    expect(breaker.isOpen).toBe(false);
    expect(tripsBreaker(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }))).toBe(true);
    expect(tripsBreaker(new Error("Connection terminated due to connection timeout"))).toBe(true);
    // A busy pool (every connection in use for longer than the wait) is not a missing server.
    expect(tripsBreaker(new Error("timeout exceeded when trying to connect"))).toBe(false);
  });

  it("fails a guarded pool's waiting acquisitions as soon as it opens, and new ones at once", async () => {
    const released: unknown[] = [];
    let hand: ((client: pg.PoolClient) => void) | undefined;
    const fakePool = {
      connect: () => new Promise<pg.PoolClient>((resolve) => (hand = resolve)),
      on: () => fakePool,
    };
    const breaker = new DatabaseBreaker(async () => {
      throw new Error("still stalled");
    }, 60_000);
    const pool = guardPool(fakePool as unknown as pg.Pool, breaker);
    const waiting = pool.connect();
    breaker.observe(new Error("Query read timeout"));
    await expect(waiting).rejects.toBeInstanceOf(DatabaseUnavailableError);
    // The connection the pool hands over later goes straight back.
    hand!({ release: (e?: unknown) => released.push(e ?? "released") } as unknown as pg.PoolClient);
    await sleep(1);
    expect(released).toEqual(["released"]);
    await expect(pool.connect()).rejects.toBeInstanceOf(DatabaseUnavailableError);
    breaker.dispose();
  });
});
