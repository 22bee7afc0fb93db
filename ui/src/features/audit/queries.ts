import { keepPreviousData, queryOptions } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import { compact } from "../../lib/query-params";
import type { AuditOutcome } from "../../api/types";

export interface AuditFilters {
  actor?: string;
  action?: string;
  tenant_id?: string;
  outcome?: AuditOutcome;
  since?: string;
  until?: string;
  correlation_id?: string;
  job_id?: string;
  cursor?: string;
  limit?: number;
}

export type ExportFormat = "ndjson" | "csv";

export const auditQuery = (filters: AuditFilters) =>
  queryOptions({
    queryKey: ["audit", compact(filters)],
    queryFn: async () => unwrap(await api.GET("/admin/v1/audit", { params: { query: compact(filters) } })),
    placeholderData: keepPreviousData,
  });

/** Downloads the export through the client, so it carries the auth header and request ids. */
export async function exportAudit(filters: AuditFilters, format: ExportFormat): Promise<Blob> {
  const { cursor: _cursor, limit: _limit, ...rest } = filters;
  const result = await api.GET("/admin/v1/audit/export", {
    params: { query: { ...compact(rest), format } },
    parseAs: "blob",
  });
  return unwrap(result as { data?: Blob; response: Response });
}
