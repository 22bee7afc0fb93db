import { keepPreviousData, queryOptions, useMutation } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import { compact } from "../../lib/query-params";
import { flowHeaders, jobFlow, rememberJobFlow, type RequestFlow } from "../../api/identity";
import { ACTIVE_JOB_STATUSES, type Job, type JobStatus } from "../../api/types";

export interface JobFilters {
  kind?: string;
  status?: JobStatus;
  tenant_id?: string;
  since?: string;
  until?: string;
  cursor?: string;
  limit?: number;
}

export const jobsQuery = (filters: JobFilters) =>
  queryOptions({
    queryKey: ["jobs", compact(filters)],
    queryFn: async () => unwrap(await api.GET("/admin/v1/jobs", { params: { query: compact(filters) } })),
    placeholderData: keepPreviousData,
    // Keep the list current while any job on it is still running.
    refetchInterval: (query) => (query.state.data?.items.some((job) => isActive(job.status)) ? 2000 : false),
  });

export function isActive(status: JobStatus): boolean {
  return ACTIVE_JOB_STATUSES.includes(status);
}

/** One job; polled every second while it is still running. */
export const jobQuery = (jobId: string) =>
  queryOptions({
    queryKey: ["job", jobId],
    queryFn: async () =>
      unwrap(
        await api.GET("/admin/v1/jobs/{job_id}", {
          params: { path: { job_id: jobId } },
          // Polling a job we started continues that request's correlation and trace.
          headers: flowHeaders(jobFlow(jobId)),
        }),
      ),
    refetchInterval: (query) => {
      const status = query.state.data?.status;
      return status === undefined || isActive(status) ? 1000 : false;
    },
  });

export const jobKindsQuery = () =>
  queryOptions({
    queryKey: ["job-kinds"],
    queryFn: async () => unwrap(await api.GET("/admin/v1/jobs/kinds")),
    staleTime: 10 * 60_000,
  });

/** Asks the server to cancel a running job; continues the job's request flow when known. */
export async function cancelJob(jobId: string): Promise<Job> {
  return unwrap(
    await api.POST("/admin/v1/jobs/{job_id}/cancel", {
      params: { path: { job_id: jobId } },
      headers: flowHeaders(jobFlow(jobId)),
    }),
  );
}

export interface StartJobInput {
  kind: string;
  reason: string;
  params: Record<string, unknown>;
  /** Reused when the same submission is retried, so the server runs the job once. */
  idempotencyKey: string;
  flow: RequestFlow;
  /** For tenant-scoped kinds: the tenant the job acts in (sent as x-tenant-id). */
  tenantId?: string | null;
}

export async function startJob(input: StartJobInput): Promise<Job> {
  const job = unwrap(
    await api.POST("/admin/v1/jobs/{kind}", {
      params: { path: { kind: input.kind }, header: { "Idempotency-Key": input.idempotencyKey } },
      body: { reason: input.reason, params: input.params },
      headers: { ...flowHeaders(input.flow), ...(input.tenantId ? { "x-tenant-id": input.tenantId } : {}) },
    }),
  );
  rememberJobFlow(job.id, input.flow);
  return job;
}

export function useStartJob() {
  return useMutation({ mutationFn: startJob });
}
