/** The white card most settings forms sit in. */
export const formCardClass = "space-y-4 rounded-lg bg-white p-6 ring-1 ring-zinc-200 dark:bg-zinc-900 dark:ring-zinc-800";

/**
 * A form whose fields the server validates (`noValidate`: the action's field errors are shown, not the
 * browser's): submitting hands the form's data to `onData` instead of navigating.
 */
export function FormCard({
  onData,
  className = formCardClass,
  ...props
}: Omit<React.ComponentProps<"form">, "onSubmit"> & { onData: (data: FormData) => void }) {
  return (
    <form
      {...props}
      noValidate
      className={className}
      onSubmit={(e) => {
        e.preventDefault();
        onData(new FormData(e.currentTarget));
      }}
    />
  );
}
