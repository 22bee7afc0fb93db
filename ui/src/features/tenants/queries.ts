import { queryOptions } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";

/** Recent jobs and audit events of one tenant; the client sends it as x-tenant-id. */
export const tenantActivityQuery = (tenant: string | null) =>
  queryOptions({
    queryKey: ["tenant-activity", tenant],
    queryFn: async () => unwrap(await api.GET("/admin/v1/tenant/activity")),
    enabled: Boolean(tenant),
  });
