import { queryOptions } from "@tanstack/react-query";
import { api, unwrap } from "@/api";
import { liveQueryOptions } from "@/lib";

/** Query keys of the placement feature. */
export const placementKeys = {
  all: ["placement"] as const,
  overview: () => [...placementKeys.all, "overview"] as const,
};

export const placementQueries = {
  /** Every placement map and the routing config, live. */
  overview: () =>
    queryOptions({
      queryKey: placementKeys.overview(),
      queryFn: async () => unwrap(await api.GET("/admin/v1/placement")),
      ...liveQueryOptions,
    }),
};
