import { queryOptions } from "@tanstack/react-query";
import { api, unwrap } from "@/api";
import { isSwarmUnavailable } from "@/features/deployments";
import { liveQueryOptions, pollingQueryOptions } from "@/lib";

/** Query keys of the fleet feature. */
export const fleetKeys = {
  all: ["fleet"] as const,
  snapshot: () => [...fleetKeys.all, "snapshot"] as const,
  inventory: () => [...fleetKeys.all, "inventory"] as const,
};

export const fleetQueries = {
  /** The fleet snapshot (every instance's health, readiness, version), live. */
  snapshot: () =>
    queryOptions({
      queryKey: fleetKeys.snapshot(),
      queryFn: async () => unwrap(await api.GET("/admin/v1/fleet")),
      ...liveQueryOptions,
    }),

  /** Swarm nodes with their resources, tasks and services; no event announces them: polled. */
  inventory: () =>
    queryOptions({
      queryKey: fleetKeys.inventory(),
      queryFn: async () => unwrap(await api.GET("/admin/v1/platform/inventory")),
      // A 503 swarm_unavailable says the same thing again on retry.
      retry: (failures, error) => !isSwarmUnavailable(error) && failures < 2,
      ...pollingQueryOptions,
    }),
};
