import type { UseQueryResult } from "@tanstack/react-query";
import type { ReactNode } from "react";
import type { CursorHistory } from "@/lib";
import { Pager } from "./pager";
import { QueryResult } from "./query-result";

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
  return (
    <QueryResult query={query} loadingLabel={loadingLabel}>
      {(page) => (
        <>
          {children(page)}
          <Pager
            hasPrevious={pages.hasPrevious}
            nextCursor={page.next_cursor}
            onFirst={pages.first}
            onPrevious={pages.previous}
            onNext={pages.next}
            busy={query.isFetching}
          />
        </>
      )}
    </QueryResult>
  );
}
