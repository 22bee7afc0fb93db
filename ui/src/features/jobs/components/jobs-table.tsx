import type { Job } from "@/api";
import { DataTable, type ColumnDef, IdChip, StatusBadge, JobLink } from "@/components/ui";
import { durationBetween, formatDuration, formatTime } from "@/lib";

const columns: ColumnDef<Job, unknown>[] = [
  { id: "id", header: "Job", accessorKey: "id", cell: (c) => <JobLink id={c.row.original.id} /> },
  { id: "created_at", header: "Created", accessorKey: "created_at", cell: (c) => formatTime(c.getValue() as string) },
  { id: "kind", header: "Kind", accessorKey: "kind", cell: (c) => <code className="font-mono text-xs">{String(c.getValue())}</code> },
  { id: "status", header: "Status", accessorKey: "status", cell: (c) => <StatusBadge status={c.row.original.status} /> },
  { id: "reason", header: "Reason", accessorKey: "reason", cell: (c) => <span className="block max-w-64 truncate" title={String(c.getValue())}>{String(c.getValue())}</span> },
  { id: "tenant", header: "Tenant", accessorFn: (job) => job.tenant_id ?? "", cell: (c) => String(c.getValue()) || "—" },
  { id: "created_by", header: "Created by", accessorKey: "created_by" },
  {
    id: "duration",
    header: "Duration",
    accessorFn: (job) => durationBetween(job.started_at, job.finished_at) ?? -1,
    cell: (c) => formatDuration(durationBetween(c.row.original.started_at, c.row.original.finished_at)),
  },
  {
    id: "correlation_id",
    header: "Correlation ID",
    accessorFn: (job) => job.correlation_id ?? "",
    cell: (c) => <IdChip label="Correlation ID" value={c.row.original.correlation_id} short />,
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
