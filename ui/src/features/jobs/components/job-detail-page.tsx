import { useQuery } from "@tanstack/react-query";
import { Link, useParams } from "react-router";
import type { Compensation, JobStep } from "@/api";
import { Page } from "@/components/layout";
import { IdChip, ErrorState, LoadingState, StatusBadge, RelativeTime } from "@/components/ui";
import { asJson, durationBetween, formatDuration, liveStream, RIGHTS, investigateHref, tenantHref, auditHref, useStore } from "@/lib";
import { useRights } from "@/session";
import { AuditTable, auditQueries } from "@/features/audit";
import { isActive, jobQueries } from "@/features/jobs/queries";
import { CancelJobButton } from "./cancel-job";
import { StepTimeline, StructuredError } from "./step-timeline";

const COMPENSATION_CAUSE: Record<Compensation["outcome"], string> = {
  failed: "failed",
  cancelled: "was cancelled",
  timed_out: "timed out",
};

function isCompensationStep(step: JobStep): boolean {
  return step.name.startsWith("compensate:");
}

function compensationState(steps: readonly JobStep[]): string {
  if (steps.length === 0) return "No undo step has started yet.";
  if (steps.some((step) => step.status === "failed")) return "An undo step failed: see the remediation.";
  if (steps.every((step) => step.status === "succeeded" || step.status === "skipped")) return "Every undo step completed.";
  return "Undo in progress.";
}

function Field({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="flex flex-col">
      <dt className="text-xs text-zinc-600 dark:text-zinc-400">{label}</dt>
      <dd className="text-sm">{children}</dd>
    </div>
  );
}

function JobDetailPage({ jobId }: { jobId: string }) {
  const job = useQuery(jobQueries.detail(jobId));
  const streamLive = useStore(liveStream).status === "live";
  const rights = useRights();
  const canReadAudit = rights.holdsAnywhere(RIGHTS.auditRead);
  const audit = useQuery({
    ...auditQueries.list({ correlation_id: job.data?.correlation_id ?? undefined, limit: 100 }),
    enabled: Boolean(job.data?.correlation_id) && canReadAudit,
  });
  const crumbs = [
    { label: "Control", to: "/" },
    { label: "Jobs", to: "/jobs" },
    { label: jobId },
  ];

  if (job.isPending) {
    return (
      <Page title="Job" crumbs={crumbs}>
        <LoadingState label="Loading job…" />
      </Page>
    );
  }
  if (job.isError) {
    return (
      <Page title="Job" crumbs={crumbs}>
        <ErrorState error={job.error} onRetry={() => void job.refetch()} />
      </Page>
    );
  }
  const data = job.data;
  const live = isActive(data.status);
  const mainSteps = (data.steps ?? []).filter((step) => !isCompensationStep(step));
  const compensationSteps = (data.steps ?? []).filter(isCompensationStep);
  return (
    <Page title={`Job ${data.kind}`} crumbs={crumbs} actions={live && data.status !== "cancelling" ? <CancelJobButton job={data} /> : null}>
      <section aria-label="Job summary" className="flex flex-col gap-3 rounded-lg border border-zinc-200 bg-white p-4 dark:border-zinc-800 dark:bg-zinc-900">
        <div className="flex flex-wrap items-center gap-2">
          <StatusBadge status={data.status} />
          <span role="status" aria-live="polite" className="text-xs text-zinc-600 dark:text-zinc-400">
            {live ? (streamLive ? "Live: updates as the job moves" : "Live: refreshing every second (the live stream is down)") : <RelativeTime prefix="Finished " value={data.finished_at} />}
          </span>
        </div>
        <dl className="grid grid-cols-2 gap-3 md:grid-cols-4">
          <Field label="Job id"><code className="font-mono text-xs break-all">{data.id}</code></Field>
          <Field label="Reason">{data.reason}</Field>
          <Field label="Created by">{data.created_by}</Field>
          <Field label="Tenant">
            {data.tenant_id ? (
              <Link className="text-sky-800 hover:underline dark:text-sky-300" to={tenantHref(data.tenant_id)}>
                {data.tenant_id}
              </Link>
            ) : (
              "—"
            )}
          </Field>
          <Field label="Created"><RelativeTime value={data.created_at} /></Field>
          <Field label="Started"><RelativeTime value={data.started_at} /></Field>
          <Field label="Finished"><RelativeTime value={data.finished_at} /></Field>
          <Field label="Duration">{formatDuration(durationBetween(data.started_at, data.finished_at))}</Field>
        </dl>
        <div className="flex flex-col gap-2">
          <h2 className="text-sm font-semibold">Created by request</h2>
          <div className="flex flex-wrap gap-2">
            <IdChip label="Request ID" value={data.request_id} />
            <IdChip label="Correlation ID" value={data.correlation_id} />
            <IdChip label="Trace ID" value={data.trace_id} />
          </div>
          <div className="flex flex-wrap gap-3 text-sm">
            {data.correlation_id ? (
              <Link className="text-sky-800 hover:underline dark:text-sky-300" to={investigateHref(data.correlation_id)}>
                Investigate correlation id
              </Link>
            ) : null}
            {data.request_id ? (
              <Link className="text-sky-800 hover:underline dark:text-sky-300" to={investigateHref(data.request_id)}>
                Investigate request id
              </Link>
            ) : null}
            {data.trace_id ? (
              <Link className="text-sky-800 hover:underline dark:text-sky-300" to={investigateHref(data.trace_id)}>
                Investigate trace
              </Link>
            ) : null}
            <Link className="text-sky-800 hover:underline dark:text-sky-300" to={auditHref({ job_id: data.id })}>
              Audit events of this job
            </Link>
            {data.tenant_id ? (
              <Link
                className="text-sky-800 hover:underline dark:text-sky-300"
                to={auditHref({ tenant_id: data.tenant_id })}
              >
                Audit events of tenant {data.tenant_id}
              </Link>
            ) : null}
          </div>
        </div>
        {Object.keys(data.params ?? {}).length > 0 ? (
          <details>
            <summary className="cursor-pointer text-sm">Parameters</summary>
            <pre className="mt-1 overflow-auto rounded bg-zinc-100 p-2 text-xs dark:bg-zinc-800">{asJson(data.params)}</pre>
          </details>
        ) : null}
        {data.error ? <StructuredError error={data.error} /> : null}
        {data.remediation ? (
          <div role="note" aria-label="Remediation" className="rounded-md border border-amber-400 bg-amber-50 p-2 dark:border-amber-700 dark:bg-amber-950">
            <h2 className="text-sm font-semibold">What to do</h2>
            <p className="mt-1 text-sm whitespace-pre-wrap">{data.remediation}</p>
          </div>
        ) : null}
        {data.summary ? (
          <div>
            <h2 className="text-sm font-semibold">Summary</h2>
            <p className="mt-1 text-sm whitespace-pre-wrap">{data.summary}</p>
          </div>
        ) : null}
      </section>
      <section aria-labelledby="steps-heading" className="flex flex-col gap-2">
        <h2 id="steps-heading" className="text-sm font-semibold">Steps</h2>
        <StepTimeline steps={mainSteps} />
      </section>
      {data.compensation || compensationSteps.length > 0 ? (
        <section aria-labelledby="compensation-heading" className="flex flex-col gap-2">
          <h2 id="compensation-heading" className="text-sm font-semibold">Compensation</h2>
          <p className="text-sm">
            {data.compensation
              ? `The job is undoing its changes because it ${COMPENSATION_CAUSE[data.compensation.outcome]}.`
              : "Undo steps of this job."}{" "}
            {compensationState(compensationSteps)}
          </p>
          {data.compensation?.error ? <StructuredError error={data.compensation.error} /> : null}
          <StepTimeline steps={compensationSteps} label="Compensation steps" />
        </section>
      ) : null}
      <section aria-labelledby="audit-heading" className="flex flex-col gap-2">
        <h2 id="audit-heading" className="text-sm font-semibold">Audit events</h2>
        {!canReadAudit ? (
          <p className="text-sm text-zinc-600 dark:text-zinc-400">Requires the right {RIGHTS.auditRead}.</p>
        ) : audit.isError ? (
          <ErrorState error={audit.error} />
        ) : audit.data ? (
          <AuditTable id="job-audit" events={audit.data.items} height="320px" />
        ) : (
          <LoadingState label="Loading audit events…" />
        )}
      </section>
    </Page>
  );
}

/** The route: a new jobId is a new page (fresh state). */
export default function JobDetailPageRoute() {
  const { jobId = "" } = useParams();
  return <JobDetailPage key={jobId} jobId={jobId} />;
}
