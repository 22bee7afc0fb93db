import { queryOptions } from "@tanstack/react-query";
import { api } from "@/api";
import { parseRoles, parseSessions, parseUsers } from "./parse";

// The pass-through takes the Gateway path as one parameter; keep its slashes as slashes.
const keepSlashes = (pathname: string, params: Record<string, unknown>) =>
  pathname.replace("{path}", String(params.path ?? "").split("/").map(encodeURIComponent).join("/"));

async function iamGet(path: string): Promise<unknown> {
  const { data } = await api.GET("/admin/v1/iam/{path}", { params: { path: { path } }, pathSerializer: keepSlashes });
  return data;
}

/** Query keys of the IAM feature. IAM calls are tenant-scoped (the client adds x-tenant-id): the tenant is part of each key. */
export const iamKeys = {
  all: ["iam"] as const,
  /** Every tenant's list of `what`; `list(what, tenant)` is one tenant's. */
  lists: (what: "users" | "sessions" | "roles") => [...iamKeys.all, what] as const,
  list: (what: "users" | "sessions" | "roles", tenant: string | null) => [...iamKeys.lists(what), tenant] as const,
};

export const iamQueries = {
  users: (tenant: string | null) => queryOptions({ queryKey: iamKeys.list("users", tenant), queryFn: async () => parseUsers(await iamGet("users")) }),
  sessions: (tenant: string | null) => queryOptions({ queryKey: iamKeys.list("sessions", tenant), queryFn: async () => parseSessions(await iamGet("sessions")) }),
  roles: (tenant: string | null) => queryOptions({ queryKey: iamKeys.list("roles", tenant), queryFn: async () => parseRoles(await iamGet("roles")) }),
};

export async function revokeSession(sessionId: string): Promise<void> {
  await api.POST("/admin/v1/iam/{path}", {
    params: { path: { path: `sessions/${sessionId}/revoke` } },
    pathSerializer: keepSlashes,
  });
}
