import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useNavigate } from "react-router";
import { isApiError } from "../../../api/errors";
import { startFlow, type RequestFlow } from "../../../api/identity";
import type { MigrationPlan, PlanStep } from "../../../api/types";
import { Button } from "../../../components/ui/button";
import { Input, Textarea } from "../../../components/ui/input";
import { Modal } from "../../../components/ui/modal";
import { Select } from "../../../components/ui/select";
import { ErrorIds, ErrorState, LoadingState } from "../../../components/ui/states";
import { StatusBadge } from "../../../components/ui/status-badge";
import { useToast } from "../../../components/ui/toast-context";
import { formatMeasure, planMigration, refusalFailures, useMigrateTenant, type Failure, type PlacementKind } from "../operations";

export interface MigrateModalProps {
  tenantId: string;
  kind: PlacementKind;
  /** The tenant's shard for this kind now. */
  currentShard: string | null;
  /** The kind's shard directory (from the placement map). */
  shards: readonly string[];
  onClose: () => void;
}

interface Submission {
  idempotencyKey: string;
  flow: RequestFlow;
  /** What was sent: a retry reuses the key only for the same body. */
  body: string;
}

function StepList({ steps, label }: { steps: readonly PlanStep[]; label: string }) {
  return (
    <ol className="flex list-decimal flex-col gap-1 pl-5 text-sm" aria-label={label}>
      {steps.map((step) => (
        <li key={step.name}>
          <code className="font-mono text-xs font-semibold">{step.name}</code>: {step.description}
        </li>
      ))}
    </ol>
  );
}

function FailureList({ failures }: { failures: readonly Failure[] }) {
  return (
    <ul className="flex flex-col gap-1 text-sm" aria-label="Failed invariants">
      {failures.map((failure) => (
        <li key={failure.name} className="rounded border border-red-300 bg-red-50 p-2 dark:border-red-800 dark:bg-red-950">
          <StatusBadge status="failed" /> <code className="font-mono text-xs font-semibold">{failure.name}</code>: measured{" "}
          {formatMeasure(failure.measured)}, threshold {formatMeasure(failure.threshold)}
          {failure.message ? <span className="block text-xs">{failure.message}</span> : null}
        </li>
      ))}
    </ul>
  );
}

function Preflight({ plan }: { plan: MigrationPlan }) {
  const failed = plan.preflight.checks.filter((check) => !check.ok).length;
  return (
    <section aria-labelledby="preflight-heading" className="flex flex-col gap-2">
      <h3 id="preflight-heading" className="text-sm font-semibold">
        Preflight: {plan.preflight.ok ? "all checks pass" : `${failed} of ${plan.preflight.checks.length} checks fail`}
      </h3>
      <table className="w-full text-left text-sm" aria-label="Preflight checks">
        <thead className="text-xs text-zinc-600 dark:text-zinc-400">
          <tr>
            <th scope="col" className="py-1 pr-2">Check</th>
            <th scope="col" className="py-1 pr-2">Result</th>
            <th scope="col" className="py-1 pr-2">Measured</th>
            <th scope="col" className="py-1 pr-2">Threshold</th>
            <th scope="col" className="py-1">Message</th>
          </tr>
        </thead>
        <tbody>
          {plan.preflight.checks.map((check) => (
            <tr key={check.name} className="border-t border-zinc-200 align-top dark:border-zinc-700" data-check={check.name}>
              <td className="py-1 pr-2 font-mono text-xs">{check.name}</td>
              <td className="py-1 pr-2">
                <StatusBadge status={check.ok ? "ok" : "failed"} />
              </td>
              <td className="py-1 pr-2">{formatMeasure(check.measured)}</td>
              <td className="py-1 pr-2">{formatMeasure(check.threshold)}</td>
              <td className="py-1 text-xs">{check.message}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** Why the server refused the migration: every failed invariant, the lock holder, or a stale plan. */
function Refusal({ error, onReplan }: { error: unknown; onReplan: () => void }) {
  if (!isApiError(error)) return <ErrorState error={error} title="The migration could not be started" />;
  const ids = <ErrorIds requestId={error.requestId} correlationId={error.correlationId} />;
  if (error.code === "preflight_refused") {
    return (
      <div role="alert" className="flex flex-col gap-2">
        <p className="text-sm font-semibold">Refused: the preflight fails. Nothing was changed.</p>
        <FailureList failures={refusalFailures(error)} />
        {ids}
      </div>
    );
  }
  if (error.code === "lock_held") {
    return (
      <div role="alert" className="flex flex-col gap-2 text-sm">
        <p className="font-semibold">Refused: another job holds this tenant's lock. Nothing was changed.</p>
        {error.jobId ? (
          <p>
            Holder:{" "}
            <Link className="font-mono text-sky-800 hover:underline dark:text-sky-300" to={`/jobs/${encodeURIComponent(error.jobId)}`}>
              {error.jobId}
            </Link>
            . Wait for it to end or cancel it, then plan again.
          </p>
        ) : null}
        {ids}
      </div>
    );
  }
  if (error.code === "plan_stale") {
    return (
      <div role="alert" className="flex flex-col items-start gap-2 text-sm">
        <p className="font-semibold">The plan is stale — re-plan. The placement, source, target or thresholds changed since it was made.</p>
        <Button onClick={onReplan}>Re-plan</Button>
        {ids}
      </div>
    );
  }
  return <ErrorState error={error} title="The migration could not be started" />;
}

/**
 * Plans a migration of one kind of a tenant, shows the plan and its preflight, and submits it
 * with the plan's hash after a reason and the typed tenant id. One submission keeps its
 * Idempotency-Key across retries; re-planning or reopening starts a new one.
 */
export function MigrateModal({ tenantId, kind, currentShard, shards, onClose }: MigrateModalProps) {
  const targets = shards.filter((shard) => shard !== currentShard);
  const [target, setTarget] = useState(targets[0] ?? "");
  const [reason, setReason] = useState("");
  const [confirmation, setConfirmation] = useState("");
  const [stopWithoutCompensation, setStopWithoutCompensation] = useState(false);
  const [touched, setTouched] = useState(false);
  const [submission, setSubmission] = useState<Submission | null>(null);
  const migrate = useMigrateTenant();
  const navigate = useNavigate();
  const toast = useToast();
  const queryClient = useQueryClient();

  const plan = useQuery({
    queryKey: ["migration-plan", tenantId, kind, target],
    queryFn: () => planMigration(tenantId, kind, target),
    enabled: target !== "",
    staleTime: 0,
    gcTime: 0,
    retry: false,
  });

  const replan = () => {
    setSubmission(null);
    migrate.reset();
    void plan.refetch();
  };

  const confirmed = confirmation === tenantId;
  const reasonError = touched && !reason.trim() ? "A reason is required: it is recorded in the audit log." : undefined;
  const planData = plan.data && !plan.isFetching ? plan.data : null;
  const canSubmit = Boolean(planData?.ok) && confirmed && !migrate.isPending;

  const submit = () => {
    setTouched(true);
    if (!planData || !confirmed || !reason.trim()) return;
    const body = JSON.stringify([target, planData.plan_hash, reason.trim(), stopWithoutCompensation]);
    const current = submission?.body === body ? submission : { idempotencyKey: crypto.randomUUID(), flow: startFlow(), body };
    setSubmission(current);
    migrate.mutate(
      {
        tenantId,
        kind,
        targetShard: target,
        planHash: planData.plan_hash,
        compensate: !stopWithoutCompensation,
        reason: reason.trim(),
        idempotencyKey: current.idempotencyKey,
        flow: current.flow,
      },
      {
        onSuccess: (job) => {
          toast.show({ tone: "success", title: `Migration of ${tenantId} started`, requestId: job.request_id, correlationId: job.correlation_id });
          void queryClient.invalidateQueries({ queryKey: ["tenant", tenantId] });
          void queryClient.invalidateQueries({ queryKey: ["jobs"] });
          onClose();
          navigate(`/jobs/${encodeURIComponent(job.id)}`);
        },
      },
    );
  };

  return (
    <Modal
      open
      size="lg"
      onClose={onClose}
      title={`Migrate ${tenantId} (${kind})`}
      description="Moves this tenant's kind to another shard as a job: drain on the source, switch the placement, reload and verify routing, resume on the target. A failure or cancel undoes it."
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button
            variant="primary"
            disabled={!canSubmit}
            onClick={submit}
            aria-describedby={!canSubmit ? "migrate-submit-hint" : undefined}
          >
            {migrate.isPending ? "Starting…" : migrate.isError ? "Retry migration" : "Start migration"}
          </Button>
        </>
      }
    >
      <form
        className="flex flex-col gap-4"
        aria-label="Migration"
        onSubmit={(event) => {
          event.preventDefault();
          if (canSubmit) submit();
        }}
      >
        {targets.length === 0 ? (
          <p className="text-sm">The {kind} shard directory has no shard other than {currentShard ?? "the current one"}: there is nowhere to migrate to.</p>
        ) : (
          <Select
            label="Target shard"
            options={targets.map((shard) => ({ value: shard, label: shard }))}
            value={target}
            onChange={(event) => {
              setTarget(event.target.value);
              setSubmission(null);
              migrate.reset();
            }}
          />
        )}
        {plan.isFetching ? <LoadingState label="Planning…" /> : null}
        {plan.isError && !plan.isFetching ? <ErrorState error={plan.error} title="The migration could not be planned" onRetry={replan} /> : null}
        {planData ? (
          <>
            <section aria-labelledby="plan-heading" className="flex flex-col gap-2">
              <h3 id="plan-heading" className="text-sm font-semibold">Plan</h3>
              <dl className="grid grid-cols-2 gap-2 text-sm md:grid-cols-4">
                <div>
                  <dt className="text-xs text-zinc-600 dark:text-zinc-400">Move</dt>
                  <dd data-testid="plan-move">
                    {planData.source_shard ?? "—"} → {planData.target_shard}
                  </dd>
                </div>
                <div>
                  <dt className="text-xs text-zinc-600 dark:text-zinc-400">Source entry</dt>
                  <dd>{planData.source_explicit ? "explicit" : "default shard"}</dd>
                </div>
                <div>
                  <dt className="text-xs text-zinc-600 dark:text-zinc-400">Placement revision</dt>
                  <dd>{planData.placement_revision ?? "—"}</dd>
                </div>
                <div>
                  <dt className="text-xs text-zinc-600 dark:text-zinc-400">Thresholds</dt>
                  <dd>
                    lag ≤ {planData.thresholds.max_lag}, inflight ≤ {planData.thresholds.max_inflight}
                  </dd>
                </div>
              </dl>
              <h4 className="text-xs font-semibold">Steps, in order</h4>
              <StepList steps={planData.steps} label="Plan steps" />
              <h4 className="text-xs font-semibold">If it fails or is cancelled, undo with</h4>
              <StepList steps={planData.compensation_steps} label="Compensation steps" />
            </section>
            <Preflight plan={planData} />
            {!planData.ok ? (
              <p className="text-sm font-medium" role="status">
                This migration would be refused now: fix the failed checks, then re-plan.{" "}
                <Button size="sm" onClick={replan}>
                  Re-plan
                </Button>
              </p>
            ) : null}
          </>
        ) : null}
        <Textarea label="Reason (required)" required value={reason} error={reasonError} onChange={(event) => setReason(event.target.value)} />
        <Input
          label={`Type the tenant id (${tenantId}) to confirm`}
          value={confirmation}
          autoComplete="off"
          spellCheck={false}
          onChange={(event) => setConfirmation(event.target.value)}
          hint={confirmation && !confirmed ? "Does not match the tenant id." : undefined}
        />
        <label className="flex items-start gap-2 rounded border border-amber-400 p-2 text-sm dark:border-amber-700">
          <input
            type="checkbox"
            className="mt-1"
            checked={stopWithoutCompensation}
            onChange={(event) => setStopWithoutCompensation(event.target.checked)}
          />
          <span>
            <strong>Dangerous: stop without compensation.</strong> On a failure or cancel the job stops where it is and does not undo
            anything; a human must finish or undo the migration.
          </span>
        </label>
        <p id="migrate-submit-hint" className="text-xs text-zinc-600 dark:text-zinc-400">
          {!planData
            ? "Waiting for the plan."
            : !planData.ok
              ? "The preflight fails: re-plan once it is fixed."
              : !confirmed
                ? "Type the tenant id exactly to enable the migration."
                : "Ready to start."}
        </p>
        {migrate.isError ? <Refusal error={migrate.error} onReplan={replan} /> : null}
      </form>
    </Modal>
  );
}
