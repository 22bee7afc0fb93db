import { keepPreviousData, queryOptions } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import { liveQueryOptions } from "../../lib/live";
import { compact } from "../../lib/query-params";

export interface TenantFilters {
  q?: string;
  match?: "prefix" | "substring";
  cursor?: string;
  limit?: number;
}

export const tenantsQuery = (filters: TenantFilters) =>
  queryOptions({
    queryKey: ["tenants", compact(filters)],
    queryFn: async () => unwrap(await api.GET("/admin/v1/tenants", { params: { query: compact(filters) } })),
    placeholderData: keepPreviousData,
    ...liveQueryOptions,
  });

export const tenantQuery = (tenantId: string) =>
  queryOptions({
    queryKey: ["tenant", tenantId],
    queryFn: async () => unwrap(await api.GET("/admin/v1/tenants/{tenant_id}", { params: { path: { tenant_id: tenantId } } })),
    ...liveQueryOptions,
  });
