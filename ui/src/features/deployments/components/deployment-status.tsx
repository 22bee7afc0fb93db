import { cn } from "@/lib";
import type { DeploymentStatus } from "@/features/deployments/types";

const tones: Record<string, string> = {
  completed: "bg-emerald-100 text-emerald-900 dark:bg-emerald-900 dark:text-emerald-100",
  rollback_completed: "bg-emerald-100 text-emerald-900 dark:bg-emerald-900 dark:text-emerald-100",
  in_progress: "bg-sky-100 text-sky-900 dark:bg-sky-900 dark:text-sky-100",
  updating: "bg-sky-100 text-sky-900 dark:bg-sky-900 dark:text-sky-100",
  running: "bg-emerald-100 text-emerald-900 dark:bg-emerald-900 dark:text-emerald-100",
  rolling_back: "bg-amber-100 text-amber-900 dark:bg-amber-900 dark:text-amber-100",
  rollback_started: "bg-amber-100 text-amber-900 dark:bg-amber-900 dark:text-amber-100",
  rolled_back: "bg-amber-100 text-amber-900 dark:bg-amber-900 dark:text-amber-100",
  paused: "bg-red-100 text-red-900 dark:bg-red-900 dark:text-red-100",
  rollback_paused: "bg-red-100 text-red-900 dark:bg-red-900 dark:text-red-100",
  failed: "bg-red-100 text-red-900 dark:bg-red-900 dark:text-red-100",
  rejected: "bg-red-100 text-red-900 dark:bg-red-900 dark:text-red-100",
};

/** A deployment, update or task state, always written out in words (colour is only a hint). */
export function StateBadge({ state, className }: { state: DeploymentStatus | string | null | undefined; className?: string }) {
  const value = state ?? "none";
  return (
    <span
      className={cn(
        "inline-flex items-center rounded-full px-2 py-0.5 text-xs font-medium",
        tones[value] ?? "bg-zinc-200 text-zinc-800 dark:bg-zinc-700 dark:text-zinc-100",
        className,
      )}
      data-status={value}
    >
      {value.replace(/_/g, " ")}
    </span>
  );
}
