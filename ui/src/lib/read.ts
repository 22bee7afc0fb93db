// Reading bodies the UI does not control (problem+json, the Gateway's pass-through answers)
// field by field, without trusting their shape.

/** A non-empty string, else null. */
export function nonEmptyString(value: unknown): string | null {
  return typeof value === "string" && value.length > 0 ? value : null;
}

/** RFC 3339 text as is; epoch seconds (what the Gateway sends) as RFC 3339; else null. */
export function timestampText(value: unknown): string | null {
  if (typeof value === "number" && Number.isFinite(value)) return new Date(value * 1000).toISOString();
  return nonEmptyString(value);
}
