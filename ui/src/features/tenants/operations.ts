// Tenant operations: drain, resume and migrate (each a job), and the migration plan.
import { useMutation } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import { isApiError } from "../../api/errors";
import { flowHeaders, rememberJobFlow, type RequestFlow } from "../../api/identity";
import type { Job, KindDetail, MigrationPlan, PreflightCheck } from "../../api/types";

export type PlacementKind = KindDetail["kind"];
export const PLACEMENT_KINDS: readonly PlacementKind[] = ["aggregate", "projection", "runner"];

/** No side effects: the ordered steps, preflight results and the hash a migrate must carry. */
export async function planMigration(tenantId: string, kind: PlacementKind, targetShard: string): Promise<MigrationPlan> {
  return unwrap(
    await api.POST("/admin/v1/plans/tenants/{tenant_id}/migrate", {
      params: { path: { tenant_id: tenantId } },
      body: { kind, target_shard: targetShard },
    }),
  );
}

interface Submission {
  tenantId: string;
  reason: string;
  /** Reused when the same submission is retried, so the server creates the job once. */
  idempotencyKey: string;
  flow: RequestFlow;
}

export interface MigrateInput extends Submission {
  kind: PlacementKind;
  targetShard: string;
  planHash: string;
  compensate: boolean;
}

export async function migrateTenant(input: MigrateInput): Promise<Job> {
  const job = unwrap(
    await api.POST("/admin/v1/tenants/{tenant_id}/migrate", {
      params: { path: { tenant_id: input.tenantId }, header: { "Idempotency-Key": input.idempotencyKey } },
      body: {
        reason: input.reason,
        kind: input.kind,
        target_shard: input.targetShard,
        plan_hash: input.planHash,
        compensate: input.compensate,
      },
      headers: flowHeaders(input.flow),
    }),
  );
  rememberJobFlow(job.id, input.flow);
  return job;
}

export type TenantOp = "drain" | "resume";

export interface TenantOpInput extends Submission {
  op: TenantOp;
  /** Omitted: every kind. */
  kinds: PlacementKind[] | null;
}

export async function runTenantOp(input: TenantOpInput): Promise<Job> {
  const options = {
    params: { path: { tenant_id: input.tenantId }, header: { "Idempotency-Key": input.idempotencyKey } },
    body: { reason: input.reason, ...(input.kinds ? { kinds: input.kinds } : {}) },
    headers: flowHeaders(input.flow),
  };
  const job = unwrap(
    input.op === "drain"
      ? await api.POST("/admin/v1/tenants/{tenant_id}/drain", options)
      : await api.POST("/admin/v1/tenants/{tenant_id}/resume", options),
  );
  rememberJobFlow(job.id, input.flow);
  return job;
}

export function useMigrateTenant() {
  return useMutation({ mutationFn: migrateTenant });
}

export function useTenantOp() {
  return useMutation({ mutationFn: runTenantOp });
}

/** A failed invariant of a `preflight_refused` answer (read defensively from the problem body). */
export interface Failure {
  name: string;
  measured: PreflightCheck["measured"];
  threshold: PreflightCheck["threshold"];
  message: string;
}

function scalar(value: unknown): PreflightCheck["measured"] {
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean" ? value : null;
}

export function refusalFailures(error: unknown): Failure[] {
  if (!isApiError(error)) return [];
  const raw = error.problem?.failures;
  if (!Array.isArray(raw)) return [];
  return raw.map((item) => ({
    name: typeof item.name === "string" ? item.name : "unknown",
    measured: scalar(item.measured),
    threshold: scalar(item.threshold),
    message: typeof item.message === "string" ? item.message : "",
  }));
}

export function formatMeasure(value: PreflightCheck["measured"]): string {
  if (value === null) return "—";
  return String(value);
}
