// Tenants: the list, one tenant, the migration plan (queries) and the operations that start a
// job: drain, resume, migrate (each meant as the `start` of useJobSubmission).
import { keepPreviousData, queryOptions } from "@tanstack/react-query";
import { api, flowHeaders, unwrap, type Job, type KindDetail } from "@/api";
import { compact, liveQueryOptions } from "@/lib";
import type { JobAttempt } from "@/features/jobs";

export type PlacementKind = KindDetail["kind"];
export const PLACEMENT_KINDS: readonly PlacementKind[] = ["aggregate", "projection", "runner"];

export interface TenantFilters {
  q?: string;
  match?: "prefix" | "substring";
  cursor?: string;
  limit?: number;
}

/** Query keys of the tenants feature. */
export const tenantKeys = {
  all: ["tenants"] as const,
  lists: () => [...tenantKeys.all, "list"] as const,
  list: (filters: TenantFilters) => [...tenantKeys.lists(), compact(filters)] as const,
  details: () => [...tenantKeys.all, "detail"] as const,
  detail: (tenantId: string) => [...tenantKeys.details(), tenantId] as const,
  migrationPlan: (tenantId: string, kind: PlacementKind, targetShard: string) =>
    [...tenantKeys.all, "migration-plan", tenantId, kind, targetShard] as const,
};

export const tenantQueries = {
  list: (filters: TenantFilters) =>
    queryOptions({
      queryKey: tenantKeys.list(filters),
      queryFn: async () => unwrap(await api.GET("/admin/v1/tenants", { params: { query: compact(filters) } })),
      placeholderData: keepPreviousData,
      ...liveQueryOptions,
    }),

  detail: (tenantId: string) =>
    queryOptions({
      queryKey: tenantKeys.detail(tenantId),
      queryFn: async () => unwrap(await api.GET("/admin/v1/tenants/{tenant_id}", { params: { path: { tenant_id: tenantId } } })),
      ...liveQueryOptions,
    }),

  /** No side effects: the ordered steps, preflight results and the hash a migrate must carry. Never cached. */
  migrationPlan: (tenantId: string, kind: PlacementKind, targetShard: string) =>
    queryOptions({
      queryKey: tenantKeys.migrationPlan(tenantId, kind, targetShard),
      queryFn: async () =>
        unwrap(
          await api.POST("/admin/v1/plans/tenants/{tenant_id}/migrate", {
            params: { path: { tenant_id: tenantId } },
            body: { kind, target_shard: targetShard },
          }),
        ),
      enabled: targetShard !== "",
      staleTime: 0,
      gcTime: 0,
      retry: false,
    }),
};

export interface MigrateInput {
  tenantId: string;
  reason: string;
  kind: PlacementKind;
  targetShard: string;
  planHash: string;
  compensate: boolean;
}

export async function migrateTenant(input: MigrateInput, attempt: JobAttempt): Promise<Job> {
  return unwrap(
    await api.POST("/admin/v1/tenants/{tenant_id}/migrate", {
      params: { path: { tenant_id: input.tenantId }, header: { "Idempotency-Key": attempt.idempotencyKey } },
      body: {
        reason: input.reason,
        kind: input.kind,
        target_shard: input.targetShard,
        plan_hash: input.planHash,
        compensate: input.compensate,
      },
      headers: flowHeaders(attempt.flow),
    }),
  );
}

export type TenantOp = "drain" | "resume";

export interface TenantOpInput {
  op: TenantOp;
  tenantId: string;
  reason: string;
  /** Omitted: every kind. */
  kinds: PlacementKind[] | null;
}

export async function runTenantOp(input: TenantOpInput, attempt: JobAttempt): Promise<Job> {
  const options = {
    params: { path: { tenant_id: input.tenantId }, header: { "Idempotency-Key": attempt.idempotencyKey } },
    body: { reason: input.reason, ...(input.kinds ? { kinds: input.kinds } : {}) },
    headers: flowHeaders(attempt.flow),
  };
  return unwrap(
    input.op === "drain"
      ? await api.POST("/admin/v1/tenants/{tenant_id}/drain", options)
      : await api.POST("/admin/v1/tenants/{tenant_id}/resume", options),
  );
}
