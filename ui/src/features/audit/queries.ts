import { keepPreviousData, queryOptions } from "@tanstack/react-query";
import { api, unwrap, type AuditOutcome } from "@/api";
import { compact, fallbackInterval, LIVE_REFETCH_MS } from "@/lib";

export interface AuditFilters {
  /** Case-insensitive substring of actor, action or target. */
  q?: string;
  actor?: string;
  action?: string;
  tenant_id?: string;
  outcome?: AuditOutcome[];
  exclude_outcome?: AuditOutcome[];
  since?: string;
  until?: string;
  correlation_id?: string;
  job_id?: string;
  cursor?: string;
  limit?: number;
  /** One row (with `repeat`) for a run of denials of one right to one principal. */
  collapse_denials?: boolean;
  /** Ask for `total` (capped at 10,000: `total_capped`). */
  count?: boolean;
}

export type ExportFormat = "ndjson" | "csv";

/** Query keys of the audit feature. */
export const auditKeys = {
  all: ["audit"] as const,
  lists: () => [...auditKeys.all, "list"] as const,
  list: (filters: AuditFilters) => [...auditKeys.lists(), compact(filters)] as const,
};

export const auditQueries = {
  list: (filters: AuditFilters) =>
    queryOptions({
      queryKey: auditKeys.list(filters),
      queryFn: async () => unwrap(await api.GET("/admin/v1/audit", { params: { query: compact(filters) } })),
      placeholderData: keepPreviousData,
      // The live stream refetches audit lists on every new event; poll only while it is down.
      refetchInterval: () => fallbackInterval(LIVE_REFETCH_MS),
    }),
};

/** Downloads the export through the client, so it carries the auth header and request ids. */
export async function exportAudit(filters: AuditFilters, format: ExportFormat): Promise<Blob> {
  const { cursor: _cursor, limit: _limit, collapse_denials: _collapse, count: _count, ...rest } = filters;
  const result = await api.GET("/admin/v1/audit/export", {
    params: { query: { ...compact(rest), format } },
    parseAs: "blob",
  });
  return unwrap(result as { data?: Blob; response: Response });
}
