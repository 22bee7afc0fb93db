import { useState } from "react";
import { Button, Modal, ReasonField } from "@/components/ui";
import type { Right } from "@/lib";
import { useRights } from "@/session";
import { useJobSubmission } from "@/features/jobs/job-submission";
import { startJob, type StartJobInput } from "@/features/jobs/queries";
import { JobRefusal } from "./job-refusal";

export interface ReasonJobButtonProps {
  /** The job kind and its params (POST /admin/v1/jobs/kinds/{kind}). */
  kind: string;
  params: Record<string, unknown>;
  right: Right;
  label: string;
  title: string;
  description: string;
  submitLabel: string;
  startedTitle: string;
  refusalTitle: string;
  variant?: "primary";
}

/** A button that starts a job after a confirmation asking for the required reason: the usual
 * job flow (refusals shown in place, then the job's page with its progress). */
export function ReasonJobButton(p: ReasonJobButtonProps) {
  const rights = useRights();
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState("");
  const [touched, setTouched] = useState(false);

  const close = () => {
    setOpen(false);
    setReason("");
    setTouched(false);
    start.reset();
  };
  const start = useJobSubmission<StartJobInput>({
    start: startJob,
    startedTitle: () => p.startedTitle,
    beforeNavigate: close,
  });

  const submit = () => {
    setTouched(true);
    if (!reason.trim()) return;
    start.submit({ kind: p.kind, reason: reason.trim(), params: p.params });
  };

  return (
    <>
      <Button variant={p.variant} disabledReason={rights.reasonIfMissing(p.right)} onClick={() => setOpen(true)}>
        {p.label}
      </Button>
      <Modal
        open={open}
        onClose={close}
        title={p.title}
        description={p.description}
        footer={
          <>
            <Button onClick={close}>Cancel</Button>
            <Button variant="primary" onClick={submit} disabled={start.isPending}>
              {start.isPending ? "Starting…" : start.isError ? "Retry" : p.submitLabel}
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
          <ReasonField value={reason} onChange={setReason} touched={touched} autoFocus />
          {start.isError ? <JobRefusal error={start.error} title={p.refusalTitle} /> : null}
        </form>
      </Modal>
    </>
  );
}
