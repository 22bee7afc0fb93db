import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Page } from "@/components/layout";
import { Button, DataTable, type ColumnDef, Modal, ErrorState, LoadingState, RelativeTime, StatusBadge, useToast } from "@/components/ui";
import { RIGHTS, currentTenant, useStore } from "@/lib";
import { useRights } from "@/session";
import type { IamSession } from "@/features/iam/parse";
import { iamKeys, iamQueries, revokeSession } from "@/features/iam/queries";

export default function SessionsPage() {
  const tenant = useStore(currentTenant);
  const sessions = useQuery(iamQueries.sessions(tenant));
  const rights = useRights();
  const toast = useToast();
  const queryClient = useQueryClient();
  const [target, setTarget] = useState<IamSession | null>(null);
  const revoke = useMutation({
    mutationFn: revokeSession,
    onSuccess: () => {
      toast.show({ tone: "success", title: "Session revoked" });
      setTarget(null);
      void queryClient.invalidateQueries({ queryKey: iamKeys.lists("sessions") });
    },
    onError: (error) => toast.error(error, "Revoke failed"),
  });
  const blocked = rights.reasonIfMissing(RIGHTS.iamWrite);

  const columns: ColumnDef<IamSession, unknown>[] = [
    { id: "id", header: "Session", accessorKey: "id", cell: (c) => <code className="font-mono text-xs">{String(c.getValue())}</code> },
    { id: "principal", header: "Principal", accessorFn: (s) => s.principalId ?? "", cell: (c) => String(c.getValue()) || "—" },
    { id: "created_at", header: "Created", accessorFn: (s) => s.createdAt ?? "", cell: (c) => <RelativeTime value={c.row.original.createdAt} /> },
    { id: "expires_at", header: "Expires", accessorFn: (s) => s.expiresAt ?? "", cell: (c) => <RelativeTime value={c.row.original.expiresAt} /> },
    { id: "status", header: "Status", accessorFn: (s) => s.status ?? "", cell: (c) => (c.row.original.status ? <StatusBadge status={c.row.original.status} /> : "—") },
    {
      id: "actions",
      header: "Actions",
      enableSorting: false,
      enableHiding: false,
      meta: { priority: 1, clip: false },
      cell: (c) => (
        <Button size="sm" variant="danger" disabledReason={blocked} onClick={() => setTarget(c.row.original)}>
          Revoke
        </Button>
      ),
    },
  ];

  return (
    <Page title="Sessions">
      {sessions.isPending ? <LoadingState label="Loading sessions…" /> : null}
      {sessions.isError ? <ErrorState error={sessions.error} onRetry={() => void sessions.refetch()} /> : null}
      {sessions.data ? (
        <DataTable id="sessions" label="Sessions" columns={columns} data={sessions.data} getRowId={(s) => s.id} empty="The Gateway returned no sessions." />
      ) : null}
      <Modal
        open={target !== null}
        onClose={() => setTarget(null)}
        title="Revoke session"
        description={target ? `Session ${target.id} of ${target.principalId ?? "an unknown principal"} will stop working at once.` : undefined}
        footer={
          <>
            <Button onClick={() => setTarget(null)}>Cancel</Button>
            <Button variant="danger" disabled={revoke.isPending} onClick={() => target && revoke.mutate(target.id)}>
              Revoke session
            </Button>
          </>
        }
      >
        {revoke.isError ? <ErrorState error={revoke.error} /> : null}
      </Modal>
    </Page>
  );
}
