import { useEffect } from "react";
import { useSearchParams } from "react-router";
import { useStore } from "./store";
import { currentTenant, TENANT_PARAM } from "./tenant";

/** Keeps the chosen tenant and `?tenant=` in step, across navigation. */
export function useTenantSync(): void {
  const [params, setParams] = useSearchParams();
  const tenant = useStore(currentTenant);
  const inUrl = params.get(TENANT_PARAM) || null;
  useEffect(() => {
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

