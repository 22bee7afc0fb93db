import { queryOptions } from "@tanstack/react-query";
import { api, isApiError, unwrap, type paths } from "@/api";
import { compact } from "@/lib";

type RangeQuery = NonNullable<paths["/admin/v1/metrics/{name}"]["get"]["parameters"]["query"]>;
export type ServiceKind = NonNullable<RangeQuery["kind"]>;

/** The API's named queries (GET /admin/v1/metrics); the console sends names, never PromQL. */
export const METRICS_QUERIES = [
  "request_rate_by_service",
  "error_ratio_by_service",
  "p99_by_service",
  "p50_by_service",
  "request_rate_by_instance",
  "error_ratio_by_version",
  "p99_of_service_by_version",
  "tenant_gateway_inflight",
  "tenant_aggregate_inflight",
  "tenant_projection_lag",
  "nats_messages_in",
  "jetstream_pending",
  "node_cpu_busy",
] as const;
export type MetricsQueryName = (typeof METRICS_QUERIES)[number];

export interface MetricsParams {
  /** Seconds back from now (60 … 7 days). */
  range: number;
  /** Seconds between points (default: range / 300, at least 5). */
  step?: number;
  kind?: ServiceKind;
  service?: string;
  tenant?: string;
}

/** How often a chart asks again: a time series moves with time, and no event announces a new sample. */
export const CHART_REFRESH_MS = 30_000;

/** A 503 `metrics_unavailable`: no metrics store is configured, or it does not answer. */
export function isMetricsUnavailable(error: unknown): boolean {
  return isApiError(error) && error.status === 503 && error.code === "metrics_unavailable";
}

/** Query keys of the metrics feature. */
export const metricsKeys = {
  all: ["metrics"] as const,
  catalogue: () => [...metricsKeys.all, "catalogue"] as const,
  ranges: () => [...metricsKeys.all, "range"] as const,
  range: (name: MetricsQueryName, params: MetricsParams) => [...metricsKeys.ranges(), name, compact(params)] as const,
};

export const metricsQueries = {
  catalogue: () =>
    queryOptions({
      queryKey: metricsKeys.catalogue(),
      queryFn: async () => unwrap(await api.GET("/admin/v1/metrics")),
      staleTime: 10 * 60_000,
    }),

  range: (name: MetricsQueryName, params: MetricsParams) =>
    queryOptions({
      queryKey: metricsKeys.range(name, params),
      queryFn: async () =>
        unwrap(
          await api.GET("/admin/v1/metrics/{name}", {
            params: { path: { name }, query: compact({ ...params }) as RangeQuery },
          }),
        ),
      // "Unavailable" will say so again at once; ask again on the next refresh instead.
      retry: (failures, error) => !isMetricsUnavailable(error) && !(isApiError(error) && error.status < 500) && failures < 2,
      refetchInterval: CHART_REFRESH_MS,
      refetchIntervalInBackground: false,
      staleTime: 5_000,
    }),
};
