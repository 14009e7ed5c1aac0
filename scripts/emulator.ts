/**
 * `npm run emulator` — starts the Nyckel emulator (docs/nyckel-emulator.md).
 *
 * Port: NYCKEL_EMULATOR_PORT (default 4010), or --port. Loopback only (127.0.0.1).
 * Flags:
 *   --port N                 listen on N (0 = random)
 *   --rate N                 requests per second (sliding 1 s window), default 25
 *   --concurrency N          concurrent requests, default 25
 *   --no-limits              no rate or concurrency limit
 *   --latency MS             fixed added latency on every API request
 *   --latency-range MIN-MAX  plus a random latency in [MIN, MAX] ms
 *   --share-429 X / --share-500 X / --share-503 X / --share-hang X   shares (0–1) of faulty answers
 *   --retry-after S          Retry-After seconds on injected 429/503
 *   --client-id ID / --client-secret SECRET   credentials (defaults modelpin-emulator / modelpin-emulator-secret)
 *   --token-ttl S            expires_in of issued tokens, default 3600
 *   --hide-model-id          the metrics endpoint reports no current model id (as Nyckel may not)
 *   --quiet                  no banner
 */
import { startEmulator, type EmulatorOptions } from "./emulator/server";
import type { EmulatorFaults } from "./emulator/faults";
import { cliOptions } from "./cli/args";

function usage(message: string): never {
  console.error(`emulator: ${message}`);
  console.error("see the header of scripts/emulator.ts or docs/nyckel-emulator.md for the flags");
  process.exit(2);
}

const USAGE =
  "usage: npm run emulator -- [--port N] [--rate N] [--concurrency N] [--no-limits] [--latency MS] [--latency-range MIN-MAX] [--share-429 X] [--share-500 X] [--share-503 X] [--share-hang X] [--retry-after S] [--client-id ID] [--client-secret S] [--token-ttl S] [--hide-model-id] [--quiet]";

const FLAGS = {
  port: { type: "string" },
  rate: { type: "string" },
  concurrency: { type: "string" },
  "no-limits": { type: "boolean" },
  latency: { type: "string" },
  "latency-range": { type: "string" },
  "share-429": { type: "string" },
  "share-500": { type: "string" },
  "share-503": { type: "string" },
  "share-hang": { type: "string" },
  "retry-after": { type: "string" },
  "client-id": { type: "string" },
  "client-secret": { type: "string" },
  "token-ttl": { type: "string" },
  "hide-model-id": { type: "boolean" },
  quiet: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

function parseFlags(argv: string[]): EmulatorOptions {
  let args: ReturnType<typeof cliOptions<typeof FLAGS>>;
  try {
    args = cliOptions(FLAGS, argv);
  } catch (error) {
    usage(error instanceof Error ? error.message : String(error));
  }
  if (args.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const number = (flag: string, value: string, min = 0): number => {
    const n = Number(value);
    if (value === "" || !Number.isFinite(n) || n < min) usage(`--${flag} needs a number >= ${min}`);
    return n;
  };
  const shareOf = (flag: string, value: string): number => {
    const n = number(flag, value);
    if (n > 1) usage(`--${flag} is a share between 0 and 1`);
    return n;
  };
  const envPort = process.env.NYCKEL_EMULATOR_PORT;
  const port = args.port !== undefined ? number("port", args.port) : envPort !== undefined && envPort !== "" ? Number(envPort) : 4010;
  if (!Number.isInteger(port) || port < 0 || port > 65535) usage("the port must be an integer between 0 and 65535");
  const faults: EmulatorFaults = {};
  if (args.latency !== undefined) faults.latencyMs = number("latency", args.latency);
  if (args["latency-range"] !== undefined) {
    const match = /^(\d+)-(\d+)$/.exec(args["latency-range"]);
    if (!match) usage("--latency-range needs MIN-MAX, e.g. 50-300");
    faults.latencyRangeMs = [Number(match[1]), Number(match[2])];
  }
  if (args["share-429"] !== undefined) faults.share429 = shareOf("share-429", args["share-429"]);
  if (args["share-500"] !== undefined) faults.share500 = shareOf("share-500", args["share-500"]);
  if (args["share-503"] !== undefined) faults.share503 = shareOf("share-503", args["share-503"]);
  if (args["share-hang"] !== undefined) faults.shareHang = shareOf("share-hang", args["share-hang"]);
  if (args["retry-after"] !== undefined) faults.retryAfterSeconds = number("retry-after", args["retry-after"]);
  const options: EmulatorOptions = {
    port,
    host: "127.0.0.1",
    rateLimit: args["no-limits"]
      ? false
      : { perSecond: args.rate !== undefined ? number("rate", args.rate, 1) : 25, concurrency: args.concurrency !== undefined ? number("concurrency", args.concurrency, 1) : 25 },
  };
  if (args["client-id"] !== undefined) options.clientId = args["client-id"];
  if (args["client-secret"] !== undefined) options.clientSecret = args["client-secret"];
  if (args["token-ttl"] !== undefined) options.tokenTtlSeconds = number("token-ttl", args["token-ttl"], 1);
  if (args["hide-model-id"]) options.reportCurrentModelId = false;
  if (args.quiet) options.quiet = true;
  if (Object.keys(faults).length > 0) options.faults = faults;
  return options;
}

async function main(): Promise<void> {
  const options = parseFlags(process.argv.slice(2));
  let emulator;
  try {
    emulator = await startEmulator(options);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE") {
      console.error(`emulator: port ${options.port} is already in use (set NYCKEL_EMULATOR_PORT or --port)`);
    } else {
      console.error(`emulator: ${error instanceof Error ? error.message : String(error)}`);
    }
    process.exit(1);
  }
  const started = emulator;
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    if (!options.quiet) console.log(`\nemulator: ${signal}, shutting down`);
    const force = setTimeout(() => process.exit(0), 3000);
    force.unref();
    started.close().then(() => process.exit(0));
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
