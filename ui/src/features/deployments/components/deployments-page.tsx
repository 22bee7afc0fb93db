import { useQuery } from "@tanstack/react-query";
import { Page } from "@/components/layout";
import { Button, Input, Pager, Select, LoadingState } from "@/components/ui";
import { useCursorHistory, useUrlFilters } from "@/lib";
import { DeploymentsTable } from "./deployments-table";
import { SwarmErrorState } from "./swarm-unavailable";
import { deploymentQueries } from "@/features/deployments/queries";
import { DEPLOYMENT_KINDS, DEPLOYMENT_STATUSES, type DeploymentKind, type DeploymentStatus } from "@/features/deployments/types";

const FILTERS = ["service", "status", "kind"] as const;
const PAGE_SIZE = 50;

export default function DeploymentsPage() {
  const { values, setValues, cursor } = useUrlFilters(FILTERS);
  const pages = useCursorHistory(cursor, (next) => setValues({ cursor: next }));
  const deployments = useQuery(
    deploymentQueries.list({
      service: values.service || undefined,
      status: (values.status || undefined) as DeploymentStatus | undefined,
      kind: (values.kind || undefined) as DeploymentKind | undefined,
      cursor,
      limit: PAGE_SIZE,
    }),
  );

  return (
    <Page title="Deployments">
      <p className="text-sm text-zinc-700 dark:text-zinc-300">
        Every Swarm service update and rollback, newest first. Deploy or roll back a service from a deployment or from
        Fleet → Swarm.
      </p>
      <form className="grid grid-cols-2 items-end gap-3 md:grid-cols-4" aria-label="Deployment filters" onSubmit={(e) => e.preventDefault()}>
        <Input label="Service" value={values.service} onChange={(e) => setValues({ service: e.target.value })} />
        <Select
          label="Status"
          emptyLabel="Any status"
          options={DEPLOYMENT_STATUSES.map((s) => ({ value: s, label: s.replace(/_/g, " ") }))}
          value={values.status}
          onChange={(e) => setValues({ status: e.target.value })}
        />
        <Select
          label="Kind"
          emptyLabel="Any kind"
          options={DEPLOYMENT_KINDS.map((k) => ({ value: k, label: k }))}
          value={values.kind}
          onChange={(e) => setValues({ kind: e.target.value })}
        />
        <Button onClick={() => setValues({ service: "", status: "", kind: "" })}>Clear filters</Button>
      </form>
      {deployments.data === undefined ? (
        deployments.isError ? (
          <SwarmErrorState error={deployments.error} onRetry={() => void deployments.refetch()} />
        ) : (
          <LoadingState label="Loading deployments…" />
        )
      ) : (
        <>
          <DeploymentsTable deployments={deployments.data.items} />
          <Pager
            hasPrevious={pages.hasPrevious}
            nextCursor={deployments.data.next_cursor}
            onFirst={pages.first}
            onPrevious={pages.previous}
            onNext={pages.next}
            busy={deployments.isFetching}
          />
        </>
      )}
    </Page>
  );
}
