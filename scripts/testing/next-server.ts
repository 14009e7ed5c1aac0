/**
 * Starts a production Next.js server (`node_modules/.bin/next start`), or any other
 * server (startServerProcess: bench:api's emulator), as a child process and waits
 * until it answers — for the benches and the browser tests that need more than the
 * one server Playwright starts (two instances on one database, an instance whose
 * PostgreSQL is stopped).
 *
 * Not "server-only": scripts and Playwright specs import this; it touches
 * neither Prisma nor Nyckel.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";

export type NextServerOptions = {
  port: number;
  /** The complete environment of the server (NODE_ENV, DATABASE_URL, AUTH_SECRET, …). */
  env: NodeJS.ProcessEnv;
  /** The build folder (NEXT_DIST_DIR); default: env.NEXT_DIST_DIR or `.next`. */
  distDir?: string;
  /** Project folder; default: the current directory. */
  cwd?: string;
  /** A path that answers 200 once the server is up. Default `/api/health`. */
  readyPath?: string;
  /** Default 90 s. */
  timeoutMs?: number;
  /** Node options for the server process (e.g. `--cpu-prof`, which NODE_OPTIONS does not allow). */
  nodeArgs?: string[];
};

export type NextServerHandle = {
  url: string;
  port: number;
  pid: number;
  /** The last lines the server printed (stdout and stderr), for error messages. */
  output(): string;
  /** SIGTERM to the server's process group, SIGKILL after 10 s. Idempotent. */
  stop(): Promise<void>;
};

const KEEP_LINES = 80;

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

export type ServerProcessOptions = {
  /** For messages, e.g. "next start on port 3000". */
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  url: string;
  /** Answers 2xx once the server is up. */
  readyUrl: string;
  timeoutMs: number;
};

/**
 * Starts a server as a child process in its own process group (so stop() also reaches anything it
 * spawns) and resolves once `readyUrl` answers 2xx; fails with the server's last lines if it exits
 * or does not answer in time.
 */
export async function startServerProcess(options: ServerProcessOptions): Promise<NextServerHandle> {
  const lines: string[] = [];
  const remember = (chunk: Buffer) => {
    for (const line of chunk.toString("utf8").split(/\r?\n/)) {
      if (!line.trim()) continue;
      lines.push(line);
      if (lines.length > KEEP_LINES) lines.shift();
    }
  };
  const child = spawn(options.command, options.args, { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  child.stdout?.on("data", remember);
  child.stderr?.on("data", remember);
  const exitOnParentExit = () => signalGroup(child, "SIGKILL");
  process.on("exit", exitOnParentExit);

  let stopping: Promise<void> | undefined;
  const handle: NextServerHandle = {
    url: options.url,
    port: Number(new URL(options.url).port),
    pid: child.pid ?? -1,
    output: () => lines.join("\n"),
    stop: () => {
      stopping ??= (async () => {
        signalGroup(child, "SIGTERM");
        if (!(await waitForExit(child, 10_000))) {
          signalGroup(child, "SIGKILL");
          await waitForExit(child, 5_000);
        }
        process.removeListener("exit", exitOnParentExit);
      })();
      return stopping;
    },
  };

  const deadline = Date.now() + options.timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await handle.stop();
      throw new Error(`${options.name} exited (${child.exitCode ?? child.signalCode}) before answering:\n${handle.output()}`);
    }
    try {
      const res = await fetch(options.readyUrl, { signal: AbortSignal.timeout(5_000) });
      await res.arrayBuffer();
      if (res.ok) return handle;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  await handle.stop();
  throw new Error(`${options.name} did not answer ${options.readyUrl} within ${options.timeoutMs / 1000} s:\n${handle.output()}`);
}

export function startNextServer(options: NextServerOptions): Promise<NextServerHandle> {
  const cwd = options.cwd ?? process.cwd();
  const distDir = options.distDir ?? options.env.NEXT_DIST_DIR ?? ".next";
  const url = `http://127.0.0.1:${options.port}`;
  const args = ["start", "-p", String(options.port), "-H", "127.0.0.1"];
  const [command, commandArgs] = options.nodeArgs?.length
    ? [process.execPath, [...options.nodeArgs, path.join(cwd, "node_modules/next/dist/bin/next"), ...args]]
    : [path.join(cwd, "node_modules/.bin/next"), args];
  return startServerProcess({
    name: `next start on port ${options.port}`,
    command,
    args: commandArgs,
    cwd,
    env: { ...options.env, NEXT_DIST_DIR: distDir, PORT: String(options.port) },
    url,
    readyUrl: `${url}${options.readyPath ?? "/api/health"}`,
    timeoutMs: options.timeoutMs ?? 90_000,
  });
}
