import type { UseQueryResult } from "@tanstack/react-query";
import type { ReactNode } from "react";
import type { CursorHistory } from "../../lib/use-cursor-history";
import { Pager } from "./pager";
import { ErrorState, LoadingState } from "./states";

/** A cursor-paginated query: loading and error states, the page's content, then the pager. */
export function PagedResult<T extends { next_cursor?: string | null }>({
  query,
  pages,
  loadingLabel,
  children,
}: {
  query: UseQueryResult<T>;
  pages: CursorHistory;
  loadingLabel: string;
  children: (page: T) => ReactNode;
}) {
  // A failed background refetch keeps the last page on screen (UpdatedAgo says the refresh failed).
  if (query.data === undefined) {
    if (query.isError) return <ErrorState error={query.error} onRetry={() => void query.refetch()} />;
    return <LoadingState label={loadingLabel} />;
  }
  return (
    <>
      {children(query.data)}
      <Pager
        hasPrevious={pages.hasPrevious}
        nextCursor={query.data.next_cursor}
        onFirst={pages.first}
        onPrevious={pages.previous}
        onNext={pages.next}
        busy={query.isFetching}
      />
    </>
  );
}
