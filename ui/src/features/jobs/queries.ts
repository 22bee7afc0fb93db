import { keepPreviousData, queryOptions } from "@tanstack/react-query";
import { ACTIVE_JOB_STATUSES, api, flowHeaders, jobFlow, unwrap, type Job, type JobStatus, type RequestFlow } from "@/api";
import { compact, fallbackInterval, LIVE_REFETCH_MS } from "@/lib";

export interface JobFilters {
  kind?: string;
  status?: JobStatus;
  tenant_id?: string;
  since?: string;
  until?: string;
  cursor?: string;
  limit?: number;
}

/** Query keys of the jobs feature: invalidate `jobKeys.lists()` when a job was started. */
export const jobKeys = {
  all: ["jobs"] as const,
  lists: () => [...jobKeys.all, "list"] as const,
  list: (filters: JobFilters) => [...jobKeys.lists(), compact(filters)] as const,
  detail: (jobId: string) => [...jobKeys.all, "detail", jobId] as const,
  kinds: () => [...jobKeys.all, "kinds"] as const,
};

export function isActive(status: JobStatus): boolean {
  return ACTIVE_JOB_STATUSES.includes(status);
}

export const jobQueries = {
  list: (filters: JobFilters) =>
    queryOptions({
      queryKey: jobKeys.list(filters),
      queryFn: async () => unwrap(await api.GET("/admin/v1/jobs", { params: { query: compact(filters) } })),
      placeholderData: keepPreviousData,
      // The live stream keeps the list current; while it is down, poll (faster while a job on it runs).
      refetchInterval: (query) => fallbackInterval(query.state.data?.items.some((job) => isActive(job.status)) ? 2000 : LIVE_REFETCH_MS),
    }),

  /** One job; the live stream refetches it on every change, and while the stream is down it is polled every second until it ends. */
  detail: (jobId: string) =>
    queryOptions({
      queryKey: jobKeys.detail(jobId),
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
        return fallbackInterval(status === undefined || isActive(status) ? 1000 : false);
      },
    }),

  kinds: () =>
    queryOptions({
      queryKey: jobKeys.kinds(),
      queryFn: async () => unwrap(await api.GET("/admin/v1/jobs/kinds")),
      staleTime: 10 * 60_000,
    }),
};

/** Asks the server to cancel a running job; continues the job's request flow when known. */
export async function cancelJob(jobId: string): Promise<Job> {
  return unwrap(
    await api.POST("/admin/v1/jobs/{job_id}/cancel", {
      params: { path: { job_id: jobId } },
      headers: flowHeaders(jobFlow(jobId)),
    }),
  );
}

/** What one attempt of useJobSubmission sends besides its body: the Idempotency-Key and the request flow. */
export interface JobAttempt {
  idempotencyKey: string;
  flow: RequestFlow;
}

export interface StartJobInput {
  kind: string;
  reason: string;
  params: Record<string, unknown>;
  /** For tenant-scoped kinds: the tenant the job acts in (sent as x-tenant-id). */
  tenantId?: string | null;
}

/** POST /jobs/{kind}; meant as the `start` of `useJobSubmission`. */
export async function startJob(input: StartJobInput, attempt: JobAttempt): Promise<Job> {
  return unwrap(
    await api.POST("/admin/v1/jobs/kinds/{kind}", {
      params: { path: { kind: input.kind }, header: { "Idempotency-Key": attempt.idempotencyKey } },
      body: { reason: input.reason, params: input.params },
      headers: { ...flowHeaders(attempt.flow), ...(input.tenantId ? { "x-tenant-id": input.tenantId } : {}) },
    }),
  );
}
