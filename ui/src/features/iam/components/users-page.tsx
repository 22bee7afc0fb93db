import { useQuery } from "@tanstack/react-query";
import { Page } from "@/components/layout";
import { DataTable, type ColumnDef, ErrorState, LoadingState } from "@/components/ui";
import { currentTenant, useStore } from "@/lib";
import type { IamUser } from "@/features/iam/parse";
import { iamQueries } from "@/features/iam/queries";

const columns: ColumnDef<IamUser, unknown>[] = [
  { id: "id", header: "ID", accessorKey: "id", cell: (c) => <code className="font-mono text-xs">{String(c.getValue())}</code> },
  { id: "name", header: "Name", accessorFn: (u) => u.name ?? "", cell: (c) => String(c.getValue()) || "—" },
  { id: "roles", header: "Roles", accessorFn: (u) => u.roles.join(", "), cell: (c) => String(c.getValue()) || "—" },
];

export default function UsersPage() {
  const tenant = useStore(currentTenant);
  const users = useQuery(iamQueries.users(tenant));
  return (
    <Page title="Users">
      <p className="text-sm text-zinc-600 dark:text-zinc-400">Read from the Gateway's IAM{tenant ? ` for tenant ${tenant}` : ""}.</p>
      {users.isPending ? <LoadingState label="Loading users…" /> : null}
      {users.isError ? <ErrorState error={users.error} onRetry={() => void users.refetch()} /> : null}
      {users.data ? <DataTable id="users" label="Users" columns={columns} data={users.data} getRowId={(u) => u.id} empty="The Gateway returned no users." /> : null}
    </Page>
  );
}
