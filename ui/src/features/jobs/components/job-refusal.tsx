import { isApiError } from "@/api";
import { Button, ErrorIds, ErrorState, JobLink } from "@/components/ui";
import { formatScalar } from "@/lib";
import { refusalChecks, type RefusalCheck } from "@/features/jobs/refusal";

export function CheckLine({ check }: { check: RefusalCheck }) {
  const measured = check.value !== null || check.threshold !== null;
  return (
    <li className="rounded border border-red-300 bg-red-50 p-2 dark:border-red-800 dark:bg-red-950">
      <code className="font-mono text-xs font-semibold">{check.check}</code>
      {measured ? `: measured ${formatScalar(check.value)}, threshold ${formatScalar(check.threshold)}.` : ":"}
      {check.detail ? ` ${check.detail}` : null}
    </li>
  );
}

/** Failed checks as a list (a refusal's, or a plan's verdict before submit). */
export function FailedChecks({ checks, label = "Failed checks" }: { checks: readonly RefusalCheck[]; label?: string }) {
  return (
    <ul className="flex flex-col gap-1" aria-label={label}>
      {checks.map((check, index) => (
        <CheckLine key={`${check.check}-${index}`} check={check} />
      ))}
    </ul>
  );
}

const refusedClass = "flex flex-col gap-2 rounded-lg border border-red-300 bg-red-50 p-3 text-sm dark:border-red-800 dark:bg-red-950";

/**
 * Why a job was not started, shown on the form that tried: a 422 refusal lists every failed
 * check with its measured value and threshold; a 409 `lock_held` links the job that holds the
 * lock; a 409 `plan_stale` offers to plan again (when the form plans); anything else is the
 * usual error panel titled `title`.
 */
export function JobRefusal({
  error,
  title,
  locked = "this resource",
  onReplan,
}: {
  error: unknown;
  /** e.g. "The migration could not be started". */
  title: string;
  /** What the lock protects, in words: "this tenant", "this service". */
  locked?: string;
  onReplan?: () => void;
}) {
  if (!isApiError(error)) return <ErrorState error={error} title={title} />;
  const ids = <ErrorIds requestId={error.requestId} correlationId={error.correlationId} />;
  const checks = refusalChecks(error);
  if (error.status === 422 && (checks.length > 0 || error.code === "preflight_refused")) {
    return (
      <section role="alert" aria-label="Refused" className={refusedClass}>
        <p className="font-semibold">Refused: the preflight fails. Nothing was changed.</p>
        <FailedChecks checks={checks} />
        {ids}
      </section>
    );
  }
  if (error.status === 409 && error.code === "lock_held") {
    return (
      <section role="alert" aria-label="Refused" className={refusedClass}>
        <p className="font-semibold">Refused: another job holds the lock on {locked}. Nothing was changed.</p>
        {error.detail ? <p>{error.detail}</p> : null}
        {error.jobId ? (
          <p>
            Holder: <JobLink id={error.jobId} />. Wait for it to end or cancel it, then try again.
          </p>
        ) : null}
        {ids}
      </section>
    );
  }
  if (error.status === 409 && error.code === "plan_stale" && onReplan) {
    return (
      <section role="alert" aria-label="Refused" className={refusedClass}>
        <p className="font-semibold">The plan is stale — re-plan. The placement, source, target or thresholds changed since it was made.</p>
        <div>
          <Button onClick={onReplan}>Re-plan</Button>
        </div>
        {ids}
      </section>
    );
  }
  return <ErrorState error={error} title={title} />;
}
