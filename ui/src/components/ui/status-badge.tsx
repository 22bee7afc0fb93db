import type { AuditOutcome, JobStatus } from "@/api";
import { cn } from "@/lib";

type Tone = "neutral" | "info" | "success" | "danger" | "warning";

const tones: Record<Tone, string> = {
  neutral: "bg-zinc-200 text-zinc-800 dark:bg-zinc-700 dark:text-zinc-100",
  info: "bg-sky-100 text-sky-900 dark:bg-sky-900 dark:text-sky-100",
  success: "bg-emerald-100 text-emerald-900 dark:bg-emerald-900 dark:text-emerald-100",
  danger: "bg-red-100 text-red-900 dark:bg-red-900 dark:text-red-100",
  warning: "bg-amber-100 text-amber-900 dark:bg-amber-900 dark:text-amber-100",
};

const statusTone: Record<string, Tone> = {
  pending: "neutral",
  running: "info",
  cancelling: "warning",
  succeeded: "success",
  accepted: "info",
  failed: "danger",
  denied: "danger",
  refused: "warning",
  cancelled: "neutral",
  timed_out: "danger",
  skipped: "neutral",
  ok: "success",
  ready: "success",
  active: "success",
  failing: "danger",
  not_ready: "warning",
  unreachable: "danger",
  unknown: "neutral",
  degraded: "warning",
  down: "danger",
  serving: "success",
  draining: "info",
  resuming: "info",
  migrating: "info",
  drained: "warning",
  attention: "danger",
};

export function StatusBadge({ status, className }: { status: JobStatus | AuditOutcome | string; className?: string }) {
  const tone = statusTone[status] ?? "neutral";
  return (
    <span
      className={cn("inline-flex items-center rounded-full px-2 py-0.5 text-xs font-medium", tones[tone], className)}
      data-status={status}
    >
      {status.replace(/_/g, " ")}
    </span>
  );
}
