import { useQuery } from "@tanstack/react-query";
import { Page } from "../../components/layout/page";
import { ErrorState, LoadingState } from "../../components/ui/states";
import { RIGHTS } from "../../lib/rights";
import { useStore } from "../../lib/store";
import { currentTenant } from "../../lib/tenant";
import { AuditTable } from "../audit/components/audit-table";
import { useRights } from "../auth/queries";
import { JobsTable } from "../jobs/components/jobs-table";
import { tenantActivityQuery } from "./queries";

export default function TenantsPage() {
  const tenant = useStore(currentTenant);
  const rights = useRights();
  const activity = useQuery({ ...tenantActivityQuery(tenant), enabled: Boolean(tenant) && rights.has(RIGHTS.tenantsRead) });
  return (
    <Page title="Tenants">
      <section className="rounded-lg border border-dashed border-zinc-300 p-6 dark:border-zinc-700" aria-label="Not available">
        <p className="text-sm font-medium">Not available yet: this page needs the Tenants API.</p>
        <p className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">
          There is no tenant list to show. Choose a tenant id in the header to see what the control plane did for it.
        </p>
      </section>
      {tenant ? (
        <section aria-labelledby="activity-heading" className="flex flex-col gap-3">
          <h2 id="activity-heading" className="text-sm font-semibold">
            Activity of tenant <code className="font-mono">{tenant}</code>
          </h2>
          {!rights.has(RIGHTS.tenantsRead) && rights.loaded ? (
            <p className="text-sm text-zinc-600 dark:text-zinc-400">Requires the right {RIGHTS.tenantsRead}.</p>
          ) : activity.isError ? (
            <ErrorState error={activity.error} onRetry={() => void activity.refetch()} />
          ) : activity.data ? (
            <>
              <h3 className="text-sm font-medium">Jobs ({activity.data.jobs.length})</h3>
              <JobsTable id="tenant-jobs" jobs={activity.data.jobs} height="320px" />
              <h3 className="text-sm font-medium">Audit events ({activity.data.audit_events.length})</h3>
              <AuditTable id="tenant-audit" events={activity.data.audit_events} height="400px" />
            </>
          ) : (
            <LoadingState label="Loading tenant activity…" />
          )}
        </section>
      ) : null}
    </Page>
  );
}
