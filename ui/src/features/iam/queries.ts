import { queryOptions } from "@tanstack/react-query";
import { api } from "../../api/client";
import { parseRoles, parseSessions, parseUsers } from "./parse";

// The pass-through takes the Gateway path as one parameter; keep its slashes as slashes.
const keepSlashes = (pathname: string, params: Record<string, unknown>) =>
  pathname.replace("{path}", String(params.path ?? "").split("/").map(encodeURIComponent).join("/"));

async function iamGet(path: string): Promise<unknown> {
  const { data } = await api.GET("/admin/v1/iam/{path}", { params: { path: { path } }, pathSerializer: keepSlashes });
  return data;
}

// IAM calls are tenant-scoped: the client adds x-tenant-id; the key keeps tenants apart.
export const usersQuery = (tenant: string | null) =>
  queryOptions({ queryKey: ["iam", "users", tenant], queryFn: async () => parseUsers(await iamGet("users")) });

export const sessionsQuery = (tenant: string | null) =>
  queryOptions({ queryKey: ["iam", "sessions", tenant], queryFn: async () => parseSessions(await iamGet("sessions")) });

export const rolesQuery = (tenant: string | null) =>
  queryOptions({ queryKey: ["iam", "roles", tenant], queryFn: async () => parseRoles(await iamGet("roles")) });

export async function revokeSession(sessionId: string): Promise<void> {
  await api.POST("/admin/v1/iam/{path}", {
    params: { path: { path: `sessions/${sessionId}/revoke` } },
    pathSerializer: keepSlashes,
  });
}
