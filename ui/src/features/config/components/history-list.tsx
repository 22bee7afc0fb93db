import type { ConfigHistoryEntry } from "@/api";
import { Button, JobLink } from "@/components/ui";
import { formatTime, RIGHTS } from "@/lib";
import { useRights } from "@/session";

function PatchSummary({ patch }: { patch: ConfigHistoryEntry["patch"] }) {
  if (!patch) return <p className="text-xs text-zinc-600 dark:text-zinc-400">No patch recorded (the first revision seen, or a large change).</p>;
  return (
    <ul className="font-mono text-xs" aria-label="Diff against the previous revision">
      {patch.slice(0, 50).map((op, i) => (
        <li key={i}>
          {String(op.op)} {String(op.path) || "/"}
          {"value" in op ? ` = ${JSON.stringify(op.value).slice(0, 160)}` : ""}
        </li>
      ))}
      {patch.length > 50 ? <li>…{patch.length - 50} more operations</li> : null}
    </ul>
  );
}

/** The history timeline: who, when, why, which job, the diff against the previous revision. */
export function HistoryList({
  entries,
  current,
  readOnly,
  onRollback,
  busy,
}: {
  entries: readonly ConfigHistoryEntry[];
  current: string | null | undefined;
  readOnly: boolean;
  onRollback: (revision: string) => void;
  busy: boolean;
}) {
  const rights = useRights();
  if (entries.length === 0) return <p className="text-sm">No recorded change yet: the history starts with the first change made here.</p>;
  return (
    <ol aria-label="History" className="flex flex-col gap-2">
      {entries.map((e) => (
        <li key={`${e.revision}-${e.op}-${e.at}`} className="rounded border border-zinc-300 p-2 text-sm dark:border-zinc-700" aria-label={`Revision ${e.revision}`}>
          <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
            <strong>Revision {e.revision}</strong>
            <span>{e.op}</span>
            {e.revision === current ? <span className="rounded bg-emerald-100 px-1 text-xs text-emerald-900 dark:bg-emerald-900 dark:text-emerald-100">current</span> : null}
            <span>{e.op === "baseline" ? "seen before the first change made here" : formatTime(e.at)}</span>
            {e.actor ? <span>by {e.actor}</span> : null}
            {e.job_id ? <JobLink id={e.job_id} /> : null}
            {e.previous_revision ? <span className="text-xs">from revision {e.previous_revision}</span> : null}
            {e.revision !== current && !readOnly ? (
              <Button
                size="sm"
                variant="danger"
                disabled={busy}
                disabledReason={rights.reasonIfMissing(RIGHTS.configWrite)}
                onClick={() => onRollback(e.revision)}
                aria-label={`Roll back to revision ${e.revision}`}
              >
                Roll back to this
              </Button>
            ) : null}
          </div>
          {e.reason ? <p className="mt-1">Reason: {e.reason}</p> : null}
          <details className="mt-1">
            <summary className="cursor-pointer text-xs">Diff against the previous revision</summary>
            <PatchSummary patch={e.patch} />
          </details>
        </li>
      ))}
    </ol>
  );
}
