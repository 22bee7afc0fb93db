import { useQuery } from "@tanstack/react-query";
import { Page } from "@/components/layout";
import { ErrorState, LoadingState } from "@/components/ui";
import { RIGHTS, auditHref, currentTenant, tenantHref, useStore } from "@/lib";
import { sessionQueries, useRights, useWhoami } from "@/session";
import { AuditTable, auditQueries } from "@/features/audit";
import { JobsTable, RunVerificationButton, jobQueries } from "@/features/jobs";
import { MetricChart } from "@/features/metrics";
import { Card } from "./card";
import { GoldenSignals } from "./golden-signals";
import { FleetHealthCard, TenantsPerShardCard, VersionsCard } from "./fleet-cards";

export default function OverviewPage() {
  const rights = useRights();
  const config = useQuery(sessionQueries.uiConfig());
  const whoami = useWhoami();
  // Lists answer what is in the caller's scope: a right on some tenants is enough to ask.
  const canJobs = rights.holdsAnywhere(RIGHTS.jobsRead);
  const canAudit = rights.holdsAnywhere(RIGHTS.auditRead);
  // The header's tenant scopes the recent jobs and denials (and adds the tenant's own charts).
  const tenant = useStore(currentTenant) ?? undefined;
  const jobs = useQuery({ ...jobQueries.list({ limit: 10, tenant_id: tenant }), enabled: canJobs });
  const denials = useQuery({ ...auditQueries.list({ outcome: ["denied"], limit: 10, tenant_id: tenant }), enabled: canAudit });
  const ofTenant = tenant ? ` of ${tenant}` : "";

  return (
    <Page title="Overview" crumbs={[{ label: "Control" }, { label: "Overview" }]} actions={<RunVerificationButton />}>
      <div className="grid gap-4 md:grid-cols-2">
        <Card title="Console">
          {config.data ? (
            <dl className="grid grid-cols-2 gap-1 text-sm">
              <dt className="text-zinc-600 dark:text-zinc-400">Version</dt>
              <dd>{config.data.version}</dd>
              <dt className="text-zinc-600 dark:text-zinc-400">Git SHA</dt>
              <dd className="font-mono text-xs">{config.data.git_sha}</dd>
            </dl>
          ) : config.isError ? (
            <ErrorState error={config.error} />
          ) : (
            <LoadingState />
          )}
        </Card>
        <Card title="You">
          {whoami.data ? (
            <div className="text-sm">
              <p>
                Signed in as <span className="font-mono">{whoami.data.principal_id}</span>
              </p>
              <p className="text-zinc-600 dark:text-zinc-400">{whoami.data.rights.length} rights</p>
            </div>
          ) : whoami.isError ? (
            <ErrorState error={whoami.error} />
          ) : (
            <LoadingState />
          )}
        </Card>
      </div>
      <Card title="Golden signals (last hour)" to="/observability" linkLabel="Observability">
        <GoldenSignals />
      </Card>
      {tenant ? (
        <Card title={`Tenant ${tenant}`} to={tenantHref(tenant)} linkLabel="Tenant page">
          {rights.has(RIGHTS.fleetRead) ? (
            <div className="grid min-w-0 gap-3 lg:grid-cols-2">
              <MetricChart query="tenant_gateway_inflight" title="Gateway requests in flight" params={{ tenant }} />
              <MetricChart query="tenant_projection_lag" title="Projection lag (events)" params={{ tenant }} />
            </div>
          ) : (
            <p className="text-sm text-zinc-600 dark:text-zinc-400">Requires the right {RIGHTS.fleetRead}.</p>
          )}
        </Card>
      ) : null}
      <div className="grid gap-4 md:grid-cols-2">
        <FleetHealthCard />
        <VersionsCard />
      </div>
      <TenantsPerShardCard />
      <Card title={`Recent jobs${ofTenant}`} to={tenant ? `/jobs?tenant_id=${encodeURIComponent(tenant)}` : "/jobs"}>
        {!canJobs ? (
          <p className="text-sm text-zinc-600 dark:text-zinc-400">Requires the right {RIGHTS.jobsRead}.</p>
        ) : jobs.isError ? (
          <ErrorState error={jobs.error} />
        ) : jobs.data ? (
          <JobsTable id="overview-jobs" jobs={jobs.data.items} height="360px" />
        ) : (
          <LoadingState />
        )}
      </Card>
      <Card title={`Recent denials${ofTenant}`} to={auditHref({ outcome: "denied", tenant_id: tenant })}>
        {!canAudit ? (
          <p className="text-sm text-zinc-600 dark:text-zinc-400">Requires the right {RIGHTS.auditRead}.</p>
        ) : denials.isError ? (
          <ErrorState error={denials.error} />
        ) : denials.data ? (
          <AuditTable id="overview-denials" events={denials.data.items} height="360px" />
        ) : (
          <LoadingState />
        )}
      </Card>
    </Page>
  );
}
