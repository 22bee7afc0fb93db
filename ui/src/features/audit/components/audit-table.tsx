import { Link } from "react-router";
import type { AuditEvent, AuditRow } from "@/api";
import { DataTable, type ColumnDef, IdChip, StatusBadge, JobLink, RelativeTime, TruncatedText } from "@/components/ui";
import { investigateHref } from "@/lib";

type Row = AuditEvent & Partial<Pick<AuditRow, "repeat" | "first_at">>;

const columns: ColumnDef<Row, unknown>[] = [
  { id: "at", header: "At", accessorKey: "at", cell: (c) => <RelativeTime value={c.row.original.at} />, meta: { priority: 1, width: 100 } },
  { id: "actor", header: "Actor", accessorKey: "actor", meta: { priority: 1, width: 110 } },
  { id: "action", header: "Action", accessorKey: "action", cell: (c) => <code className="font-mono text-xs">{String(c.getValue())}</code>, meta: { priority: 1, width: 150 } },
  { id: "target", header: "Target", accessorKey: "target", cell: (c) => <TruncatedText value={c.row.original.target} label="Target" />, meta: { priority: 2, width: 150 } },
  {
    id: "outcome",
    header: "Outcome",
    accessorKey: "outcome",
    cell: (c) => (
      <span className="inline-flex items-center gap-1">
        {c.row.original.outcome === "denied" ? <span className="sr-only">Denied:</span> : null}
        <StatusBadge status={c.row.original.outcome} />
        {(c.row.original.repeat ?? 1) > 1 ? (
          <span
            className="rounded bg-red-100 px-1 text-xs font-semibold text-red-900 dark:bg-red-900 dark:text-red-100"
            title={`${c.row.original.repeat} denials in a row since ${c.row.original.first_at ?? "?"}`}
            data-testid="repeat"
          >
            ×{c.row.original.repeat}
          </span>
        ) : null}
      </span>
    ),
    meta: { priority: 1, width: 110 },
  },
  { id: "tenant", header: "Tenant", accessorFn: (e) => e.tenant_id ?? "", cell: (c) => String(c.getValue()) || "—", meta: { priority: 2, width: 100 } },
  { id: "reason", header: "Reason", accessorFn: (e) => e.reason ?? "", cell: (c) => <TruncatedText value={c.row.original.reason} label="Reason" />, meta: { priority: 3, width: 170 } },
  {
    id: "job",
    header: "Job",
    accessorFn: (e) => e.job_id ?? "",
    cell: (c) => (c.row.original.job_id ? <JobLink id={c.row.original.job_id}>{c.row.original.job_id.slice(0, 8)}…</JobLink> : "—"),
    meta: { priority: 3, width: 100 },
  },
  { id: "request_id", header: "Request ID", accessorFn: (e) => e.request_id ?? "", cell: (c) => <IdChip label="Request ID" value={c.row.original.request_id} short />, meta: { priority: 3, width: 190 } },
  {
    id: "correlation_id",
    header: "Correlation ID",
    accessorFn: (e) => e.correlation_id ?? "",
    cell: (c) => {
      const id = c.row.original.correlation_id;
      return (
        <span className="inline-flex items-center gap-1">
          <IdChip label="Correlation ID" value={id} short />
          {id ? (
            <Link className="text-xs text-sky-800 hover:underline dark:text-sky-300" to={investigateHref(id)} aria-label={`Investigate ${id}`}>
              Investigate
            </Link>
          ) : null}
        </span>
      );
    },
    meta: { priority: 2, width: 270 },
  },
];

/** Audit events; denials are highlighted so refused access stands out. With `onOpen`, each row
 * has a Details button (the page's detail drawer). */
export function AuditTable<T extends Row>({
  events,
  id = "audit",
  height,
  onOpen,
}: {
  events: readonly T[];
  id?: string;
  height?: string;
  onOpen?: (event: T) => void;
}) {
  const all = onOpen
    ? [
        {
          id: "open",
          header: "Details",
          enableSorting: false,
          enableHiding: false,
          cell: (c) => (
            <button
              type="button"
              className="rounded px-1.5 py-0.5 text-xs font-medium text-sky-800 hover:bg-sky-100 dark:text-sky-300 dark:hover:bg-sky-900"
              aria-label={`Details of ${c.row.original.action} at ${c.row.original.at}`}
              onClick={() => onOpen(c.row.original as T)}
            >
              Details
            </button>
          ),
          meta: { priority: 1, width: 70, clip: false },
        } satisfies ColumnDef<Row, unknown>,
        ...columns,
      ]
    : columns;
  return (
    <DataTable<Row>
      id={id}
      label="Audit events"
      columns={all}
      data={events}
      getRowId={(event) => event.id}
      rowClassName={(event) =>
        event.outcome === "denied" ? "bg-red-50 dark:bg-red-950/60 border-l-4 border-l-red-600" : undefined
      }
      empty="No audit events match."
      height={height}
    />
  );
}
