import { useQuery } from "@tanstack/react-query";
import { useLocation, useNavigate } from "react-router";
import { Page } from "../../../components/layout/page";
import { Button } from "../../../components/ui/button";
import { StaleNotice } from "../../../components/ui/stale-notice";
import { ErrorState, LoadingState } from "../../../components/ui/states";
import { StatusBadge } from "../../../components/ui/status-badge";
import { UpdatedAgo } from "../../../components/ui/updated-ago";
import { currentTenant, TENANT_PARAM } from "../../../lib/tenant";
import { AuditTable } from "../../audit/components/audit-table";
import { JobsTable } from "../../jobs/components/jobs-table";
import { tenantQuery } from "../queries";

export function TenantDetailPage({ tenantId }: { tenantId: string }) {
  const tenant = useQuery(tenantQuery(tenantId));
  const navigate = useNavigate();
  const location = useLocation();
  const crumbs = [
    { label: "Control", to: "/" },
    { label: "Tenants", to: "/tenants" },
    { label: tenantId },
  ];
  const select = () => {
    currentTenant.set(tenantId);
    const params = new URLSearchParams(location.search);
    params.set(TENANT_PARAM, tenantId);
    navigate({ pathname: location.pathname, search: `?${params}` }, { replace: true });
  };
  return (
    <Page title={`Tenant ${tenantId}`} crumbs={crumbs} actions={<Button onClick={select}>Use as current tenant</Button>}>
      {tenant.isPending ? <LoadingState label="Loading tenant…" /> : null}
      {tenant.isError && !tenant.data ? <ErrorState error={tenant.error} onRetry={() => void tenant.refetch()} /> : null}
      {tenant.data ? (
        <>
          <StaleNotice stale={tenant.data.stale} ageSeconds={tenant.data.fleet_snapshot_age_s} what="status" />
          <UpdatedAgo query={tenant} />
          {!tenant.data.known ? (
            <p className="text-sm">No placement map names this tenant: it runs on the default shards.</p>
          ) : null}
          <section aria-labelledby="placement-heading" className="flex flex-col gap-2">
            <h2 id="placement-heading" className="text-sm font-semibold">Placement</h2>
            <div className="grid gap-3 md:grid-cols-3">
              {tenant.data.placement.map((kind) => (
                <div key={kind.kind} className="rounded-lg border border-zinc-200 bg-white p-3 text-sm dark:border-zinc-800 dark:bg-zinc-900">
                  <h3 className="font-medium capitalize">{kind.kind}</h3>
                  <p>
                    Shard {kind.shard ?? "—"} {kind.explicit ? "(explicit)" : "(default)"} · revision {kind.revision ?? "—"}
                  </p>
                  <ul className="mt-2 flex flex-col gap-1" aria-label={`${kind.kind} endpoints`}>
                    {kind.endpoints.length === 0 ? <li className="text-zinc-600 dark:text-zinc-400">No endpoints.</li> : null}
                    {kind.endpoints.map((endpoint) => (
                      <li key={endpoint.url} className="flex flex-wrap items-center gap-1">
                        {endpoint.instance ? <code className="font-mono text-xs">{endpoint.instance}</code> : null}
                        <code className="font-mono text-xs text-zinc-600 dark:text-zinc-400">{endpoint.url}</code>
                        <StatusBadge status={endpoint.health ?? "unknown"} />
                        <StatusBadge status={endpoint.ready ?? "unknown"} />
                        {endpoint.draining ? <StatusBadge status="draining" /> : null}
                        {endpoint.lag !== null && endpoint.lag !== undefined ? (
                          <span className="text-xs text-zinc-600 dark:text-zinc-400">lag {endpoint.lag}</span>
                        ) : null}
                        {endpoint.error ? <span className="text-xs text-red-800 dark:text-red-300">{endpoint.error}</span> : null}
                      </li>
                    ))}
                  </ul>
                </div>
              ))}
            </div>
          </section>
          <section aria-labelledby="jobs-heading" className="flex flex-col gap-2">
            <h2 id="jobs-heading" className="text-sm font-semibold">Recent jobs ({tenant.data.recent_jobs.length})</h2>
            <JobsTable id="tenant-jobs" jobs={tenant.data.recent_jobs} height="320px" />
          </section>
          <section aria-labelledby="audit-heading" className="flex flex-col gap-2">
            <h2 id="audit-heading" className="text-sm font-semibold">Recent audit events ({tenant.data.recent_audit_events.length})</h2>
            <AuditTable id="tenant-audit" events={tenant.data.recent_audit_events} height="400px" />
          </section>
        </>
      ) : null}
    </Page>
  );
}
