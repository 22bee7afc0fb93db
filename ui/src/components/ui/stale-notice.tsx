import { formatDuration } from "@/lib";

/** Said when the API serves last-known-good data because its source is unreachable or old. */
export function StaleNotice({ stale, ageSeconds, what }: { stale: boolean; ageSeconds?: number | null; what: string }) {
  if (!stale) return null;
  return (
    <p role="status" className="rounded-md border border-amber-300 bg-amber-50 p-2 text-sm dark:border-amber-700 dark:bg-amber-950">
      Stale: the {what} shown is the last known good
      {ageSeconds !== null && ageSeconds !== undefined ? `, ${formatDuration(ageSeconds * 1000)} old` : ""}; its source did not
      answer.
    </p>
  );
}
