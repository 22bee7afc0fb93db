import type { UseQueryResult } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { ErrorState, LoadingState } from "./states";

/** A query's content once it has data; loading and error states until then. A failed background
 * refetch keeps the last data on screen (UpdatedAgo says the refresh failed). */
export function QueryResult<T>({
  query,
  loadingLabel,
  children,
}: {
  query: UseQueryResult<T>;
  loadingLabel: string;
  children: (data: T) => ReactNode;
}) {
  if (query.data === undefined) {
    if (query.isError) return <ErrorState error={query.error} onRetry={() => void query.refetch()} />;
    return <LoadingState label={loadingLabel} />;
  }
  return <>{children(query.data)}</>;
}
