import { queryOptions } from "@tanstack/react-query";
import { api, unwrap } from "@/api";
import { liveQueryOptions } from "@/lib";

/** Query keys of the fleet feature. */
export const fleetKeys = {
  all: ["fleet"] as const,
  snapshot: () => [...fleetKeys.all, "snapshot"] as const,
};

export const fleetQueries = {
  /** The fleet snapshot (every instance's health, readiness, version), live. */
  snapshot: () =>
    queryOptions({
      queryKey: fleetKeys.snapshot(),
      queryFn: async () => unwrap(await api.GET("/admin/v1/fleet")),
      ...liveQueryOptions,
    }),
};
