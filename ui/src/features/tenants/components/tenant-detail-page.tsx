import { useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { Link, useParams } from "react-router";
import type { KindDetail } from "@/api";
import { Page } from "@/components/layout";
import { Button, StaleNotice, ErrorState, LoadingState, StatusBadge, UpdatedAgo } from "@/components/ui";
import { RIGHTS, auditHref, useSetCurrentTenant } from "@/lib";
import { useRights } from "@/session";
import { placementQueries } from "@/features/placement";
import { AuditTable } from "@/features/audit";
import { JobsTable } from "@/features/jobs";
import { MetricChart, unixSeconds, type ChartBand } from "@/features/metrics";
import { tenantQueries, type TenantOp } from "@/features/tenants/queries";
import { MigrateModal } from "./migrate-modal";
import { TenantOpModal } from "./tenant-op-modal";

function TenantDetailPage({ tenantId }: { tenantId: string }) {
  const tenant = useQuery(tenantQueries.detail(tenantId));
  const rights = useRights();
  // Operating needs the right on this tenant (a tenant operator's scope may hold it).
  const operateBlocked = rights.reasonIfMissing(RIGHTS.tenantsOperate, tenantId);
  const placementBlocked = rights.reasonIfMissing(RIGHTS.placementRead);
  // Migrate chooses its target from the kind's shard directory in the placement map.
  const placement = useQuery({ ...placementQueries.overview(), enabled: !operateBlocked && !placementBlocked });
  const migrateBlocked = operateBlocked ?? placementBlocked ?? (placement.data ? null : "Loading the shard directory…");
  const [op, setOp] = useState<TenantOp | null>(null);
  const [migrating, setMigrating] = useState<KindDetail | null>(null);
  const shardsOf = (kind: KindDetail["kind"]) =>
    Object.keys(placement.data?.maps.find((map) => map.kind === kind)?.shards ?? {}).sort();
  const setTenant = useSetCurrentTenant();
  const crumbs = [
    { label: "Control", to: "/" },
    { label: "Tenants", to: "/tenants" },
    { label: tenantId },
  ];
  const select = () => setTenant(tenantId);
  return (
    <Page title={`Tenant ${tenantId}`} crumbs={crumbs} actions={
        <>
          <Button variant="danger" disabledReason={operateBlocked} onClick={() => setOp("drain")}>
            Drain
          </Button>
          <Button disabledReason={operateBlocked} onClick={() => setOp("resume")}>
            Resume
          </Button>
          <Button onClick={select}>Use as current tenant</Button>
        </>
      }
    >
      {op ? <TenantOpModal op={op} tenantId={tenantId} onClose={() => setOp(null)} /> : null}
      {migrating ? (
        <MigrateModal
          tenantId={tenantId}
          kind={migrating.kind}
          currentShard={migrating.shard}
          shards={shardsOf(migrating.kind)}
          onClose={() => setMigrating(null)}
        />
      ) : null}
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
                <section key={kind.kind} aria-label={`Placement ${kind.kind}`} className="rounded-lg border border-zinc-200 bg-white p-3 text-sm dark:border-zinc-800 dark:bg-zinc-900">
                  <h3 className="font-medium capitalize">{kind.kind}</h3>
                  <p data-testid={`shard-${kind.kind}`}>
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
                  <div className="mt-2">
                    <Button size="sm" disabledReason={migrateBlocked} onClick={() => setMigrating(kind)}>
                      Migrate {kind.kind}
                    </Button>
                  </div>
                </section>
              ))}
            </div>
          </section>
          <section aria-labelledby="charts-heading" className="flex flex-col gap-2">
            <h2 id="charts-heading" className="text-sm font-semibold">Over time (last hour; drains, resumes and migrations marked)</h2>
            <TenantCharts tenantId={tenantId} jobs={tenant.data.recent_jobs} />
          </section>
          <section aria-labelledby="jobs-heading" className="flex flex-col gap-2">
            <h2 id="jobs-heading" className="text-sm font-semibold">Recent jobs ({tenant.data.recent_jobs.length})</h2>
            <Link className="text-sm text-sky-800 hover:underline dark:text-sky-300" to={auditHref({ tenant_id: tenantId })}>
              All audit events of {tenantId}
            </Link>
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

/** Drains, resumes and migrations of the tenant (its recent jobs) as marks on its charts. */
function operationBands(jobs: readonly { kind: string; started_at?: string | null; created_at: string; finished_at?: string | null }[]): ChartBand[] {
  return jobs
    .filter((job) => /drain|resume|migrat/.test(job.kind))
    .map((job) => {
      const from = unixSeconds(job.started_at ?? job.created_at);
      return from === null ? null : { from, to: unixSeconds(job.finished_at) ?? Date.now() / 1000, label: job.kind };
    })
    .filter((band): band is ChartBand => band !== null);
}

function TenantCharts({ tenantId, jobs }: { tenantId: string; jobs: Parameters<typeof operationBands>[0] }) {
  const rights = useRights();
  const bands = useMemo(() => operationBands(jobs), [jobs]);
  if (!rights.has(RIGHTS.fleetRead)) return <p className="text-sm text-zinc-600 dark:text-zinc-400">Requires the right {RIGHTS.fleetRead}.</p>;
  return (
    <div className="grid min-w-0 gap-3 lg:grid-cols-3">
      <MetricChart query="tenant_gateway_inflight" title="Gateway requests in flight" params={{ tenant: tenantId }} bands={bands} bandsLabel="operations" />
      <MetricChart query="tenant_aggregate_inflight" title="Aggregate commands in flight" params={{ tenant: tenantId }} bands={bands} bandsLabel="operations" />
      <MetricChart query="tenant_projection_lag" title="Projection lag (events)" params={{ tenant: tenantId }} bands={bands} bandsLabel="operations" />
    </div>
  );
}

/** The route: a new tenantId is a new page (fresh state). */
export default function TenantDetailPageRoute() {
  const { tenantId = "" } = useParams();
  return <TenantDetailPage key={tenantId} tenantId={tenantId} />;
}
