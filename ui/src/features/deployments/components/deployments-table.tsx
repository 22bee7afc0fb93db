import { Link } from "react-router";
import { DataTable, type ColumnDef, RelativeTime, TruncatedText } from "@/components/ui";
import { formatDuration, deploymentHref } from "@/lib";
import type { Deployment } from "@/features/deployments/types";
import { StateBadge } from "./deployment-status";


function specRange(d: Deployment): string {
  const from = d.from_spec_version ?? "?";
  const to = d.to_spec_version ?? "?";
  return `${from} → ${to}`;
}

const columns: ColumnDef<Deployment, unknown>[] = [
  {
    id: "started_at",
    header: "Started",
    accessorKey: "started_at",
    cell: (c) => (
      <Link className="text-sky-800 hover:underline dark:text-sky-300" to={deploymentHref(c.row.original.id)} aria-label={`Deployment ${c.row.original.id} of ${c.row.original.service}`}>
        <RelativeTime value={c.row.original.started_at} />
      </Link>
    ),
    meta: { priority: 1, width: 110 },
  },
  { id: "service", header: "Service", accessorKey: "service", meta: { priority: 1, width: 190 } },
  { id: "stack", header: "Stack", accessorFn: (d) => d.stack ?? "", cell: (c) => String(c.getValue()) || "—", meta: { priority: 3, width: 90 } },
  { id: "kind", header: "Kind", accessorKey: "kind", meta: { priority: 2, width: 90 } },
  { id: "status", header: "Status", accessorKey: "status", cell: (c) => <StateBadge state={c.row.original.status} />, meta: { priority: 1, width: 120 } },
  {
    id: "image",
    header: "Image",
    accessorFn: (d) => `${d.from_image ?? ""} ${d.to_image ?? ""}`,
    cell: (c) => <TruncatedText mono label="Image change" value={`${c.row.original.from_image ?? "?"} → ${c.row.original.to_image ?? "?"}`} />,
    meta: { priority: 1, width: 300 },
  },
  { id: "spec", header: "Spec version", accessorFn: specRange, meta: { priority: 3, width: 110 } },
  { id: "version", header: "Version", accessorFn: (d) => d.version ?? "", cell: (c) => String(c.getValue()) || "—", meta: { priority: 2, width: 90 } },
  {
    id: "duration",
    header: "Duration",
    accessorFn: (d) => d.duration_s ?? -1,
    cell: (c) => (c.row.original.duration_s == null ? "—" : formatDuration(c.row.original.duration_s * 1000)),
    meta: { priority: 3, width: 90 },
  },
];

export function DeploymentsTable({ deployments }: { deployments: readonly Deployment[] }) {
  return (
    <DataTable
      id="deployments"
      label="Deployments"
      columns={columns}
      data={deployments}
      getRowId={(d) => d.id}
      empty="No deployments match."
    />
  );
}
