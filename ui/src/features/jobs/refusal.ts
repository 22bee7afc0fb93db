// A 422 `preflight_refused` answer lists the checks that failed in `failures[]`. The API writes
// them in two shapes today and will write one later; this is the one reader for all three:
//   tenant operations  {name, ok, measured, threshold, message}
//   Swarm deployments  {check, detail}
//   unified (planned)  {check, ok, value, threshold, detail}
import { isApiError } from "@/api";

export type CheckValue = string | number | boolean | null;

/** One failed check of a refusal, whatever shape the API sent it in. */
export interface RefusalCheck {
  check: string;
  /** False for a failed check; null when the item does not say. */
  ok: boolean | null;
  /** What was measured (`value`, or `measured` in the tenant shape). */
  value: CheckValue;
  threshold: CheckValue;
  /** Why it failed in words (`detail`, or `message` in the tenant shape). */
  detail: string;
}

function scalar(value: unknown): CheckValue {
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean" ? value : null;
}

function text(value: unknown): string | null {
  return typeof value === "string" && value.length > 0 ? value : null;
}

/** Reads one `failures[]` item of any of the three shapes; unknown fields are ignored. */
export function parseRefusalCheck(raw: unknown): RefusalCheck {
  const item = raw && typeof raw === "object" && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
  return {
    check: text(item.check) ?? text(item.name) ?? "unknown check",
    ok: typeof item.ok === "boolean" ? item.ok : null,
    value: "value" in item ? scalar(item.value) : scalar(item.measured),
    threshold: scalar(item.threshold),
    detail: text(item.detail) ?? text(item.message) ?? "",
  };
}

/** Every failed check of a 422 refusal (empty for any other error). Items that say ok are left out. */
export function refusalChecks(error: unknown): RefusalCheck[] {
  if (!isApiError(error) || error.status !== 422) return [];
  const raw = (error.problem as Record<string, unknown> | null)?.failures;
  if (!Array.isArray(raw)) return [];
  return raw.map(parseRefusalCheck).filter((check) => check.ok !== true);
}
