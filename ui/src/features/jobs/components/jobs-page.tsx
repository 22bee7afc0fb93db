import { useQuery } from "@tanstack/react-query";
import { Page } from "@/components/layout";
import { Button, Input, PagedResult, Select, StaleNotice } from "@/components/ui";
import { JOB_STATUSES, type JobStatus } from "@/api";
import { currentTenant, localInputToRfc3339, useCursorHistory, useStore, useUrlFilters } from "@/lib";
import { JobsTable } from "./jobs-table";
import { RunVerificationButton } from "./run-verification";
import { jobQueries } from "@/features/jobs/queries";

const FILTERS = ["kind", "status", "tenant_id", "since", "until"] as const;
const PAGE_SIZE = 50;

export default function JobsPage() {
  const { values, setValues, cursor } = useUrlFilters(FILTERS);
  const pages = useCursorHistory(cursor, (next) => setValues({ cursor: next }));
  const kinds = useQuery(jobQueries.kinds());
  // The header's tenant scopes the list unless the page's own Tenant filter names another.
  const headerTenant = useStore(currentTenant);
  const tenantId = values.tenant_id || headerTenant || undefined;
  const jobs = useQuery(
    jobQueries.list({
      kind: values.kind || undefined,
      status: (values.status || undefined) as JobStatus | undefined,
      tenant_id: tenantId,
      since: localInputToRfc3339(values.since),
      until: localInputToRfc3339(values.until),
      cursor,
      limit: PAGE_SIZE,
    }),
  );

  return (
    <Page title="Jobs" actions={<RunVerificationButton />}>
      <form
        className="grid grid-cols-2 items-end gap-3 md:grid-cols-6"
        aria-label="Job filters"
        onSubmit={(event) => event.preventDefault()}
      >
        {kinds.data ? (
          <Select
            label="Kind"
            emptyLabel="Any kind"
            options={kinds.data.map((k) => ({ value: k.kind, label: k.kind }))}
            value={values.kind}
            onChange={(e) => setValues({ kind: e.target.value })}
          />
        ) : (
          <Input label="Kind" value={values.kind} onChange={(e) => setValues({ kind: e.target.value })} />
        )}
        <Select
          label="Status"
          emptyLabel="Any status"
          options={JOB_STATUSES.map((s) => ({ value: s, label: s.replace(/_/g, " ") }))}
          value={values.status}
          onChange={(e) => setValues({ status: e.target.value })}
        />
        <Input
          label="Tenant"
          value={values.tenant_id}
          placeholder={headerTenant ?? undefined}
          hint={headerTenant && !values.tenant_id ? "From the header" : undefined}
          onChange={(e) => setValues({ tenant_id: e.target.value })}
        />
        <Input label="Since" type="datetime-local" value={values.since} onChange={(e) => setValues({ since: e.target.value })} />
        <Input label="Until" type="datetime-local" value={values.until} onChange={(e) => setValues({ until: e.target.value })} />
        <Button onClick={() => setValues({ kind: "", status: "", tenant_id: "", since: "", until: "" })}>Clear filters</Button>
      </form>
      <PagedResult query={jobs} pages={pages} loadingLabel="Loading jobs…">
        {(page) => (
          <>
            <StaleNotice stale={page.stale} ageSeconds={page.stale_for_s} what="job list" />
            <JobsTable jobs={page.items} />
          </>
        )}
      </PagedResult>
    </Page>
  );
}
