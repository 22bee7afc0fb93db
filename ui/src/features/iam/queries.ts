import { queryOptions } from "@tanstack/react-query";
import { api } from "../../api/client";
import { parseRoles, parseSessions, parseUsers } from "./parse";

// IAM calls are tenant-scoped: the client adds x-tenant-id; the key keeps tenants apart.
export const usersQuery = (tenant: string | null) =>
  queryOptions({
    queryKey: ["iam", "users", tenant],
    queryFn: async () => parseUsers((await api.GET("/admin/v1/iam/users")).data),
  });

export const sessionsQuery = (tenant: string | null) =>
  queryOptions({
    queryKey: ["iam", "sessions", tenant],
    queryFn: async () => parseSessions((await api.GET("/admin/v1/iam/sessions")).data),
  });

export const rolesQuery = (tenant: string | null) =>
  queryOptions({
    queryKey: ["iam", "roles", tenant],
    queryFn: async () => parseRoles((await api.GET("/admin/v1/iam/roles")).data),
  });

export async function revokeSession(sessionId: string): Promise<void> {
  await api.POST("/admin/v1/iam/sessions/{sid}/revoke", { params: { path: { sid: sessionId } } });
}
