import { keepPreviousData, queryOptions } from "@tanstack/react-query";
import { api, flowHeaders, isApiError, unwrap, type Job } from "@/api";
import { compact, fallbackInterval, LIVE_REFETCH_MS, pollingQueryOptions } from "@/lib";
import type { JobAttempt } from "@/features/jobs";
import type { DeploymentKind, DeploymentStatus } from "./types";

export interface DeploymentFilters {
  service?: string;
  status?: DeploymentStatus;
  kind?: DeploymentKind;
  cursor?: string;
  limit?: number;
}

/** A 503 `swarm_unavailable`: the integration is off or the engine cannot be reached. */
export function isSwarmUnavailable(error: unknown): boolean {
  return isApiError(error) && error.status === 503 && error.code === "swarm_unavailable";
}

/** Do not retry an answer that says Swarm is off: it will say so again. */
const retry = (failures: number, error: Error) => !isSwarmUnavailable(error) && failures < 2;

/** Query keys of the deployments feature (Swarm services and nodes included). */
export const deploymentKeys = {
  all: ["deployments"] as const,
  lists: () => [...deploymentKeys.all, "list"] as const,
  list: (filters: DeploymentFilters) => [...deploymentKeys.lists(), compact(filters)] as const,
  detail: (id: string) => [...deploymentKeys.all, "detail", id] as const,
  plan: (target: PlanTarget) => [...deploymentKeys.all, "plan", compact({ ...target })] as const,
};

/** What a deploy or rollback would change, asked before submit (changes nothing). */
export type PlanTarget =
  | { action: "deploy"; service: string; tag?: string; image?: string; gitSha?: string }
  | { action: "rollback"; service: string; toSpecVersion?: number };

export const swarmKeys = {
  all: ["swarm"] as const,
  services: () => [...swarmKeys.all, "services"] as const,
  service: (name: string) => [...swarmKeys.all, "service", name] as const,
  nodes: () => [...swarmKeys.all, "nodes"] as const,
};

const moving = (status: string | undefined) => status === "in_progress" || status === "rolling_back";

export const deploymentQueries = {
  list: (filters: DeploymentFilters) =>
    queryOptions({
      queryKey: deploymentKeys.list(filters),
      queryFn: async () => unwrap(await api.GET("/admin/v1/deployments", { params: { query: compact(filters) } })),
      placeholderData: keepPreviousData,
      retry,
      // The live stream refetches on every deployment change; while it is down, poll (faster while one moves).
      refetchInterval: (query) => fallbackInterval(query.state.data?.items.some((d) => moving(d.status)) ? 2000 : LIVE_REFETCH_MS),
    }),

  detail: (id: string) =>
    queryOptions({
      queryKey: deploymentKeys.detail(id),
      queryFn: async () =>
        unwrap(await api.GET("/admin/v1/deployments/{deployment_id}", { params: { path: { deployment_id: id } } })),
      retry,
      refetchInterval: (query) => fallbackInterval(moving(query.state.data?.deployment.status) ? 2000 : false),
    }),
};

export const planQueries = {
  plan: (target: PlanTarget) =>
    queryOptions({
      queryKey: deploymentKeys.plan(target),
      queryFn: async () => {
        const path = { params: { path: { name: target.service } } };
        return target.action === "deploy"
          ? unwrap(
              await api.POST("/admin/v1/swarm/services/{name}/deploy/plan", {
                ...path,
                body: {
                  ...(target.image ? { image: target.image } : { tag: target.tag ?? null }),
                  ...(target.gitSha ? { git_sha: target.gitSha } : {}),
                },
              }),
            )
          : unwrap(
              await api.POST("/admin/v1/swarm/services/{name}/rollback/plan", {
                ...path,
                body: target.toSpecVersion !== undefined ? { to_spec_version: target.toSpecVersion } : {},
              }),
            );
      },
      retry: false,
      staleTime: 0,
    }),
};

/** Swarm's task states converge without an event on the live stream: these keep polling. */
export const swarmQueries = {
  services: () =>
    queryOptions({
      queryKey: swarmKeys.services(),
      queryFn: async () => unwrap(await api.GET("/admin/v1/swarm/services")),
      retry,
      ...pollingQueryOptions,
    }),

  service: (name: string) =>
    queryOptions({
      queryKey: swarmKeys.service(name),
      queryFn: async () => unwrap(await api.GET("/admin/v1/swarm/services/{name}", { params: { path: { name } } })),
      retry,
      ...pollingQueryOptions,
    }),

  nodes: () =>
    queryOptions({
      queryKey: swarmKeys.nodes(),
      queryFn: async () => unwrap(await api.GET("/admin/v1/swarm/nodes")),
      retry,
      ...pollingQueryOptions,
    }),
};

interface ServiceJobInput {
  service: string;
  reason: string;
  /** The service name typed again by the operator. */
  confirm: string;
}

export interface DeployInput extends ServiceJobInput {
  action: "deploy";
  /** A tag (applied to the service's current image) or a full image reference. */
  tag?: string;
  image?: string;
  gitSha?: string;
}

export interface RollbackInput extends ServiceJobInput {
  action: "rollback";
  /** A spec version a deployment recorded; omitted for Swarm's previous spec. */
  toSpecVersion?: number;
}

export type ServiceJobRequest = DeployInput | RollbackInput;

/** Deploy or roll back a service; meant as the `start` of useJobSubmission. */
export async function startServiceJob(input: ServiceJobRequest, attempt: JobAttempt): Promise<Job> {
  const common = {
    params: { path: { name: input.service }, header: { "Idempotency-Key": attempt.idempotencyKey } },
    headers: flowHeaders(attempt.flow),
  };
  return input.action === "deploy"
    ? unwrap(
          await api.POST("/admin/v1/swarm/services/{name}/deploy", {
            ...common,
            body: {
              reason: input.reason,
              confirm: input.confirm,
              ...(input.image ? { image: input.image } : { tag: input.tag ?? null }),
              ...(input.gitSha ? { git_sha: input.gitSha } : {}),
            },
          }),
        )
      : unwrap(
          await api.POST("/admin/v1/swarm/services/{name}/rollback", {
            ...common,
            body: {
              reason: input.reason,
              confirm: input.confirm,
              ...(input.toSpecVersion !== undefined ? { to_spec_version: input.toSpecVersion } : {}),
            },
          }),
        );
}
