import { RIGHTS } from "@/lib";
import { ReasonJobButton } from "./reason-job-button";

export const VERIFY_KIND = "platform.verify";

/** Starts platform verification after a confirmation with a required reason. */
export function RunVerificationButton() {
  return (
    <ReasonJobButton
      kind={VERIFY_KIND}
      params={{}}
      right={RIGHTS.jobsRun}
      variant="primary"
      label="Run platform verification"
      title="Run platform verification"
      description="Starts a platform.verify job that checks the platform end to end. It is recorded in the audit log with your reason."
      submitLabel="Start verification"
      startedTitle="Platform verification started"
      refusalTitle="The job could not be started"
    />
  );
}
