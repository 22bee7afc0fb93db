import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import type { PlacementMapView } from "@/api";
import { Page } from "@/components/layout";
import { DataTable, type ColumnDef, StaleNotice, UpdatedAgo, ErrorState, LoadingState, RelativeTime } from "@/components/ui";
import { tenantHref } from "@/lib";
import { placementQueries } from "@/features/placement/queries";

interface TenantRow {
  tenant: string;
  shard: string;
}

const tenantColumns: ColumnDef<TenantRow, unknown>[] = [
  {
    id: "tenant",
    header: "Tenant",
    accessorKey: "tenant",
    cell: (c) => (
      <Link className="font-mono text-xs text-sky-800 hover:underline dark:text-sky-300" to={tenantHref(c.row.original.tenant)}>
        {c.row.original.tenant}
      </Link>
    ),
  },
  { id: "shard", header: "Shard", accessorKey: "shard" },
];

function MapCard({ map }: { map: PlacementMapView }) {
  const tenants = Object.entries(map.tenants).map(([tenant, shard]) => ({ tenant, shard }));
  return (
    <section aria-label={`Placement map ${map.kind}`} className="flex flex-col gap-3 rounded-lg border border-zinc-200 bg-white p-4 dark:border-zinc-800 dark:bg-zinc-900">
      <h2 className="text-sm font-semibold capitalize">{map.kind}</h2>
      <StaleNotice stale={map.stale} ageSeconds={map.stale_for_s} what={`${map.kind} map`} />
      {!map.present ? <p className="text-sm">No {map.kind} placement map is published.</p> : null}
      {map.last_error ? (
        <p className="text-sm text-red-800 dark:text-red-300">
          Last error <RelativeTime value={map.last_error.at} />: {map.last_error.detail}
        </p>
      ) : null}
      <dl className="grid grid-cols-2 gap-2 text-sm md:grid-cols-5">
        <div><dt className="text-xs text-zinc-600 dark:text-zinc-400">Key</dt><dd className="font-mono text-xs break-all">{map.key}</dd></div>
        <div><dt className="text-xs text-zinc-600 dark:text-zinc-400">Revision</dt><dd>{map.revision ?? "—"}</dd></div>
        <div><dt className="text-xs text-zinc-600 dark:text-zinc-400">Source</dt><dd>{map.source}</dd></div>
        <div><dt className="text-xs text-zinc-600 dark:text-zinc-400">Updated</dt><dd><RelativeTime value={map.updated_at} /></dd></div>
        <div><dt className="text-xs text-zinc-600 dark:text-zinc-400">Default shard</dt><dd>{map.default_shard ?? "—"}</dd></div>
      </dl>
      <div>
        <h3 className="text-xs font-semibold">Shards</h3>
        {Object.keys(map.shards).length === 0 ? (
          <p className="text-sm text-zinc-600 dark:text-zinc-400">No shards.</p>
        ) : (
          <ul className="mt-1 flex flex-col gap-1 text-sm">
            {Object.entries(map.shards).map(([name, shard]) => (
              <li key={name}>
                <span className="font-medium">{name}</span>:{" "}
                <span className="font-mono text-xs">{shard.endpoints.join(", ") || "no endpoints"}</span>
              </li>
            ))}
          </ul>
        )}
      </div>
      <div className="flex flex-col gap-1">
        <h3 className="text-xs font-semibold">Tenants ({map.tenant_count})</h3>
        <DataTable id={`placement-${map.kind}`} label={`Tenants of the ${map.kind} map`} columns={tenantColumns} data={tenants} getRowId={(r) => r.tenant} height="280px" empty="No tenant is placed explicitly." />
      </div>
    </section>
  );
}

export default function PlacementPage() {
  const placement = useQuery(placementQueries.overview());
  return (
    <Page title="Scale & Placement">
      {placement.isPending ? <LoadingState label="Loading placement…" /> : null}
      {placement.isError && !placement.data ? <ErrorState error={placement.error} onRetry={() => void placement.refetch()} /> : null}
      {placement.data ? (
        <>
          <StaleNotice stale={placement.data.stale} ageSeconds={placement.data.stale_for_s} what="placement" />
          <UpdatedAgo query={placement} />
          <p className="text-sm text-zinc-700 dark:text-zinc-300">Source: {placement.data.source}. Scaling actions are not available yet.</p>
          {placement.data.maps.map((map) => (
            <MapCard key={map.kind} map={map} />
          ))}
          <section aria-label="Routing" className="flex flex-col gap-2 rounded-lg border border-zinc-200 bg-white p-4 dark:border-zinc-800 dark:bg-zinc-900">
            <h2 className="text-sm font-semibold">Routing</h2>
            <StaleNotice stale={placement.data.routing.stale} ageSeconds={placement.data.routing.stale_for_s} what="routing config" />
            {placement.data.routing.config ? (
              <>
                <p className="text-sm">
                  Revision {placement.data.routing.revision ?? "—"} · upstream timeout {placement.data.routing.config.upstream_timeout_ms} ms
                </p>
                <ul className="flex flex-col gap-1 text-sm">
                  {placement.data.routing.config.routes.map((route) => (
                    <li key={`${route.kind}-${route.path_prefix}`}>
                      <code className="font-mono text-xs">{route.path_prefix}</code> → {route.kind}
                    </li>
                  ))}
                </ul>
              </>
            ) : (
              <p className="text-sm">No routing config is published.</p>
            )}
          </section>
        </>
      ) : null}
    </Page>
  );
}
