import { useEffect, useState } from "react";
import { isApiError, type ConfigPlan } from "@/api";
import { Button, Input, Modal, ReasonField } from "@/components/ui";
import { RIGHTS } from "@/lib";
import { useRights } from "@/session";
import { JobRefusal, useJobSubmission } from "@/features/jobs";
import { configKeys, startConfigChange, type ConfigRef } from "@/features/config/queries";
import { PlanView } from "./plan-view";
import { StaleView } from "./stale-view";

/**
 * Apply a plan (or a rollback plan): the reason and the config's name typed again, then a
 * `config.apply` / `config.rollback` job through useJobSubmission. A stale plan shows the
 * three-way view and offers to plan again against the current revision.
 */
export function ApplyModal({
  ref_,
  plan,
  open,
  onClose,
  onReplan,
  onStale,
  baseText,
  currentText,
  mineText,
}: {
  ref_: ConfigRef;
  plan: ConfigPlan;
  open: boolean;
  onClose: () => void;
  onReplan: () => void;
  /** The plan was stale: fetch what is there now (the "Current" pane shows it). */
  onStale: () => void;
  baseText: string;
  currentText: string | null;
  mineText: string | null;
}) {
  const rights = useRights();
  const [reason, setReason] = useState("");
  const [confirm, setConfirm] = useState("");
  const [touched, setTouched] = useState(false);
  const rollback = Boolean(plan.target_revision);
  const close = () => {
    setReason("");
    setConfirm("");
    setTouched(false);
    start.reset();
    onClose();
  };
  const start = useJobSubmission({
    start: startConfigChange,
    startedTitle: () => `${rollback ? "Rollback" : "Apply"} of ${ref_.domain}/${ref_.name} started`,
    invalidates: [configKeys.all],
    beforeNavigate: close,
  });
  const stale = isApiError(start.error) && start.error.status === 409 && start.error.code === "plan_stale";
  useEffect(() => {
    if (stale) onStale();
  }, [stale, onStale]);
  const submit = () => {
    setTouched(true);
    if (!reason.trim() || confirm !== ref_.name) return;
    start.submit({ ref: ref_, plan, reason: reason.trim(), confirm });
  };
  const verb = rollback ? `Roll back to revision ${plan.target_revision}` : "Apply";
  return (
    <Modal
      open={open}
      onClose={close}
      size="lg"
      title={`${verb}: ${ref_.domain}/${ref_.name} (${ref_.scope})`}
      description="Starts a job: compare-and-set write on the planned revision, reload of every affected instance, verification; a failed verification restores the previous revision. Recorded in the audit log with your reason."
      footer={
        <>
          <Button onClick={close}>Cancel</Button>
          <Button
            variant="danger"
            type="submit"
            form="config-apply"
            disabled={confirm !== ref_.name || !plan.ok || start.isPending}
            disabledReason={rights.reasonIfMissing(RIGHTS.configWrite)}
          >
            {start.isPending ? "Starting…" : start.isError ? "Retry" : verb}
          </Button>
        </>
      }
    >
      <form
        id="config-apply"
        className="flex flex-col gap-3"
        onSubmit={(event) => {
          event.preventDefault();
          submit();
        }}
      >
        <PlanView plan={plan} />
        <ReasonField value={reason} onChange={setReason} touched={touched} autoFocus />
        <Input
          label={`Type the config's name (${ref_.name}) to confirm`}
          value={confirm}
          onChange={(e) => setConfirm(e.target.value)}
          error={touched && confirm !== ref_.name ? "The name does not match." : undefined}
        />
        {start.isError ? <JobRefusal error={start.error} title="The change could not be started" locked="this config" onReplan={onReplan} /> : null}
        {stale ? <StaleView base={baseText} current={currentText} mine={mineText} /> : null}
      </form>
    </Modal>
  );
}
