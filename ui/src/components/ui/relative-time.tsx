import { cn, formatAbsolute, formatRelative, useNow } from "@/lib";

/** A time as "3 min ago", the absolute time (UTC and local) on hover and for assistive tech. */
export function RelativeTime({ value, className, prefix }: { value: string | null | undefined; className?: string; prefix?: string }) {
  const now = useNow();
  if (!value) return <span className={className}>—</span>;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return <span className={className}>{value}</span>;
  const absolute = formatAbsolute(value);
  return (
    <time dateTime={value} title={absolute} className={cn("whitespace-nowrap", className)}>
      {prefix}
      {formatRelative(at, Math.max(now, 0))}
    </time>
  );
}
