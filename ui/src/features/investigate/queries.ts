import { queryOptions } from "@tanstack/react-query";
import { api, unwrap } from "@/api";

/** Query keys of the investigate feature. */
export const investigateKeys = {
  all: ["investigate"] as const,
  id: (id: string) => [...investigateKeys.all, id] as const,
};

export const investigateQueries = {
  /** Everything that carries `id` (request, correlation or trace id). */
  id: (id: string) =>
    queryOptions({
      queryKey: investigateKeys.id(id),
      queryFn: async () => unwrap(await api.GET("/admin/v1/investigate", { params: { query: { id } } })),
      enabled: id.length > 0,
    }),
};
