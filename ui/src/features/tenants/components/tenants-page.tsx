import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import type { TenantSummary } from "@/api";
import { Page } from "@/components/layout";
import { DataTable, type ColumnDef, Input, JobLink, PagedResult, Select, StaleNotice, StatusBadge, UpdatedAgo } from "@/components/ui";
import { useCursorHistory, useUrlFilters, tenantHref } from "@/lib";
import { tenantQueries } from "@/features/tenants/queries";

const KINDS = ["aggregate", "projection", "runner"] as const;

const columns: ColumnDef<TenantSummary, unknown>[] = [
  {
    id: "tenant_id",
    header: "Tenant",
    accessorKey: "tenant_id",
    cell: (c) => (
      <Link className="font-mono text-xs text-sky-800 hover:underline dark:text-sky-300" to={tenantHref(c.row.original.tenant_id)}>
        {c.row.original.tenant_id}
      </Link>
    ),
  },
  ...KINDS.map<ColumnDef<TenantSummary, unknown>>((kind) => ({
    id: kind,
    header: `${kind[0]!.toUpperCase()}${kind.slice(1)} shard`,
    accessorFn: (t) => t.placement[kind]?.shard ?? "",
    cell: (c) => {
      const placement = c.row.original.placement[kind];
      if (!placement?.shard) return "—";
      return (
        <span>
          {placement.shard}
          {placement.explicit ? null : <span className="ml-1 text-xs text-zinc-600 dark:text-zinc-400">(default)</span>}
        </span>
      );
    },
  })),
  {
    id: "state",
    header: "State",
    accessorKey: "state",
    cell: (c) => {
      const { state, state_job_id: job } = c.row.original;
      const badge = <StatusBadge status={state} />;
      return job ? (
        <JobLink id={job} className="hover:underline">
          <span title={`Set by job ${job}`}>{badge}</span>
        </JobLink>
      ) : (
        badge
      );
    },
  },
  { id: "health", header: "Health", accessorKey: "health", cell: (c) => <StatusBadge status={c.row.original.health} /> },
  {
    id: "lag",
    header: "Lag",
    accessorFn: (t) => t.lag ?? -1,
    cell: (c) => (c.row.original.lag == null ? <span className="text-zinc-500" title="Not in the metrics store's tenant series; the tenant's page has the exact figure">—</span> : c.row.original.lag.toLocaleString()),
  },
];

const FILTERS = ["q", "match"] as const;

export default function TenantsPage() {
  const { values, setValues, cursor } = useUrlFilters(FILTERS);
  const pages = useCursorHistory(cursor, (next) => setValues({ cursor: next }));
  const tenants = useQuery(
    tenantQueries.list({
      q: values.q || undefined,
      match: values.match === "substring" ? "substring" : undefined,
      cursor,
      limit: 200,
    }),
  );
  return (
    <Page title="Tenants">
      <form className="flex flex-wrap items-end gap-3" aria-label="Tenant search" onSubmit={(e) => e.preventDefault()}>
        <Input label="Tenant id" placeholder="id or its start" value={values.q} onChange={(e) => setValues({ q: e.target.value })} />
        <Select
          label="Match"
          options={[
            { value: "", label: "Prefix" },
            { value: "substring", label: "Anywhere in the id" },
          ]}
          value={values.match}
          onChange={(e) => setValues({ match: e.target.value })}
        />
      </form>
      <PagedResult query={tenants} pages={pages} loadingLabel="Loading tenants…">
        {(page) => (
          <>
            <StaleNotice stale={page.stale} what="tenant placement" />
            <UpdatedAgo query={tenants} />
            <p className="text-sm text-zinc-700 dark:text-zinc-300">
              {page.total} tenant{page.total === 1 ? "" : "s"} named in the placement maps.{" "}
              <span className="text-zinc-600 dark:text-zinc-400">
                State is Control's last drain, resume or migration; health is the worst of the instances serving the tenant's shards;
                {page.lag_age_s == null ? " lag needs a metrics store." : ` lag from the metrics store, ${Math.round(page.lag_age_s)} s old.`}
              </span>
            </p>
            <DataTable id="tenants" label="Tenants" columns={columns} data={page.items} getRowId={(t) => t.tenant_id} empty="No tenant matches." />
          </>
        )}
      </PagedResult>
    </Page>
  );
}
