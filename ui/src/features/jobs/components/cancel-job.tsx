import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { Job } from "@/api";
import { Button, Modal, ErrorState, useToast } from "@/components/ui";
import { RIGHTS } from "@/lib";
import { useRights } from "@/session";
import { cancelJob, jobKeys } from "@/features/jobs/queries";

export function CancelJobButton({ job }: { job: Job }) {
  const rights = useRights();
  const [open, setOpen] = useState(false);
  const toast = useToast();
  const queryClient = useQueryClient();
  const cancel = useMutation({
    mutationFn: cancelJob,
    onSuccess: (updated) => {
      queryClient.setQueryData(jobKeys.detail(updated.id), updated);
      toast.show({ tone: "info", title: "Cancellation requested", requestId: updated.request_id, correlationId: updated.correlation_id });
      setOpen(false);
    },
  });
  return (
    <>
      <Button variant="danger" disabledReason={rights.reasonIfMissing(RIGHTS.jobsRun, job.tenant_id)} onClick={() => setOpen(true)}>
        Cancel job
      </Button>
      <Modal
        open={open}
        onClose={() => {
          setOpen(false);
          cancel.reset();
        }}
        title="Cancel job"
        description={
          job.kind === "tenant.migrate"
            ? "Asks the running migration to stop: a running call or wait is interrupted, then the job undoes what it changed (unless compensation was switched off) and ends cancelled."
            : `Asks the running ${job.kind} job to stop after its current step.`
        }
        footer={
          <>
            <Button onClick={() => setOpen(false)}>Keep running</Button>
            <Button variant="danger" disabled={cancel.isPending} onClick={() => cancel.mutate(job.id)}>
              {cancel.isPending ? "Cancelling…" : "Cancel job"}
            </Button>
          </>
        }
      >
        {cancel.isError ? <ErrorState error={cancel.error} title="The job could not be cancelled" /> : null}
      </Modal>
    </>
  );
}
