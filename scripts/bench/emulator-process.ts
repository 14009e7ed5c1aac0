/**
 * The Nyckel emulator in a child process for the benches (bench:compare, bench:drift):
 * Nyckel is another machine, so its clock for arrivals must not be held up by the
 * bench's own work. The child (scripts/bench/serve-emulator.ts) ends with this
 * process: it watches its stdin.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import type { EmulatorCounters } from "@/scripts/emulator/counters";
import type { EmulatorOptions } from "@/scripts/emulator/server";
import type { InvokeLogEntry } from "@/scripts/emulator/state";

/** The emulator child and its control API. */
export type RemoteEmulator = {
  url: string;
  clientId: string;
  clientSecret: string;
  resetCounters(): Promise<void>;
  counters(): Promise<EmulatorCounters>;
  invokes(): Promise<InvokeLogEntry[]>;
  /** POST /_emulator/functions/{id}/models: Nyckel retrains (the new model is latest). */
  addModel(functionId: string, body: { modelId?: string; flipShare?: number }): Promise<{ id: string; createdAt: string }>;
  close(): Promise<void>;
};

export async function startEmulatorProcess(options: EmulatorOptions): Promise<RemoteEmulator> {
  const script = path.resolve(__dirname, "serve-emulator.ts");
  const child: ChildProcess = spawn(process.execPath, [...process.execArgv, script, JSON.stringify(options)], { stdio: ["pipe", "pipe", "inherit"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const first = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once("line", resolve);
    child.once("exit", (code) => reject(new Error(`the emulator process exited (${code}) before it started`)));
  });
  const info = JSON.parse(first) as { url: string; clientId: string; clientSecret: string };
  const control = async <T>(p: string, method = "GET", body?: unknown): Promise<T> => {
    const res = await fetch(`${info.url}/_emulator${p}`, {
      method,
      ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
    });
    if (!res.ok) throw new Error(`emulator ${method} ${p}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  return {
    ...info,
    resetCounters: async () => void (await control("/counters", "DELETE")),
    counters: () => control<EmulatorCounters>("/counters"),
    invokes: () => control<InvokeLogEntry[]>(`/invokes?limit=${options.invokeLogSize ?? 200}`),
    addModel: (functionId, body) => control(`/functions/${encodeURIComponent(functionId)}/models`, "POST", body),
    close: async () => {
      child.stdin!.end();
      await exited;
    },
  };
}
