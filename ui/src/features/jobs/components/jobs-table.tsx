import type { Job } from "@/api";
import { DataTable, type ColumnDef, IdChip, StatusBadge, JobLink, RelativeTime, TruncatedText } from "@/components/ui";
import { durationBetween, formatDuration } from "@/lib";

// Priorities: 1 always shown; 3 gives way first when the table is narrow (docs/ui.md).
const columns: ColumnDef<Job, unknown>[] = [
  { id: "id", header: "Job", accessorKey: "id", cell: (c) => <JobLink id={c.row.original.id} />, meta: { priority: 1, width: 150 } },
  { id: "created_at", header: "Created", accessorKey: "created_at", cell: (c) => <RelativeTime value={c.row.original.created_at} />, meta: { priority: 1, width: 100 } },
  { id: "kind", header: "Kind", accessorKey: "kind", cell: (c) => <code className="font-mono text-xs">{String(c.getValue())}</code>, meta: { priority: 1, width: 150 } },
  { id: "status", header: "Status", accessorKey: "status", cell: (c) => <StatusBadge status={c.row.original.status} />, meta: { priority: 1, width: 110 } },
  { id: "reason", header: "Reason", accessorKey: "reason", cell: (c) => <TruncatedText value={c.row.original.reason} label="Reason" />, meta: { priority: 3, width: 190 } },
  { id: "tenant", header: "Tenant", accessorFn: (job) => job.tenant_id ?? "", cell: (c) => String(c.getValue()) || "—", meta: { priority: 2, width: 110 } },
  { id: "created_by", header: "Created by", accessorKey: "created_by", meta: { priority: 3, width: 100 } },
  {
    id: "duration",
    header: "Duration",
    accessorFn: (job) => durationBetween(job.started_at, job.finished_at) ?? -1,
    cell: (c) => formatDuration(durationBetween(c.row.original.started_at, c.row.original.finished_at)),
    meta: { priority: 3, width: 90 },
  },
  {
    id: "correlation_id",
    header: "Correlation ID",
    accessorFn: (job) => job.correlation_id ?? "",
    cell: (c) => <IdChip label="Correlation ID" value={c.row.original.correlation_id} short />,
    meta: { priority: 2, width: 210 },
  },
];

export function JobsTable({ jobs, id = "jobs", height }: { jobs: readonly Job[]; id?: string; height?: string }) {
  return (
    <DataTable
      id={id}
      label="Jobs"
      columns={columns}
      data={jobs}
      getRowId={(job) => job.id}
      empty="No jobs match."
      height={height}
    />
  );
}
