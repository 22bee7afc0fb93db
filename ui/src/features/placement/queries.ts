import { queryOptions } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import { liveQueryOptions } from "../../lib/live";

export const placementQuery = () =>
  queryOptions({
    queryKey: ["placement"],
    queryFn: async () => unwrap(await api.GET("/admin/v1/placement")),
    ...liveQueryOptions,
  });
