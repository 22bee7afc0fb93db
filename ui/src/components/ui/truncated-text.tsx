import { cn } from "@/lib";
import { CopyButton } from "./copy-button";

/**
 * A long value that must fit its column: cut with an ellipsis, the full value on hover, and a
 * Copy button (shown on hover or focus of the row, always reachable by keyboard).
 */
export function TruncatedText({ value, label, mono = false, className }: { value: string | null | undefined; label: string; mono?: boolean; className?: string }) {
  if (!value) return <span className="text-zinc-600 dark:text-zinc-400">—</span>;
  return (
    <span className={cn("relative flex min-w-0 items-center", className)}>
      <span className={cn("min-w-0 truncate", mono && "font-mono text-xs")} title={value}>
        {value}
      </span>
      <CopyButton
        value={value}
        label={`${label}: ${value}`}
        // Over the end of the text, taking no width: shown on row hover or keyboard focus.
        className="absolute top-1/2 right-0 -translate-y-1/2 bg-white opacity-0 shadow-sm group-hover/row:opacity-100 focus:opacity-100 dark:bg-zinc-900"
      />
    </span>
  );
}
