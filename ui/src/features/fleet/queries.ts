import { queryOptions } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";

export const fleetQuery = () =>
  queryOptions({
    queryKey: ["fleet"],
    queryFn: async () => unwrap(await api.GET("/admin/v1/fleet")),
    refetchInterval: 15_000,
  });
