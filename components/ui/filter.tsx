import { cn } from "./cn";
import { inputClass } from "./field";

export type SelectOption = { value: string; label: string };

/** The `<option>`s of a select, one per `{ value, label }`. */
export function Options({ options }: { options: readonly SelectOption[] }) {
  return options.map((o) => (
    <option key={o.value} value={o.value}>
      {o.label}
    </option>
  ));
}

/**
 * A control of a GET filter form (server-rendered, works without JavaScript): a
 * small label above it. The id is the caller's, since a page has one filter form.
 */
export function FilterField({ id, label, children }: { id: string; label: string; children: React.ReactNode }) {
  return (
    <div className="space-y-1">
      <label htmlFor={id} className="block text-xs font-medium text-zinc-600 dark:text-zinc-400">
        {label}
      </label>
      {children}
    </div>
  );
}

/** A filter select whose first option, `all`, means no filter (the empty value). */
export function FilterSelect({
  id,
  name,
  label,
  value,
  all,
  options,
  className,
}: {
  id: string;
  name: string;
  label: string;
  value: string | undefined;
  all: string;
  options: readonly SelectOption[];
  className?: string;
}) {
  return (
    <FilterField id={id} label={label}>
      <select id={id} name={name} defaultValue={value ?? ""} className={cn(inputClass, className)}>
        <option value="">{all}</option>
        <Options options={options} />
      </select>
    </FilterField>
  );
}
