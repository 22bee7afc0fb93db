import { useEffect } from "react";
import { useLocation, useNavigate, useSearchParams } from "react-router";
import { useStore } from "./store";
import { currentTenant, TENANT_PARAM } from "./tenant";

// A choice made in the UI (useSetCurrentTenant) that the URL has not caught up with yet: until
// it has, the URL's old `?tenant=` must not overrule it (navigation is asynchronous).
let pendingChoice: { tenant: string | null } | null = null;

/** Keeps the chosen tenant and `?tenant=` in step, across navigation. */
export function useTenantSync(): void {
  const [params, setParams] = useSearchParams();
  const tenant = useStore(currentTenant);
  const inUrl = params.get(TENANT_PARAM) || null;
  useEffect(() => {
    if (pendingChoice) {
      if (pendingChoice.tenant === inUrl) pendingChoice = null;
      return;
    }
    if (inUrl && inUrl !== tenant) currentTenant.set(inUrl);
    else if (!inUrl && tenant) {
      setParams(
        (current) => {
          const next = new URLSearchParams(current);
          next.set(TENANT_PARAM, tenant);
          return next;
        },
        { replace: true },
      );
    }
  }, [inUrl, tenant, setParams]);
}

/** Chooses the current tenant (null: all tenants) and writes it into `?tenant=` of this page. */
export function useSetCurrentTenant(): (tenant: string | null) => void {
  const location = useLocation();
  const navigate = useNavigate();
  return (tenant) => {
    pendingChoice = { tenant };
    currentTenant.set(tenant);
    const params = new URLSearchParams(location.search);
    if (tenant) params.set(TENANT_PARAM, tenant);
    else params.delete(TENANT_PARAM);
    const search = params.toString();
    navigate({ pathname: location.pathname, search: search ? `?${search}` : "" }, { replace: true });
  };
}
