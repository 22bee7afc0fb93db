import { Button, DataTable, RelativeTime, StatusBadge, type ColumnDef } from "@/components/ui";
import type { IamSession } from "@/features/iam/parse";

export const SELF_REVOKE_REASON = "This is your own session: use Sign out (Settings) to end it";

/** Sessions with the current one marked; revoking it takes Sign out, never one click here. */
export function SessionsTable({
  id,
  sessions,
  currentSessionId,
  blocked,
  onRevoke,
}: {
  id: string;
  sessions: IamSession[];
  currentSessionId: string | null;
  /** Why revoking is not allowed (a missing right), or null. */
  blocked: string | null;
  onRevoke: (session: IamSession) => void;
}) {
  const columns: ColumnDef<IamSession, unknown>[] = [
    {
      id: "id",
      header: "Session",
      accessorKey: "id",
      cell: (c) => (
        <span className="flex items-center gap-2">
          <code className="font-mono text-xs">{String(c.getValue())}</code>
          {c.row.original.id === currentSessionId ? (
            <span className="rounded bg-sky-100 px-1.5 py-0.5 text-xs font-medium text-sky-900 dark:bg-sky-900 dark:text-sky-100">
              This session
            </span>
          ) : null}
        </span>
      ),
    },
    { id: "principal", header: "User", accessorFn: (s) => s.principalId ?? "", cell: (c) => String(c.getValue()) || "—" },
    { id: "method", header: "Signed in with", accessorFn: (s) => s.method ?? "", cell: (c) => String(c.getValue()) || "—" },
    { id: "status", header: "Status", accessorFn: (s) => s.status ?? "", cell: (c) => (c.row.original.status ? <StatusBadge status={c.row.original.status} /> : "—") },
    { id: "created_at", header: "Created", accessorFn: (s) => s.createdAt ?? "", cell: (c) => <RelativeTime value={c.row.original.createdAt} /> },
    { id: "expires_at", header: "Expires", accessorFn: (s) => s.expiresAt ?? "", cell: (c) => <RelativeTime value={c.row.original.expiresAt} /> },
    {
      id: "actions",
      header: "Actions",
      enableSorting: false,
      enableHiding: false,
      cell: (c) => {
        const s = c.row.original;
        if (s.status !== "active") return null;
        const reason = s.id === currentSessionId ? SELF_REVOKE_REASON : blocked;
        return (
          <Button size="sm" variant="danger" disabledReason={reason} onClick={() => onRevoke(s)} aria-label={`Revoke session ${s.id}`}>
            Revoke
          </Button>
        );
      },
    },
  ];
  return (
    <DataTable
      id={id}
      label="Sessions"
      columns={columns}
      data={sessions}
      getRowId={(s) => s.id}
      empty="No session matches."
      height="min(50vh, 480px)"
    />
  );
}
