import { queryOptions } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";

export const investigateQuery = (id: string) =>
  queryOptions({
    queryKey: ["investigate", id],
    queryFn: async () => unwrap(await api.GET("/admin/v1/investigate", { params: { query: { id } } })),
    enabled: id.length > 0,
  });
