import type { UseQueryResult } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { isApiError } from "@/api";
import { formatAgo } from "@/lib";

function useNow(intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), intervalMs);
    return () => window.clearInterval(timer);
  }, [intervalMs]);
  return now;
}

/**
 * When the data on screen was fetched, whether a background refresh is running, and whether the
 * last one failed (the previous data stays on screen, and this says so).
 */
export function UpdatedAgo({ query, label }: { query: Pick<UseQueryResult, "dataUpdatedAt" | "isFetching" | "isRefetchError" | "error">; label?: string }) {
  const now = useNow();
  if (!query.dataUpdatedAt) return null;
  const error = query.isRefetchError ? query.error : null;
  return (
    <p className="text-xs text-zinc-600 dark:text-zinc-400" data-testid="updated-ago">
      <span>
        {label ? `${label}: updated` : "Updated"} {formatAgo(query.dataUpdatedAt, Math.max(now, query.dataUpdatedAt))}
        {query.isFetching ? " · refreshing…" : ""}
      </span>
      {error ? (
        <span role="alert" className="ml-2 font-medium text-red-800 dark:text-red-300">
          Refresh failed ({isApiError(error) ? `HTTP ${error.status}` : error instanceof Error ? error.message : "error"}); showing the data from the last successful refresh.
        </span>
      ) : null}
    </p>
  );
}
