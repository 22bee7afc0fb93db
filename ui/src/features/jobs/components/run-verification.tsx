import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useNavigate } from "react-router";
import { isApiError } from "../../../api/errors";
import { startFlow, type RequestFlow } from "../../../api/identity";
import { Button } from "../../../components/ui/button";
import { Textarea } from "../../../components/ui/input";
import { Modal } from "../../../components/ui/modal";
import { ErrorState } from "../../../components/ui/states";
import { useToast } from "../../../components/ui/toast-context";
import { RIGHTS } from "../../../lib/rights";
import { useRights } from "../../auth/queries";
import { useStartJob } from "../queries";

export const VERIFY_KIND = "platform.verify";

interface Submission {
  idempotencyKey: string;
  flow: RequestFlow;
}

/**
 * Starts platform verification after a confirmation with a required reason. One submission
 * keeps its Idempotency-Key (and request flow) across retries; a new opening gets new ones.
 */
export function RunVerificationButton() {
  const rights = useRights();
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState("");
  const [touched, setTouched] = useState(false);
  const [submission, setSubmission] = useState<Submission | null>(null);
  const start = useStartJob();
  const navigate = useNavigate();
  const toast = useToast();
  const queryClient = useQueryClient();

  const close = () => {
    setOpen(false);
    setReason("");
    setTouched(false);
    setSubmission(null);
    start.reset();
  };

  const submit = () => {
    setTouched(true);
    if (!reason.trim()) return;
    const current = submission ?? { idempotencyKey: crypto.randomUUID(), flow: startFlow() };
    setSubmission(current);
    start.mutate(
      { kind: VERIFY_KIND, reason: reason.trim(), params: {}, ...current },
      {
        onSuccess: (job) => {
          toast.show({ tone: "success", title: "Platform verification started", requestId: job.request_id, correlationId: job.correlation_id });
          void queryClient.invalidateQueries({ queryKey: ["jobs"] });
          close();
          navigate(`/jobs/${encodeURIComponent(job.id)}`);
        },
        onError: (error) => {
          // The same key was already used: the job exists, so follow it.
          if (isApiError(error) && error.status === 409 && error.jobId) {
            close();
            navigate(`/jobs/${encodeURIComponent(error.jobId)}`);
          }
        },
      },
    );
  };

  const reasonError = touched && !reason.trim() ? "A reason is required: it is recorded in the audit log." : undefined;

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
          <Textarea
            label="Reason (required)"
            data-autofocus
            required
            value={reason}
            error={reasonError}
            onChange={(event) => setReason(event.target.value)}
          />
          {start.isError ? <ErrorState error={start.error} title="The job could not be started" /> : null}
        </form>
      </Modal>
    </>
  );
}
