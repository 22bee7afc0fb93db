import { Button } from "./button";

/** Cursor pagination: forward with the server's cursor, back through the cursors seen. */
export function Pager({
  hasPrevious,
  nextCursor,
  onFirst,
  onPrevious,
  onNext,
  busy,
}: {
  hasPrevious: boolean;
  nextCursor: string | null | undefined;
  onFirst: () => void;
  onPrevious: () => void;
  onNext: (cursor: string) => void;
  busy?: boolean;
}) {
  return (
    <nav aria-label="Pagination" className="flex items-center gap-2">
      <Button size="sm" disabled={!hasPrevious || busy} onClick={onFirst}>
        First page
      </Button>
      <Button size="sm" disabled={!hasPrevious || busy} onClick={onPrevious}>
        Previous
      </Button>
      <Button size="sm" disabled={!nextCursor || busy} onClick={() => nextCursor && onNext(nextCursor)}>
        Next
      </Button>
    </nav>
  );
}
