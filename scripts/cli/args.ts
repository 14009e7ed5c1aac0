/**
 * The scripts' command lines: options through node:util's parseArgs (`--name value`,
 * `--name=value`, `--flag`) for the benches (`cliOptions`) and the small CLIs' value
 * options with their usage errors (`parseOptions`), and a script's exit (`exitWithMain`).
 */
import { parseArgs, type ParseArgsConfig } from "node:util";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** A wrong command line: its message is for the person at the terminal. */
export class UsageError extends Error {}

/** The parsed options of this process (process.argv after the script); an unknown option or a missing value throws. */
export function cliOptions<T extends Options>(options: T, args: string[] = process.argv.slice(2)) {
  return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
}

/** `value` (an option's text) as a positive number, or an error naming `--name`. */
export function positive(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`);
  return n;
}

/**
 * A small CLI's value options (`allowed`, e.g. ["--reason"]), each at most once, keyed by
 * flag; "help" for --help or -h. A wrong command line throws a UsageError.
 */
export function parseOptions(argv: string[], allowed: readonly string[]): Record<string, string> | "help" {
  if (argv.some((arg) => arg === "--help" || arg === "-h")) return "help";
  const options: Options = Object.fromEntries(allowed.map((flag) => [flag.replace(/^--/, ""), { type: "string", multiple: true }]));
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError(usageMessage(error));
  }
  const result: Record<string, string> = {};
  for (const [name, given] of Object.entries(values) as Array<[string, string[]]>) {
    if (given.length > 1) throw new UsageError(`--${name} was given twice.`);
    result[`--${name}`] = given[0]!;
  }
  return result;
}

/** parseArgs's error, said as the CLIs have always said it. */
function usageMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const quoted = /'([^' ]*)/.exec(message)?.[1] ?? "";
  switch ((error as { code?: string }).code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `Unknown option "${quoted}".`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      return `${quoted} needs a value.`;
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      return `Unexpected argument "${quoted}".`;
    default:
      return message;
  }
}

/** Runs a script's `main` and exits with its code; an error is printed and exits 1. */
export function exitWithMain(main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
