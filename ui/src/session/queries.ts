import { queryOptions, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "@/api";
import { missingRightMessage, useStore } from "@/lib";
import { parseDevLogin, type DevLoginResult } from "./dev-login";
import { session, sessionFromTokens, signIn, signOut } from "./session";

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

export async function devLogin(principal: string): Promise<DevLoginResult> {
  const { data } = await api.POST("/admin/v1/session/dev-login", { body: { principal } });
  return parseDevLogin(data);
}

/** Password sign-in through the Gateway; the refresh token stays in the API's cookie. */
export async function signInWithPassword(username: string, password: string): Promise<void> {
  const tokens = unwrap(await api.POST("/admin/v1/session/login", { body: { username, password } }));
  signIn(sessionFromTokens(tokens));
}

/** The end of the SSO redirect: the code and the verifier this tab kept. */
export async function signInWithSso(code: string, codeVerifier: string, redirectUri: string): Promise<void> {
  const tokens = unwrap(
    await api.POST("/admin/v1/session/sso", {
      body: { code, code_verifier: codeVerifier, redirect_uri: redirectUri },
    }),
  );
  signIn(sessionFromTokens(tokens));
}

/** whoami of the signed-in token. */
export function useWhoami() {
  const token = useStore(session)?.token ?? null;
  return useQuery(sessionQueries.whoami(token));
}

export interface Rights {
  loaded: boolean;
  principalId: string | null;
  sessionId: string | null;
  /** Platform-wide, or (with a tenant) on that tenant. */
  has(right: string, tenant?: string | null): boolean;
  /** On at least one tenant: lists answer that tenant's items. */
  holdsAnywhere(right: string): boolean;
  /** The tenants `right` is limited to; null when it is held platform-wide (or not at all). */
  tenantsOf(right: string): string[] | null;
  /** Null when the principal holds `right` (on `tenant`), else the reason to show on a disabled action. */
  reasonIfMissing(right: string, tenant?: string | null): string | null;
}

/** The rights of the signed-in principal, from whoami. Unknown rights count as missing. */
export function useRights(): Rights {
  const { data } = useWhoami();
  const rights = new Set(data?.rights ?? []);
  const scoped = data?.tenant_rights ?? {};
  const has = (right: string, tenant?: string | null) =>
    rights.has(right) || (tenant != null && (scoped[right] ?? []).includes(tenant));
  return {
    loaded: data !== undefined,
    principalId: data?.principal_id ?? null,
    sessionId: data?.session_id ?? null,
    has,
    holdsAnywhere: (right) => rights.has(right) || (scoped[right]?.length ?? 0) > 0,
    tenantsOf: (right) => (rights.has(right) ? null : (scoped[right] ?? null)),
    reasonIfMissing: (right, tenant) => {
      if (has(right, tenant)) return null;
      if (data === undefined) return "Checking your rights…";
      const limited = scoped[right];
      return limited?.length
        ? `${missingRightMessage(right)} ${tenant ? `on tenant ${tenant}` : "platform-wide"} (you hold it on ${limited.join(", ")})`
        : missingRightMessage(right);
    },
  };
}

/** Signs out on purpose: revokes the session at the Gateway (through the API), then forgets
 * the token and every cached answer of the old principal. */
export function useSignOut(): () => Promise<void> {
  const queryClient = useQueryClient();
  return async () => {
    try {
      if (session.get()) await api.POST("/admin/v1/session/logout");
    } catch {
      // Signed out locally either way; a session the API could not revoke expires on its own.
    }
    signOut("You signed out.");
    queryClient.clear();
  };
}
