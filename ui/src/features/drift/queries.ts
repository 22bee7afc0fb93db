import { queryOptions } from "@tanstack/react-query";
import { api, flowHeaders, unwrap, type Job } from "@/api";
import type { JobAttempt } from "@/features/jobs";
import type { DriftReport } from "./types";

/** Query keys of the drift feature. */
export const driftKeys = {
  all: ["drift"] as const,
  report: () => [...driftKeys.all, "report"] as const,
};

/** Drift changes without an event on the live stream (the Swarm, the instances): poll it. */
export const DRIFT_REFETCH_MS = 5000;

export const driftQueries = {
  /** The whole report (acknowledged items included); the page filters it. */
  report: () =>
    queryOptions({
      queryKey: driftKeys.report(),
      queryFn: async (): Promise<DriftReport> => {
        const report = unwrap(await api.GET("/admin/v1/platform/drift", { params: { query: { acknowledged: true } } }));
        if (!report) throw new Error("The drift report was empty.");
        return report;
      },
      refetchInterval: DRIFT_REFETCH_MS,
      refetchIntervalInBackground: false,
    }),
};

const idempotent = (attempt: JobAttempt) => ({
  header: { "Idempotency-Key": attempt.idempotencyKey },
});

/** One job a drift item's remedy (or its acknowledgement) starts; meant as the `start` of useJobSubmission. */
export type DriftJobRequest =
  | { action: "reapply"; itemId: string; reason: string; confirm: string }
  | { action: "adopt"; itemId: string; reason: string }
  | { action: "acknowledge"; itemId: string; reason: string; expiresInS: number }
  | { action: "reload"; services: string[]; reason: string };

export async function startDriftJob(input: DriftJobRequest, attempt: JobAttempt): Promise<Job> {
  const headers = flowHeaders(attempt.flow);
  switch (input.action) {
    case "reapply":
      return unwrap(
        await api.POST("/admin/v1/platform/drift/{item_id}/reapply", {
          params: { path: { item_id: input.itemId }, ...idempotent(attempt) },
          body: { reason: input.reason, confirm: input.confirm },
          headers,
        }),
      );
    case "adopt":
      return unwrap(
        await api.POST("/admin/v1/platform/drift/{item_id}/adopt", {
          params: { path: { item_id: input.itemId }, ...idempotent(attempt) },
          body: { reason: input.reason },
          headers,
        }),
      );
    case "acknowledge":
      return unwrap(
        await api.POST("/admin/v1/platform/drift/{item_id}/acknowledge", {
          params: { path: { item_id: input.itemId }, ...idempotent(attempt) },
          body: { reason: input.reason, expires_in_s: input.expiresInS },
          headers,
        }),
      );
    case "reload":
      return unwrap(
        await api.POST("/admin/v1/config/reload", {
          params: idempotent(attempt),
          body: { reason: input.reason, services: input.services },
          headers,
        }),
      );
  }
}
