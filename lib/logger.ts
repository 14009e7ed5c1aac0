import pino, { type Logger } from "pino";
import { env } from "@/lib/env";

let instance: Logger | undefined;

function create(): Logger {
  return pino({
    level: env().LOG_LEVEL,
    base: { app: "modelpin" },
    redact: {
      paths: ["*.password", "*.clientSecret", "*.secret", "*.authorization", "*.token", "password", "clientSecret", "secret"],
      censor: "[redacted]",
    },
  });
}

/** The process's structured logger (JSON lines on stdout), created on first use. */
export const logger: Logger = new Proxy({} as Logger, {
  get(_t, prop) {
    instance ??= create();
    const value = (instance as unknown as Record<string | symbol, unknown>)[prop];
    return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(instance) : value;
  },
});
