import { useState } from "react";
import { Button, Modal, ReasonField } from "@/components/ui";
import { RIGHTS } from "@/lib";
import { useRights } from "@/session";
import { useJobSubmission } from "@/features/jobs/job-submission";
import { startJob, type StartJobInput } from "@/features/jobs/queries";
import { JobRefusal } from "./job-refusal";

export const VERIFY_KIND = "platform.verify";

/** Starts platform verification after a confirmation with a required reason. */
export function RunVerificationButton() {
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
    startedTitle: () => "Platform verification started",
    beforeNavigate: close,
  });

  const submit = () => {
    setTouched(true);
    if (!reason.trim()) return;
    start.submit({ kind: VERIFY_KIND, reason: reason.trim(), params: {} });
  };


  return (
    <>
      <Button variant="primary" disabledReason={rights.reasonIfMissing(RIGHTS.jobsRun)} onClick={() => setOpen(true)}>
        Run platform verification
      </Button>
      <Modal
        open={open}
        onClose={close}
        title="Run platform verification"
        description="Starts a platform.verify job that checks the platform end to end. It is recorded in the audit log with your reason."
        footer={
          <>
            <Button onClick={close}>Cancel</Button>
            <Button variant="primary" onClick={submit} disabled={start.isPending}>
              {start.isPending ? "Starting…" : start.isError ? "Retry" : "Start verification"}
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
          {start.isError ? <JobRefusal error={start.error} title="The job could not be started" /> : null}
        </form>
      </Modal>
    </>
  );
}
