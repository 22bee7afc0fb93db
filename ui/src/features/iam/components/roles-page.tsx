import { useQuery } from "@tanstack/react-query";
import { Page } from "@/components/layout";
import { EmptyState, ErrorState, LoadingState } from "@/components/ui";
import { currentTenant, useStore } from "@/lib";
import { iamQueries } from "@/features/iam/queries";

export default function RolesPage() {
  const tenant = useStore(currentTenant);
  const roles = useQuery(iamQueries.roles(tenant));
  return (
    <Page title="Roles & Permissions">
      <p className="text-sm text-zinc-600 dark:text-zinc-400">Roles and the rights they grant, read from the Gateway's IAM.</p>
      {roles.isPending ? <LoadingState label="Loading roles…" /> : null}
      {roles.isError ? <ErrorState error={roles.error} onRetry={() => void roles.refetch()} /> : null}
      {roles.data && roles.data.length === 0 ? <EmptyState title="The Gateway returned no roles." /> : null}
      {roles.data && roles.data.length > 0 ? (
        <ul className="grid gap-3 md:grid-cols-2" aria-label="Roles">
          {roles.data.map((role) => (
            <li key={role.name} className="rounded-lg border border-zinc-200 bg-white p-4 dark:border-zinc-800 dark:bg-zinc-900">
              <h2 className="font-mono text-sm font-semibold">{role.name}</h2>
              {role.rights.length === 0 ? (
                <p className="text-xs text-zinc-600 dark:text-zinc-400">No rights.</p>
              ) : (
                <ul className="mt-2 flex flex-wrap gap-1" aria-label={`Rights of ${role.name}`}>
                  {role.rights.map((right) => (
                    <li key={right} className="rounded bg-zinc-100 px-1.5 py-0.5 font-mono text-xs dark:bg-zinc-800">{right}</li>
                  ))}
                </ul>
              )}
            </li>
          ))}
        </ul>
      ) : null}
    </Page>
  );
}
