import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import type { ConfigSummary } from "@/api";
import { Page } from "@/components/layout";
import { Button, DataTable, ErrorState, Input, LoadingState, Pager, Select, type ColumnDef } from "@/components/ui";
import { configHref, formatTime, useCursorHistory, useUrlFilters } from "@/lib";
import { CONFIG_DOMAINS, configQueries, type ConfigDomain } from "@/features/config/queries";

const FILTERS = ["domain", "scope"] as const;
// The API refuses a malformed scope (400): a scope being typed is not sent until it is whole.
const SCOPE = /^(platform|gateway|aggregate|projection|runner|tenant:[a-z0-9][a-z0-9-]{0,62})$/;

const columns: ColumnDef<ConfigSummary, unknown>[] = [
  { id: "domain", header: "Domain", accessorKey: "domain" },
  {
    id: "name",
    header: "Name",
    accessorKey: "name",
    cell: (c) => {
      const row = c.row.original;
      return (
        <Link
          className="text-sky-800 hover:underline dark:text-sky-300"
          to={configHref(row.domain, row.name, row.scope)}
          aria-label={`Config ${row.domain}/${row.name} (${row.scope})`}
        >
          {row.name}
        </Link>
      );
    },
  },
  { id: "scope", header: "Scope", accessorKey: "scope" },
  { id: "revision", header: "Revision", accessorFn: (c) => c.revision ?? "", cell: (c) => String(c.getValue()) || "absent" },
  {
    id: "sha256",
    header: "sha256",
    accessorFn: (c) => c.sha256 ?? "",
    cell: (c) => <code className="font-mono text-xs" title={String(c.getValue())}>{String(c.getValue()).slice(0, 12) || "—"}</code>,
  },
  { id: "updated_by", header: "Updated by", accessorFn: (c) => c.updated_by ?? "", cell: (c) => String(c.getValue()) || "—" },
  { id: "updated_at", header: "Updated", accessorFn: (c) => c.updated_at ?? "", cell: (c) => (c.row.original.updated_at ? formatTime(c.row.original.updated_at) : "—") },
  {
    id: "source",
    header: "Source",
    accessorFn: (c) => `${c.source}${c.read_only ? " (read-only)" : ""}`,
  },
];

export default function ConfigPage() {
  const { values, setValues, cursor } = useUrlFilters(FILTERS);
  const pages = useCursorHistory(cursor, (next) => setValues({ cursor: next }));
  const list = useQuery(
    configQueries.list({
      domain: (values.domain || undefined) as ConfigDomain | undefined,
      scope: SCOPE.test(values.scope) ? values.scope : undefined,
      cursor,
      limit: 200,
    }),
  );
  return (
    <Page title="Config">
      <p className="text-sm text-zinc-700 dark:text-zinc-300">
        Every dynamic config of the platform, versioned. Open one to see its history, edit it, plan the change and apply it as a
        verified job; roll back from any revision. Static boot config and secrets are not here (docs/config-surfaces.md).
      </p>
      <form className="grid grid-cols-2 items-end gap-3 md:grid-cols-4" aria-label="Config filters" onSubmit={(e) => e.preventDefault()}>
        <Select
          label="Domain"
          emptyLabel="Any domain"
          options={CONFIG_DOMAINS.map((d) => ({ value: d, label: d }))}
          value={values.domain}
          onChange={(e) => setValues({ domain: e.target.value })}
        />
        <Input label="Scope" value={values.scope} placeholder="platform, aggregate, tenant:acme" onChange={(e) => setValues({ scope: e.target.value })} />
        <Button onClick={() => setValues({ domain: "", scope: "" })}>Clear filters</Button>
      </form>
      {list.data === undefined ? (
        list.isError ? (
          <ErrorState error={list.error} onRetry={() => void list.refetch()} title="The configs could not be loaded" />
        ) : (
          <LoadingState label="Loading configs…" />
        )
      ) : (
        <>
          <DataTable
            id="configs"
            label="Configs"
            columns={columns}
            data={list.data.items}
            getRowId={(c) => `${c.domain}/${c.name}/${c.scope}`}
            empty="No config matches."
          />
          <Pager
            hasPrevious={pages.hasPrevious}
            nextCursor={list.data.next_cursor}
            onFirst={pages.first}
            onPrevious={pages.previous}
            onNext={pages.next}
            busy={list.isFetching}
          />
        </>
      )}
    </Page>
  );
}
