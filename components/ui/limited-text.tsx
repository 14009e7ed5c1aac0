"use client";

import { useEffect, useRef, useState } from "react";

type Limited = { id: string; max: number };
type TextareaProps = React.TextareaHTMLAttributes<HTMLTextAreaElement> & Limited;
type InputProps = React.InputHTMLAttributes<HTMLInputElement> & Limited;

const format = (n: number) => n.toLocaleString("en-US");

/**
 * The length of a limited field, kept as it is typed. A controlled field's length comes from
 * its value; an uncontrolled one's from its input events, and again after its form resets.
 */
function useLength(value: unknown, defaultValue: unknown) {
  const ref = useRef<HTMLTextAreaElement & HTMLInputElement>(null);
  const [typed, setTyped] = useState(String(defaultValue ?? "").length);
  useEffect(() => {
    const form = ref.current?.form;
    if (!form) return;
    // A form reset changes the value without an input event: read it once the reset is done.
    const onReset = () => setTimeout(() => setTyped(ref.current?.value.length ?? 0));
    form.addEventListener("reset", onReset);
    return () => form.removeEventListener("reset", onReset);
  }, []);
  return { ref, length: value === undefined ? typed : String(value).length, setTyped };
}

/**
 * "12 / 2,000" under a field: said to screen readers through the field's description,
 * and announced politely only when few characters are left.
 */
function Counter({ id, length, max }: { id: string; length: number; max: number }) {
  const left = max - length;
  const near = left <= Math.max(10, Math.floor(max * 0.1));
  return (
    <p className={`text-right text-xs tabular-nums ${near ? "font-medium text-amber-800 dark:text-amber-300" : "text-zinc-600 dark:text-zinc-400"}`}>
      <span id={id} data-testid={id}>
        <span aria-hidden>
          {format(length)} / {format(max)}
        </span>
        <span className="sr-only">
          {format(length)} of {format(max)} characters used.
        </span>
      </span>
      <span aria-live="polite" className="sr-only">
        {near ? (left > 0 ? `${format(left)} characters left.` : "Character limit reached.") : ""}
      </span>
    </p>
  );
}

/** What both limited fields share: the length, maxLength, the description naming the counter, and the counter. */
function useLimited<T extends HTMLTextAreaElement | HTMLInputElement>(
  { id, max, value, defaultValue, onChange, "aria-describedby": given }: Limited & {
    value?: unknown;
    defaultValue?: unknown;
    onChange?: (e: React.ChangeEvent<T>) => void;
    "aria-describedby"?: string;
  },
) {
  const { ref, length, setTyped } = useLength(value, defaultValue);
  const counterId = `${id}-count`;
  return {
    field: {
      ref,
      id,
      maxLength: max,
      "aria-describedby": [given, counterId].filter(Boolean).join(" "),
      onChange: (e: React.ChangeEvent<T>) => {
        setTyped(e.target.value.length);
        onChange?.(e);
      },
    },
    counter: <Counter id={counterId} length={length} max={max} />,
  };
}

/** A textarea with the server's limit as maxLength and a visible counter (lib/text-limits.ts). */
export function LimitedTextarea({ id, max, onChange, "aria-describedby": given, ...props }: TextareaProps) {
  const { field, counter } = useLimited<HTMLTextAreaElement>({ id, max, value: props.value, defaultValue: props.defaultValue, onChange, "aria-describedby": given });
  return (
    <>
      <textarea {...props} {...field} />
      {counter}
    </>
  );
}

/** A one-line input with the server's limit as maxLength and a visible counter (lib/text-limits.ts). */
export function LimitedInput({ id, max, onChange, "aria-describedby": given, ...props }: InputProps) {
  const { field, counter } = useLimited<HTMLInputElement>({ id, max, value: props.value, defaultValue: props.defaultValue, onChange, "aria-describedby": given });
  return (
    <>
      <input {...props} {...field} />
      {counter}
    </>
  );
}
