import { cn } from "@/lib";
import { CopyButton } from "./copy-button";

/**
 * A long value that must fit its column: cut with an ellipsis, the full value on hover, and a
 * Copy button (shown on hover or focus of the row, always reachable by keyboard).
 */
export function TruncatedText({ value, label, mono = false, className }: { value: string | null | undefined; label: string; mono?: boolean; className?: string }) {
  if (!value) return <span className="text-zinc-600 dark:text-zinc-400">—</span>;
  return (
    <span className={cn("flex min-w-0 items-center gap-0.5", className)}>
      <span className={cn("min-w-0 truncate", mono && "font-mono text-xs")} title={value}>
        {value}
      </span>
      <CopyButton
        value={value}
        label={`${label}: ${value}`}
        className="shrink-0 opacity-0 group-hover/row:opacity-100 focus:opacity-100"
      />
    </span>
  );
}
