/**
 * A bench's command line in one table: each option's default, which also says its kind —
 * `whole(n)` a positive number floored to a whole one, `positiveNumber(n)` a positive number,
 * a string `--name text`, `false` a `--flag`. Parsed by cliOptions; a number that is not
 * positive throws naming its `--name`, in the table's order.
 */
import { cliOptions, positive } from "../cli/args";

type NumberSpec = { kind: "whole" | "number"; default: number };
type Spec = NumberSpec | string | boolean;
type Values<T> = { [K in keyof T]: T[K] extends string ? string : T[K] extends boolean ? boolean : number };

export const whole = (defaultValue: number): NumberSpec => ({ kind: "whole", default: defaultValue });
export const positiveNumber = (defaultValue: number): NumberSpec => ({ kind: "number", default: defaultValue });

/** This process's options (process.argv after the script), each as its kind in `spec`. */
export function benchOptions<T extends Record<string, Spec>>(spec: T, args: string[] = process.argv.slice(2)): Values<T> {
  const specs = Object.entries(spec);
  const options = Object.fromEntries(
    specs.map(([name, s]) => [
      name,
      typeof s === "boolean" ? { type: "boolean" as const, default: s } : { type: "string" as const, default: typeof s === "string" ? s : String(s.default) },
    ]),
  );
  const values = cliOptions(options, args) as Record<string, string | boolean>;
  return Object.fromEntries(
    specs.map(([name, s]) => {
      const value = values[name]!;
      if (typeof s !== "object") return [name, value];
      const n = positive(name, value as string);
      return [name, s.kind === "whole" ? Math.floor(n) : n];
    }),
  ) as Values<T>;
}
