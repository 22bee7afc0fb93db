import { useState } from "react";
import { Button, Input, Modal, ReasonField, Select } from "@/components/ui";
import { RIGHTS, type Right } from "@/lib";
import { useRights } from "@/session";
import { JobRefusal, useJobSubmission } from "@/features/jobs";
import { ACK_EXPIRIES, DEFAULT_ACK_EXPIRY_S } from "@/features/drift/model";
import { driftKeys, startDriftJob, type DriftJobRequest } from "@/features/drift/queries";

/** What the guarded form starts: everything of a DriftJobRequest but the reason (and the expiry). */
export type DriftJobTarget =
  | { action: "reapply"; itemId: string; service: string; danger: boolean }
  | { action: "adopt"; itemId: string }
  | { action: "acknowledge"; itemId: string }
  | { action: "reload"; services: string[] };

const RIGHT: Record<DriftJobTarget["action"], Right> = {
  reapply: RIGHTS.deploymentsOperate,
  adopt: RIGHTS.deploymentsOperate,
  acknowledge: RIGHTS.deploymentsOperate,
  reload: RIGHTS.configWrite,
};

const KIND: Record<DriftJobTarget["action"], string> = {
  reapply: "drift.reapply",
  adopt: "drift.adopt",
  acknowledge: "drift.acknowledge",
  reload: "config.reload",
};

/**
 * A drift remedy or an acknowledgement as the usual guarded job form: a required reason, the
 * service name typed again when the remedy is dangerous (removing an orphan), the expiry of an
 * acknowledgement; then the job starts through useJobSubmission and the page follows it.
 */
export function DriftJobButton({
  target,
  label,
  description,
  variant = "secondary",
}: {
  target: DriftJobTarget;
  /** The button's text and the dialog's title, e.g. "Create it from the stack file". */
  label: string;
  /** What the job will do, in words. */
  description: string;
  variant?: "primary" | "secondary" | "danger";
}) {
  const rights = useRights();
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState("");
  const [confirm, setConfirm] = useState("");
  const [expiry, setExpiry] = useState(String(DEFAULT_ACK_EXPIRY_S));
  const [touched, setTouched] = useState(false);

  const close = () => {
    setOpen(false);
    setReason("");
    setConfirm("");
    setExpiry(String(DEFAULT_ACK_EXPIRY_S));
    setTouched(false);
    start.reset();
  };
  const start = useJobSubmission<DriftJobRequest>({
    start: startDriftJob,
    startedTitle: () => `${label}: ${KIND[target.action]} started`,
    invalidates: [driftKeys.all],
    beforeNavigate: close,
  });

  const mustType = target.action === "reapply" && target.danger ? target.service : null;
  const confirmed = mustType === null || confirm === mustType;

  const submit = () => {
    setTouched(true);
    const why = reason.trim();
    if (!why || !confirmed) return;
    switch (target.action) {
      case "reapply":
        // The API always wants the service name repeated; only a dangerous remedy makes the operator type it.
        return start.submit({ action: "reapply", itemId: target.itemId, reason: why, confirm: target.service });
      case "adopt":
        return start.submit({ action: "adopt", itemId: target.itemId, reason: why });
      case "acknowledge":
        return start.submit({ action: "acknowledge", itemId: target.itemId, reason: why, expiresInS: Number(expiry) });
      case "reload":
        return start.submit({ action: "reload", services: target.services, reason: why });
    }
  };

  return (
    <>
      <Button size="sm" variant={variant} disabledReason={rights.reasonIfMissing(RIGHT[target.action])} onClick={() => setOpen(true)}>
        {label}
      </Button>
      <Modal
        open={open}
        onClose={close}
        title={label}
        description={`${description} Starts a ${KIND[target.action]} job; it is recorded in the audit log with your reason.`}
        footer={
          <>
            <Button onClick={close}>Cancel</Button>
            <Button
              variant={variant === "danger" ? "danger" : "primary"}
              onClick={submit}
              disabled={!confirmed || start.isPending}
            >
              {start.isPending ? "Starting…" : start.isError ? "Retry" : target.action === "acknowledge" ? "Acknowledge" : "Start"}
            </Button>
          </>
        }
      >
        <form
          className="flex flex-col gap-3"
          onSubmit={(event) => {
            event.preventDefault();
            submit();
          }}
        >
          <p className="text-sm">{description}</p>
          {target.action === "reload" ? (
            <p className="text-sm">
              Instances: <code className="font-mono text-xs">{target.services.join(", ")}</code>
            </p>
          ) : null}
          {target.action === "acknowledge" ? (
            <Select
              label="Acknowledge for"
              options={ACK_EXPIRIES.map((e) => ({ value: String(e.seconds), label: e.label }))}
              value={expiry}
              onChange={(e) => setExpiry(e.target.value)}
            />
          ) : null}
          <ReasonField value={reason} onChange={setReason} touched={touched} autoFocus />
          {mustType !== null ? (
            <Input
              label={
                <>
                  Type <code className="font-mono font-semibold">{mustType}</code> to confirm
                </>
              }
              autoComplete="off"
              spellCheck={false}
              value={confirm}
              onChange={(e) => setConfirm(e.target.value)}
              hint={confirm && !confirmed ? "Does not match the service name yet." : undefined}
            />
          ) : null}
          {start.isError ? <JobRefusal error={start.error} title="The job could not be started" locked="this service" /> : null}
        </form>
      </Modal>
    </>
  );
}
