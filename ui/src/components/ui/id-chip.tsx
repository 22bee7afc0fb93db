import { cn, shortId } from "@/lib";
import { CopyButton } from "./copy-button";

/** An id shown in monospace, shortened when asked, always copyable in full. */
export function IdChip({
  label,
  value,
  short = false,
  className,
}: {
  label: string;
  value: string | null | undefined;
  short?: boolean;
  className?: string;
}) {
  if (!value) {
    return <span className="text-xs text-zinc-600 dark:text-zinc-400">{label}: —</span>;
  }
  return (
    <span
      className={cn(
        "inline-flex max-w-full items-center gap-1 rounded border border-zinc-200 bg-zinc-100 py-0.5 pl-1.5 text-xs dark:border-zinc-700 dark:bg-zinc-800",
        className,
      )}
      data-testid={`id-chip-${label.toLowerCase().replace(/\s+/g, "-")}`}
    >
      <span className="text-zinc-600 dark:text-zinc-400">{label}</span>
      <code className="truncate font-mono text-zinc-900 dark:text-zinc-100" title={value}>
        {short ? shortId(value) : value}
      </code>
      <CopyButton value={value} label={label} />
    </span>
  );
}
