import { queryOptions } from "@tanstack/react-query";
import { api, unwrap } from "@/api";

/** Query keys of the definitions feature. */
export const definitionKeys = {
  all: ["definitions"] as const,
  overview: () => [...definitionKeys.all, "overview"] as const,
  document: (type: string, name: string, version: number) => [...definitionKeys.all, "document", type, name, version] as const,
};

export const definitionQueries = {
  overview: () =>
    queryOptions({
      queryKey: definitionKeys.overview(),
      queryFn: async () => unwrap(await api.GET("/admin/v1/definitions")),
    }),
  document: (type: "effect" | "saga", name: string, version: number) =>
    queryOptions({
      queryKey: definitionKeys.document(type, name, version),
      queryFn: async () =>
        unwrap(
          await api.GET("/admin/v1/definitions/{definition_type}/{name}/{version}", {
            params: { path: { definition_type: type, name, version } },
          }),
        ),
      staleTime: Infinity,
    }),
};
