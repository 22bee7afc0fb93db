import { queryOptions, useQuery } from "@tanstack/react-query";
import { $api, api, unwrap } from "../../api/client";
import { useStore } from "../../lib/store";
import { session } from "../../lib/auth";
import { missingRightMessage } from "../../lib/rights";
import { parseDevLogin, type DevLoginResult } from "./dev-login";

// Typed straight from the schema by openapi-react-query: path, params and result all checked.
export const uiConfigQuery = () => $api.queryOptions("get", "/admin/v1/ui-config", {}, { staleTime: 5 * 60_000 });

export const whoamiQuery = (token: string | null) =>
  queryOptions({
    queryKey: ["whoami", token],
    queryFn: async () => unwrap(await api.GET("/admin/v1/whoami")),
    enabled: Boolean(token),
    staleTime: 60_000,
  });

export async function devLogin(principal: "admin" | "viewer"): Promise<DevLoginResult> {
  const { data } = await api.POST("/admin/v1/session/dev-login", { body: { principal } });
  return parseDevLogin(data);
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
  const token = useStore(session)?.token ?? null;
  const { data } = useQuery(whoamiQuery(token));
  const rights = new Set(data?.rights ?? []);
  return {
    loaded: data !== undefined,
    principalId: data?.principal_id ?? null,
    has: (right) => rights.has(right),
    reasonIfMissing: (right) =>
      rights.has(right) ? null : data === undefined ? "Checking your rights…" : missingRightMessage(right),
  };
}
