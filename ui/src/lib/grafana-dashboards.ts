// The Grafana dashboards provisioned from grafana/dashboards/*.json, listed here so the console
// can link them without asking Grafana; dashboards.test.ts fails when this list and the files
// disagree (uid, title, template variables).

export interface DashboardInfo {
  uid: string;
  title: string;
  /** The dashboard's template variables (what a deep link may set with `var-<name>=`). */
  variables: readonly string[];
  description: string;
}

export const DASHBOARDS: readonly DashboardInfo[] = [
  { uid: "cl-ops-overview", title: "Cloudlysis / Operations overview", variables: ["service", "version"], description: "Golden signals per service, control API health, event bus and node pressure." },
  { uid: "cl-api-regression", title: "Cloudlysis / API regression & deployment", variables: ["service", "version"], description: "Old vs new version side by side around deploy annotations." },
  { uid: "cl-http-detail", title: "Cloudlysis / HTTP detail (Gateway)", variables: ["service", "version", "route", "tenant"], description: "Gateway traffic per route template, upstream calls, auth and rate limiting." },
  { uid: "cl-noisy-neighbor", title: "Cloudlysis / Noisy neighbor & tenant health", variables: ["service", "version", "tenant"], description: "Top 10 tenants by load, errors, in-flight work and lag." },
  { uid: "cl-workers", title: "Cloudlysis / Workers (Runner)", variables: ["service", "version", "tenant", "job_type"], description: "Runner job throughput, failures, duration, queues and worker saturation." },
  { uid: "cl-eventbus", title: "Cloudlysis / Event bus (JetStream)", variables: ["service", "version", "stream"], description: "Publish/consume metrics of the services and the NATS server's JetStream view." },
  { uid: "cl-bottlenecks", title: "Cloudlysis / Storage & event bus bottlenecks", variables: ["service", "version"], description: "Where write latency comes from: libmdbx, JetStream acks, backlog, projection lag, disk." },
  { uid: "cl-storage", title: "Cloudlysis / Storage (libmdbx + node disk)", variables: ["service", "version", "db"], description: "libmdbx environments of the Aggregate and Projection, and the node filesystems under them." },
  { uid: "cl-infra-exhaustion", title: "Cloudlysis / Infrastructure exhaustion", variables: ["service", "version", "node"], description: "Resources that run out: disk, memory, CPU, file descriptors, inodes, limits, map size." },
  { uid: "cl-cluster", title: "Cloudlysis / Cluster & orchestrator", variables: ["service", "version", "node"], description: "Docker Swarm state, containers per service and scrape health." },
  { uid: "cl-logs", title: "Cloudlysis / Logs", variables: ["service", "version", "level", "correlation_id", "search"], description: "Loki logs of platform services." },
  { uid: "cl-traces", title: "Cloudlysis / Traces", variables: ["service", "version"], description: "Tempo search, service graph and span metrics." },
];

/**
 * A deep link into one dashboard: `<grafana>/d/<uid>`, with `var-tenant` / `var-correlation_id`
 * when the dashboard has that variable and the console has a value for it, and the time range.
 */
export function dashboardUrl(
  base: string,
  dashboard: DashboardInfo,
  context: { tenant?: string | null; correlationId?: string | null; from?: string } = {},
): string {
  const params = new URLSearchParams({ from: context.from ?? "now-1h", to: "now" });
  if (context.tenant && dashboard.variables.includes("tenant")) params.set("var-tenant", context.tenant);
  if (context.correlationId && dashboard.variables.includes("correlation_id")) params.set("var-correlation_id", context.correlationId);
  return `${base.replace(/\/+$/, "")}/d/${encodeURIComponent(dashboard.uid)}?${params.toString()}`;
}
