import { useState } from "react";

export interface CursorHistory {
  hasPrevious: boolean;
  next(cursor: string): void;
  previous(): void;
  first(): void;
}

/** Remembers the cursors of earlier pages so "Previous" can go back. */
export function useCursorHistory(cursor: string | undefined, setCursor: (cursor: string) => void): CursorHistory {
  const [history, setHistory] = useState<string[]>([]);
  return {
    hasPrevious: Boolean(cursor),
    next(nextCursor: string) {
      setHistory((current) => [...current, cursor ?? ""]);
      setCursor(nextCursor);
    },
    previous() {
      const previous = history.at(-1) ?? "";
      setHistory((current) => current.slice(0, -1));
      setCursor(previous);
    },
    first() {
      setHistory([]);
      setCursor("");
    },
  };
}
