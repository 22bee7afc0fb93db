import { keepPreviousData, queryOptions, useMutation } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import { isApiError } from "../../api/errors";
import { flowHeaders, rememberJobFlow, type RequestFlow } from "../../api/identity";
import type { Job } from "../../api/types";
import { compact } from "../../lib/query-params";
import { liveQueryOptions } from "../../lib/live";
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

export const deploymentsQuery = (filters: DeploymentFilters) =>
  queryOptions({
    queryKey: ["deployments", compact(filters)],
    queryFn: async () => unwrap(await api.GET("/admin/v1/deployments", { params: { query: compact(filters) } })),
    placeholderData: keepPreviousData,
    retry,
    // Keep the list current while a deployment on it is still moving.
    refetchInterval: (query) =>
      query.state.data?.items.some((d) => d.status === "in_progress" || d.status === "rolling_back") ? 2000 : false,
  });

export const deploymentQuery = (id: string) =>
  queryOptions({
    queryKey: ["deployment", id],
    queryFn: async () =>
      unwrap(await api.GET("/admin/v1/deployments/{deployment_id}", { params: { path: { deployment_id: id } } })),
    retry,
    refetchInterval: (query) => {
      const status = query.state.data?.deployment.status;
      return status === "in_progress" || status === "rolling_back" ? 2000 : false;
    },
  });

export const swarmServicesQuery = () =>
  queryOptions({
    queryKey: ["swarm", "services"],
    queryFn: async () => unwrap(await api.GET("/admin/v1/swarm/services")),
    retry,
    ...liveQueryOptions,
  });

export const swarmServiceQuery = (name: string) =>
  queryOptions({
    queryKey: ["swarm", "service", name],
    queryFn: async () => unwrap(await api.GET("/admin/v1/swarm/services/{name}", { params: { path: { name } } })),
    retry,
    ...liveQueryOptions,
  });

export const swarmNodesQuery = () =>
  queryOptions({
    queryKey: ["swarm", "nodes"],
    queryFn: async () => unwrap(await api.GET("/admin/v1/swarm/nodes")),
    retry,
    ...liveQueryOptions,
  });

interface ServiceJobInput {
  service: string;
  reason: string;
  /** The service name typed again by the operator. */
  confirm: string;
  /** Reused when the same submission is retried, so the server creates the job once. */
  idempotencyKey: string;
  flow: RequestFlow;
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

export async function startServiceJob(input: ServiceJobRequest): Promise<Job> {
  const common = {
    params: { path: { name: input.service }, header: { "Idempotency-Key": input.idempotencyKey } },
    headers: flowHeaders(input.flow),
  };
  const job =
    input.action === "deploy"
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
  rememberJobFlow(job.id, input.flow);
  return job;
}

export function useStartServiceJob() {
  return useMutation({ mutationFn: startServiceJob });
}
