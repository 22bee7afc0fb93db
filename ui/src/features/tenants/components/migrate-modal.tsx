import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import type { MigrationPlan, PlanStep } from "@/api";
import { Button, ErrorState, Input, LoadingState, Modal, Select, StatusBadge, ReasonField } from "@/components/ui";
import { formatScalar } from "@/lib";
import { JobRefusal, useJobSubmission } from "@/features/jobs";
import { migrateTenant, tenantKeys, tenantQueries, type MigrateInput, type PlacementKind } from "@/features/tenants/queries";

export interface MigrateModalProps {
  tenantId: string;
  kind: PlacementKind;
  /** The tenant's shard for this kind now. */
  currentShard: string | null;
  /** The kind's shard directory (from the placement map). */
  shards: readonly string[];
  onClose: () => void;
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
            <th scope="col" className="py-1 pr-2">Value</th>
            <th scope="col" className="py-1 pr-2">Threshold</th>
            <th scope="col" className="py-1">Detail</th>
          </tr>
        </thead>
        <tbody>
          {plan.preflight.checks.map((check) => (
            <tr key={check.check} className="border-t border-zinc-200 align-top dark:border-zinc-700" data-check={check.check}>
              <td className="py-1 pr-2 font-mono text-xs">{check.check}</td>
              <td className="py-1 pr-2">
                <StatusBadge status={check.ok ? "ok" : "failed"} />
              </td>
              <td className="py-1 pr-2">{formatScalar(check.value)}</td>
              <td className="py-1 pr-2">{formatScalar(check.threshold)}</td>
              <td className="py-1 text-xs">{check.detail}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/**
 * Plans a migration of one kind of a tenant, shows the plan and its preflight, and submits it
 * with the plan's hash after a reason and the typed tenant id (through useJobSubmission:
 * re-planning or choosing another target starts a new attempt).
 */
export function MigrateModal({ tenantId, kind, currentShard, shards, onClose }: MigrateModalProps) {
  const targets = shards.filter((shard) => shard !== currentShard);
  const [target, setTarget] = useState(targets[0] ?? "");
  const [reason, setReason] = useState("");
  const [confirmation, setConfirmation] = useState("");
  const [stopWithoutCompensation, setStopWithoutCompensation] = useState(false);
  const [touched, setTouched] = useState(false);
  const migrate = useJobSubmission<MigrateInput>({
    start: migrateTenant,
    startedTitle: () => `Migration of ${tenantId} started`,
    invalidates: [tenantKeys.detail(tenantId)],
    beforeNavigate: onClose,
  });

  const plan = useQuery(tenantQueries.migrationPlan(tenantId, kind, target));

  const replan = () => {
    migrate.reset();
    void plan.refetch();
  };

  const confirmed = confirmation === tenantId;
  const planData = plan.data && !plan.isFetching ? plan.data : null;
  const canSubmit = Boolean(planData?.ok) && confirmed && !migrate.isPending;

  const submit = () => {
    setTouched(true);
    if (!planData || !confirmed || !reason.trim()) return;
    migrate.submit({
      tenantId,
      kind,
      targetShard: target,
      planHash: planData.plan_hash,
      compensate: !stopWithoutCompensation,
      reason: reason.trim(),
    });
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
        <ReasonField value={reason} onChange={setReason} touched={touched} />
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
        {migrate.isError ? <JobRefusal error={migrate.error} title="The migration could not be started" locked="this tenant" onReplan={replan} /> : null}
      </form>
    </Modal>
  );
}
