import { Textarea } from "./input";

export const REASON_REQUIRED = "A reason is required: it is recorded in the audit log.";

/** The required reason of every action that changes something (it is recorded in the audit log). */
export function ReasonField({
  value,
  onChange,
  touched,
  autoFocus = false,
}: {
  value: string;
  onChange: (value: string) => void;
  /** Show the "required" error once the user tried to submit. */
  touched: boolean;
  autoFocus?: boolean;
}) {
  return (
    <Textarea
      label="Reason (required)"
      data-autofocus={autoFocus || undefined}
      required
      value={value}
      error={touched && !value.trim() ? REASON_REQUIRED : undefined}
      onChange={(event) => onChange(event.target.value)}
    />
  );
}
