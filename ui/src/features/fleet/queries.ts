import { queryOptions } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import { liveQueryOptions } from "../../lib/live";

export const fleetQuery = () =>
  queryOptions({
    queryKey: ["fleet"],
    queryFn: async () => unwrap(await api.GET("/admin/v1/fleet")),
    ...liveQueryOptions,
  });
