/** The options of `audit:verify` and `audit:reanchor`: `--name value` or `--name=value`, each at most once. */
export class UsageError extends Error {}

export function parseOptions(argv: string[], allowed: readonly string[]): Record<string, string> | "help" {
  const values: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i]!;
    if (raw === "--help" || raw === "-h") return "help";
    if (!raw.startsWith("--")) throw new UsageError(`Unexpected argument "${raw}".`);
    const eq = raw.indexOf("=");
    const flag = eq === -1 ? raw : raw.slice(0, eq);
    if (!allowed.includes(flag)) throw new UsageError(`Unknown option "${flag}".`);
    const value = eq === -1 ? argv[i + 1] : raw.slice(eq + 1);
    if (eq === -1) {
      if (value === undefined || value.startsWith("--")) throw new UsageError(`${flag} needs a value.`);
      i++;
    }
    if (flag in values) throw new UsageError(`${flag} was given twice.`);
    values[flag] = value!;
  }
  return values;
}
