import { Field, inputClass } from "./field";

/**
 * The "Environment" select of a form: "Choose an environment…" then each environment by name, with `note`'s
 * text after the name and disabled where `disabled` says so.
 */
export function EnvironmentField<E extends { id: string; name: string }>({
  name,
  errors,
  value,
  onChange,
  environments,
  note,
  disabled,
}: {
  name: string;
  errors?: string[];
  value: string;
  onChange: (environmentId: string) => void;
  environments: readonly E[];
  note: (environment: E) => string;
  disabled?: (environment: E) => boolean;
}) {
  return (
    <Field label="Environment" name={name} errors={errors}>
      {(p) => (
        <select {...p} value={value} onChange={(e) => onChange(e.target.value)} className={inputClass}>
          <option value="">Choose an environment…</option>
          {environments.map((e) => (
            <option key={e.id} value={e.id} disabled={disabled?.(e)}>
              {e.name}
              {note(e)}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}
