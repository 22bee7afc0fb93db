import { queryOptions, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "@/api";
import { missingRightMessage, useStore } from "@/lib";
import { parseDevLogin, type DevLoginResult } from "./dev-login";
import { session, signOut } from "./session";

/** Query keys of the session module. */
export const sessionKeys = {
  all: ["session"] as const,
  uiConfig: () => [...sessionKeys.all, "ui-config"] as const,
  whoami: (token: string | null) => [...sessionKeys.all, "whoami", token] as const,
};

export const sessionQueries = {
  /** The console's own settings (dev login on/off, version, Grafana address). */
  uiConfig: () =>
    queryOptions({
      queryKey: sessionKeys.uiConfig(),
      queryFn: async () => unwrap(await api.GET("/admin/v1/ui-config")),
      staleTime: 5 * 60_000,
    }),
  /** Who the token belongs to and the rights it carries. */
  whoami: (token: string | null) =>
    queryOptions({
      queryKey: sessionKeys.whoami(token),
      queryFn: async () => unwrap(await api.GET("/admin/v1/whoami")),
      enabled: Boolean(token),
      staleTime: 60_000,
    }),
};

export async function devLogin(principal: "admin" | "viewer"): Promise<DevLoginResult> {
  const { data } = await api.POST("/admin/v1/session/dev-login", { body: { principal } });
  return parseDevLogin(data);
}

/** whoami of the signed-in token. */
export function useWhoami() {
  const token = useStore(session)?.token ?? null;
  return useQuery(sessionQueries.whoami(token));
}

export interface Rights {
  loaded: boolean;
  principalId: string | null;
  has(right: string): boolean;
  /** Null when the principal holds `right`, else the reason to show on a disabled action. */
  reasonIfMissing(right: string): string | null;
}

/** The rights of the signed-in principal, from whoami. Unknown rights count as missing. */
export function useRights(): Rights {
  const { data } = useWhoami();
  const rights = new Set(data?.rights ?? []);
  return {
    loaded: data !== undefined,
    principalId: data?.principal_id ?? null,
    has: (right) => rights.has(right),
    reasonIfMissing: (right) =>
      rights.has(right) ? null : data === undefined ? "Checking your rights…" : missingRightMessage(right),
  };
}

/** Signs out on purpose and forgets every cached answer of the old principal. */
export function useSignOut(): () => void {
  const queryClient = useQueryClient();
  return () => {
    signOut("You signed out.");
    queryClient.clear();
  };
}
