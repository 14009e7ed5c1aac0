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
 *   --quiet                  no banner
 */
import { startEmulator, type EmulatorOptions } from "./emulator/server";
import type { EmulatorFaults } from "./emulator/faults";

function usage(message: string): never {
  console.error(`emulator: ${message}`);
  console.error("see the header of scripts/emulator.ts or docs/nyckel-emulator.md for the flags");
  process.exit(2);
}

function parseArgs(argv: string[]): EmulatorOptions {
  const envPort = process.env.NYCKEL_EMULATOR_PORT;
  let port = envPort !== undefined && envPort !== "" ? Number(envPort) : 4010;
  let perSecond = 25;
  let concurrency = 25;
  let limits = true;
  const faults: EmulatorFaults = {};
  const options: EmulatorOptions = {};

  const number = (flag: string, value: string | undefined, min = 0): number => {
    const n = Number(value);
    if (value === undefined || value === "" || !Number.isFinite(n) || n < min) usage(`${flag} needs a number >= ${min}`);
    return n;
  };
  const shareOf = (flag: string, value: string | undefined): number => {
    const n = number(flag, value);
    if (n > 1) usage(`${flag} is a share between 0 and 1`);
    return n;
  };

  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] as string;
    const next = () => argv[++i];
    switch (flag) {
      case "--port":
        port = number(flag, next());
        break;
      case "--rate":
        perSecond = number(flag, next(), 1);
        break;
      case "--concurrency":
        concurrency = number(flag, next(), 1);
        break;
      case "--no-limits":
        limits = false;
        break;
      case "--latency":
        faults.latencyMs = number(flag, next());
        break;
      case "--latency-range": {
        const value = next() ?? "";
        const match = /^(\d+)-(\d+)$/.exec(value);
        if (!match) usage("--latency-range needs MIN-MAX, e.g. 50-300");
        faults.latencyRangeMs = [Number(match[1]), Number(match[2])];
        break;
      }
      case "--share-429":
        faults.share429 = shareOf(flag, next());
        break;
      case "--share-500":
        faults.share500 = shareOf(flag, next());
        break;
      case "--share-503":
        faults.share503 = shareOf(flag, next());
        break;
      case "--share-hang":
        faults.shareHang = shareOf(flag, next());
        break;
      case "--retry-after":
        faults.retryAfterSeconds = number(flag, next());
        break;
      case "--client-id":
        options.clientId = next() ?? usage("--client-id needs a value");
        break;
      case "--client-secret":
        options.clientSecret = next() ?? usage("--client-secret needs a value");
        break;
      case "--token-ttl":
        options.tokenTtlSeconds = number(flag, next(), 1);
        break;
      case "--quiet":
        options.quiet = true;
        break;
      case "--help":
      case "-h":
        console.log("usage: npm run emulator -- [--port N] [--rate N] [--concurrency N] [--no-limits] [--latency MS] [--latency-range MIN-MAX] [--share-429 X] [--share-500 X] [--share-503 X] [--share-hang X] [--retry-after S] [--client-id ID] [--client-secret S] [--token-ttl S] [--quiet]");
        process.exit(0);
      default:
        usage(`unknown flag ${flag}`);
    }
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) usage("the port must be an integer between 0 and 65535");
  options.port = port;
  options.host = "127.0.0.1";
  options.rateLimit = limits ? { perSecond, concurrency } : false;
  if (Object.keys(faults).length > 0) options.faults = faults;
  return options;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
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
