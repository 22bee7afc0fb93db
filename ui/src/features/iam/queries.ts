import { queryOptions } from "@tanstack/react-query";
import { api, unwrap, type RightInfo } from "@/api";
import {
  parseBindings,
  parseRoles,
  parseSessions,
  parseUser,
  parseUsers,
  type IamUser,
} from "./parse";

// The pass-through takes the Gateway path as one parameter; keep its slashes as slashes.
const keepSlashes = (pathname: string, params: Record<string, unknown>) =>
  pathname.replace("{path}", String(params.path ?? "").split("/").map(encodeURIComponent).join("/"));

const IAM = "/admin/v1/iam/{path}" as const;

async function iamGet(path: string, query?: Record<string, string>): Promise<unknown> {
  const { data } = await api.GET(IAM, {
    params: { path: { path }, query: query as never },
    pathSerializer: keepSlashes,
  });
  return data;
}

/** What a change answered, and the correlation id its audit events carry. */
export interface IamChange {
  body: unknown;
  correlationId: string | null;
}

type Method = "POST" | "PUT" | "PATCH" | "DELETE";

/** One change through the pass-through: the Gateway's own error text arrives as an ApiError. */
export async function iamChange(method: Method, path: string, body?: unknown): Promise<IamChange> {
  const init = {
    params: { path: { path } },
    pathSerializer: keepSlashes,
    ...(body === undefined ? {} : { body: body as never }),
  };
  const call =
    method === "POST" ? api.POST(IAM, init) : method === "PUT" ? api.PUT(IAM, init) : method === "PATCH" ? api.PATCH(IAM, init) : api.DELETE(IAM, init);
  const { data, response } = await call;
  return { body: data, correlationId: response.headers.get("x-correlation-id") };
}

/** Query keys of the IAM feature. */
export const iamKeys = {
  all: ["iam"] as const,
  lists: (what: "users" | "sessions" | "roles") => [...iamKeys.all, what] as const,
  list: (what: "users" | "sessions" | "roles", filter: string | null = null) => [...iamKeys.lists(what), filter] as const,
  user: (id: string) => [...iamKeys.all, "user", id] as const,
  bindings: (id: string) => [...iamKeys.user(id), "bindings"] as const,
  rights: () => [...iamKeys.all, "rights-catalog"] as const,
};

export const iamQueries = {
  users: () => queryOptions({ queryKey: iamKeys.list("users"), queryFn: async () => parseUsers(await iamGet("users")) }),
  user: (id: string) =>
    queryOptions({
      queryKey: iamKeys.user(id),
      queryFn: async (): Promise<IamUser> => {
        const user = parseUser(await iamGet(`users/${id}`));
        if (!user) throw new Error("The Gateway answered without a user.");
        return user;
      },
    }),
  bindings: (id: string) => queryOptions({ queryKey: iamKeys.bindings(id), queryFn: async () => parseBindings(await iamGet(`users/${id}/bindings`)) }),
  /** Every session, or one principal's. */
  sessions: (principal: string | null = null) =>
    queryOptions({
      queryKey: iamKeys.list("sessions", principal),
      queryFn: async () => parseSessions(await iamGet("sessions", principal ? { principal_id: principal } : undefined)),
    }),
  roles: () => queryOptions({ queryKey: iamKeys.list("roles"), queryFn: async () => parseRoles(await iamGet("roles")) }),
  /** The rights catalog (what a role may grant), from the API itself. */
  rights: () =>
    queryOptions({
      queryKey: iamKeys.rights(),
      queryFn: async (): Promise<RightInfo[]> => unwrap(await api.GET("/admin/v1/rights")),
      staleTime: 10 * 60_000,
    }),
};

export const revokeSession = (sessionId: string) => iamChange("POST", `sessions/${sessionId}/revoke`);
export const revokeUserSessions = (userId: string) => iamChange("POST", `users/${userId}/sessions/revoke`);
export const createUser = (user: { id: string; name: string; password?: string }) => iamChange("POST", "users", user);
export const setDisabled = (userId: string, disabled: boolean) => iamChange("PATCH", `users/${userId}`, { disabled });
export const renameUser = (userId: string, name: string) => iamChange("PATCH", `users/${userId}`, { name });
export const setPassword = (userId: string, password: string) => iamChange("PUT", `users/${userId}/password`, { password });
export const bindRole = (userId: string, role: string, tenants: string[] | null) =>
  iamChange("PUT", `users/${userId}/bindings/${role}`, { tenants });
export const unbindRole = (userId: string, role: string) => iamChange("DELETE", `users/${userId}/bindings/${role}`);
export const createRole = (role: { name: string; rights: string[]; description: string }) => iamChange("POST", "roles", role);
export const putRole = (name: string, rights: string[], description: string) => iamChange("PUT", `roles/${name}`, { rights, description });
export const deleteRole = (name: string) => iamChange("DELETE", `roles/${name}`);
