import type { JobError, JobStep } from "@/api";
import { StatusBadge, RelativeTime } from "@/components/ui";
import { asJson, durationBetween, formatDuration } from "@/lib";

export function StructuredError({ error }: { error: JobError }) {
  return (
    <div className="rounded-md border border-red-300 bg-red-50 p-2 text-xs dark:border-red-800 dark:bg-red-950" role="note" aria-label="Error">
      <p>
        <code className="font-mono font-semibold">{error.code}</code>: {error.message}
      </p>
      <p className="text-zinc-700 dark:text-zinc-300">{error.retryable ? "Retryable" : "Not retryable"}</p>
    </div>
  );
}

export function StepTimeline({ steps, label = "Steps" }: { steps: readonly JobStep[]; label?: string }) {
  if (steps.length === 0) {
    return <p className="text-sm text-zinc-600 dark:text-zinc-400">No steps have started yet.</p>;
  }
  return (
    <ol className="flex flex-col gap-0 border-l-2 border-zinc-200 dark:border-zinc-700" aria-label={label}>
      {steps.map((step, index) => (
        <li key={`${step.name}-${index}`} className="relative ml-4 pb-4">
          <span className="absolute top-1.5 -left-[1.4rem] h-2.5 w-2.5 rounded-full bg-zinc-400 ring-2 ring-white dark:ring-zinc-950" aria-hidden="true" />
          <div className="flex flex-wrap items-center gap-2">
            <span className="font-mono text-sm font-medium">{step.name}</span>
            <StatusBadge status={step.status} />
            <span className="text-xs text-zinc-600 dark:text-zinc-400">
              {step.attempts} attempt{step.attempts === 1 ? "" : "s"} ·{" "}
              {formatDuration(step.duration_ms ?? durationBetween(step.started_at, step.finished_at))}
            </span>
          </div>
          <p className="text-xs text-zinc-600 dark:text-zinc-400">
            <RelativeTime value={step.started_at} /> → <RelativeTime value={step.finished_at} />
          </p>
          {step.error ? <StructuredError error={step.error} /> : null}
          {step.output && Object.keys(step.output).length > 0 ? (
            <details className="mt-1">
              <summary className="cursor-pointer text-xs text-sky-800 dark:text-sky-300">Output</summary>
              <pre className="mt-1 max-h-64 overflow-auto rounded bg-zinc-100 p-2 text-xs dark:bg-zinc-800">{asJson(step.output)}</pre>
            </details>
          ) : null}
        </li>
      ))}
    </ol>
  );
}
