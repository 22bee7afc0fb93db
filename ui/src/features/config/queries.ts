import { keepPreviousData, queryOptions } from "@tanstack/react-query";
import { api, flowHeaders, unwrap, type ConfigPlan, type Job } from "@/api";
import { compact } from "@/lib";
import type { JobAttempt } from "@/features/jobs";

export type ConfigDomain = "routing" | "placement" | "runner.activation" | "flags" | "observability";
export const CONFIG_DOMAINS: readonly ConfigDomain[] = ["routing", "placement", "runner.activation", "flags", "observability"];
export type ConfigFormat = "json" | "yaml";

export interface ConfigRef {
  domain: ConfigDomain;
  name: string;
  scope: string;
}

export interface ConfigFilters {
  domain?: ConfigDomain;
  scope?: string;
  cursor?: string;
  limit?: number;
}

/** Query keys of the config feature. */
export const configKeys = {
  all: ["config"] as const,
  lists: () => [...configKeys.all, "list"] as const,
  list: (filters: ConfigFilters) => [...configKeys.lists(), compact(filters)] as const,
  domains: () => [...configKeys.all, "domains"] as const,
  detail: (ref: ConfigRef) => [...configKeys.all, "detail", ref.domain, ref.name, ref.scope] as const,
  history: (ref: ConfigRef) => [...configKeys.all, "history", ref.domain, ref.name, ref.scope] as const,
  revision: (ref: ConfigRef, revision: string) => [...configKeys.all, "revision", ref.domain, ref.name, ref.scope, revision] as const,
};

const item = (ref: ConfigRef) => ({ path: { domain: ref.domain, name: ref.name }, query: { scope: ref.scope } });

export const configQueries = {
  list: (filters: ConfigFilters) =>
    queryOptions({
      queryKey: configKeys.list(filters),
      queryFn: async () => unwrap(await api.GET("/admin/v1/config", { params: { query: compact(filters) } })),
      placeholderData: keepPreviousData,
    }),
  domains: () =>
    queryOptions({
      queryKey: configKeys.domains(),
      queryFn: async () => unwrap(await api.GET("/admin/v1/config/domains")),
      staleTime: 5 * 60_000,
    }),
  detail: (ref: ConfigRef) =>
    queryOptions({
      queryKey: configKeys.detail(ref),
      queryFn: async () => unwrap(await api.GET("/admin/v1/config/{domain}/{name}", { params: item(ref) })),
    }),
  history: (ref: ConfigRef) =>
    queryOptions({
      queryKey: configKeys.history(ref),
      queryFn: async () =>
        unwrap(await api.GET("/admin/v1/config/{domain}/{name}/history", { params: { ...item(ref), query: { scope: ref.scope, limit: 100 } } })),
    }),
  revision: (ref: ConfigRef, revision: string) =>
    queryOptions({
      queryKey: configKeys.revision(ref, revision),
      queryFn: async () =>
        unwrap(
          await api.GET("/admin/v1/config/{domain}/{name}/revisions/{revision}", {
            params: { path: { domain: ref.domain, name: ref.name, revision }, query: { scope: ref.scope } },
          }),
        ),
      staleTime: Infinity,
    }),
};

export async function validateConfig(ref: ConfigRef, document: string, format: ConfigFormat) {
  return unwrap(await api.POST("/admin/v1/config/{domain}/{name}/validate", { params: item(ref), body: { document, format } }));
}

export async function planConfig(ref: ConfigRef, baseRevision: string | null, document: string, format: ConfigFormat): Promise<ConfigPlan> {
  return unwrap(
    await api.POST("/admin/v1/plans/config/{domain}/{name}", {
      params: item(ref),
      body: { base_revision: baseRevision, document, format },
    }),
  );
}

export async function planConfigRollback(ref: ConfigRef, baseRevision: string | null, targetRevision: string): Promise<ConfigPlan> {
  return unwrap(
    await api.POST("/admin/v1/plans/config/{domain}/{name}/rollback", {
      params: item(ref),
      body: { base_revision: baseRevision, target_revision: targetRevision },
    }),
  );
}

export interface ConfigChangeRequest {
  ref: ConfigRef;
  plan: ConfigPlan;
  reason: string;
  confirm: string;
}

/** Starts `config.apply` (a plan of a document) or `config.rollback` (a plan with a target revision). */
export async function startConfigChange(input: ConfigChangeRequest, attempt: JobAttempt): Promise<Job> {
  const { ref, plan, reason, confirm } = input;
  const params = { ...item(ref), header: { "Idempotency-Key": attempt.idempotencyKey } };
  const headers = flowHeaders(attempt.flow);
  if (plan.target_revision) {
    return unwrap(
      await api.POST("/admin/v1/config/{domain}/{name}/rollback", {
        params,
        headers,
        body: { reason, confirm, base_revision: plan.base_revision ?? null, target_revision: plan.target_revision, plan_hash: plan.plan_hash },
      }),
    );
  }
  return unwrap(
    await api.POST("/admin/v1/config/{domain}/{name}/apply", {
      params,
      headers,
      body: {
        reason,
        confirm,
        base_revision: plan.base_revision ?? null,
        // The plan's own patch, sent back as it was planned.
        patch: plan.patch as never,
        plan_hash: plan.plan_hash,
      },
    }),
  );
}
