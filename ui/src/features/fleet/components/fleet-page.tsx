import { useQuery } from "@tanstack/react-query";
import { useSearchParams } from "react-router";
import type { InstanceHealth } from "@/api";
import { Page } from "@/components/layout";
import { DataTable, type ColumnDef, StaleNotice, ErrorState, LoadingState, RelativeTime, StatusBadge, TruncatedText, UpdatedAgo } from "@/components/ui";
import { formatDuration } from "@/lib";
import { InstanceSparkline } from "@/features/metrics";
import { InventoryView } from "./inventory";
import { SwarmView } from "./swarm";
import { TopologyView } from "./topology";
import { fleetQueries } from "@/features/fleet/queries";

const columns: ColumnDef<InstanceHealth, unknown>[] = [
  { id: "service", header: "Service", accessorKey: "service", meta: { priority: 2, width: 100 } },
  { id: "kind", header: "Kind", accessorKey: "kind", meta: { priority: 3, width: 90 } },
  { id: "instance", header: "Instance", accessorKey: "instance", cell: (c) => <code className="font-mono text-xs">{String(c.getValue())}</code>, meta: { priority: 1, width: 120 } },
  { id: "shard", header: "Shard", accessorFn: (i) => i.shard ?? "", cell: (c) => String(c.getValue()) || "—", meta: { priority: 2, width: 110 } },
  { id: "health", header: "Health", accessorKey: "health", cell: (c) => <StatusBadge status={c.row.original.health} />, meta: { priority: 1, width: 90 } },
  { id: "ready", header: "Ready", accessorKey: "ready", cell: (c) => <StatusBadge status={c.row.original.ready} />, meta: { priority: 1, width: 100 } },
  { id: "version", header: "Version", accessorFn: (i) => i.version ?? "", cell: (c) => <TruncatedText value={c.row.original.version} label="Version" />, meta: { priority: 1, width: 120 } },
  { id: "git_sha", header: "Git SHA", accessorFn: (i) => i.git_sha ?? "", cell: (c) => <code className="font-mono text-xs">{String(c.getValue()) || "—"}</code>, meta: { priority: 3, width: 90 } },
  {
    id: "requests",
    header: "Requests (30 min)",
    enableSorting: false,
    cell: (c) => <InstanceSparkline service={c.row.original.service} instance={c.row.original.instance} url={c.row.original.url} />,
    meta: { priority: 1, width: 170 },
  },
  { id: "latency", header: "Latency", accessorFn: (i) => i.latency_ms ?? -1, cell: (c) => formatDuration(c.row.original.latency_ms), meta: { priority: 3, width: 80 } },
  { id: "error", header: "Error", accessorFn: (i) => i.error ?? "", cell: (c) => <TruncatedText value={c.row.original.error} label="Error" />, meta: { priority: 2, width: 160 } },
];

type View = "instances" | "topology" | "swarm" | "nodes";
const VIEWS: ReadonlyArray<[View, string]> = [
  ["instances", "Instances"],
  ["topology", "Topology"],
  ["swarm", "Swarm"],
  ["nodes", "Nodes"],
];

export default function FleetPage() {
  const fleet = useQuery(fleetQueries.snapshot());
  const [params, setParams] = useSearchParams();
  const requested = params.get("view");
  const view: View = VIEWS.some(([id]) => id === requested) ? (requested as View) : "instances";
  const select = (next: View) =>
    setParams(
      (current) => {
        const updated = new URLSearchParams(current);
        if (next === "instances") updated.delete("view");
        else updated.set("view", next);
        return updated;
      },
      { replace: true },
    );
  return (
    <Page title="Fleet">
      {fleet.isPending ? <LoadingState label="Loading the fleet…" /> : null}
      {fleet.isError && !fleet.data ? <ErrorState error={fleet.error} onRetry={() => void fleet.refetch()} /> : null}
      {fleet.data ? (
        <>
          <StaleNotice stale={fleet.data.stale} ageSeconds={fleet.data.age_s} what="fleet snapshot" />
          <UpdatedAgo query={fleet} />
          <dl className="grid grid-cols-2 gap-3 md:grid-cols-5" aria-label="Fleet summary">
            {[
              ["Instances", fleet.data.summary.instances],
              ["Healthy", fleet.data.summary.healthy],
              ["Ready", fleet.data.summary.ready],
              ["Unreachable", fleet.data.summary.unreachable],
            ].map(([label, value]) => (
              <div key={label} className="rounded-lg border border-zinc-200 bg-white p-3 dark:border-zinc-800 dark:bg-zinc-900">
                <dt className="text-xs text-zinc-600 dark:text-zinc-400">{label}</dt>
                <dd className="text-lg font-semibold">{value}</dd>
              </div>
            ))}
            <div className="rounded-lg border border-zinc-200 bg-white p-3 dark:border-zinc-800 dark:bg-zinc-900">
              <dt className="text-xs text-zinc-600 dark:text-zinc-400">Snapshot</dt>
              <dd className="text-sm"><RelativeTime value={fleet.data.taken_at} /></dd>
            </div>
          </dl>
          {Object.keys(fleet.data.summary.versions).length > 0 ? (
            <p className="text-sm text-zinc-700 dark:text-zinc-300">
              Versions:{" "}
              {Object.entries(fleet.data.summary.versions)
                .map(([version, count]) => `${version} × ${count}`)
                .join(", ")}
            </p>
          ) : null}
          <div role="tablist" aria-label="Fleet views" className="flex gap-1 border-b border-zinc-200 dark:border-zinc-800">
            {VIEWS.map(([id, label]) => (
              <button
                key={id}
                type="button"
                role="tab"
                id={`fleet-tab-${id}`}
                aria-selected={view === id}
                aria-controls={`fleet-panel-${id}`}
                tabIndex={view === id ? 0 : -1}
                onClick={() => select(id)}
                onKeyDown={(e) => {
                  if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
                    const next = VIEWS[(VIEWS.findIndex(([v]) => v === id) + 1) % VIEWS.length]![0];
                    select(next);
                    document.getElementById(`fleet-tab-${next}`)?.focus();
                  }
                }}
                className={
                  view === id
                    ? "-mb-px border-b-2 border-sky-700 px-3 py-1.5 text-sm font-semibold dark:border-sky-300"
                    : "px-3 py-1.5 text-sm text-zinc-700 hover:text-zinc-950 dark:text-zinc-300 dark:hover:text-white"
                }
              >
                {label}
              </button>
            ))}
          </div>
          <div role="tabpanel" id={`fleet-panel-${view}`} aria-labelledby={`fleet-tab-${view}`} className="flex flex-col gap-4">
            {view === "topology" ? (
              <TopologyView fleet={fleet.data} />
            ) : view === "swarm" ? (
              <SwarmView fleet={fleet.data} />
            ) : view === "nodes" ? (
              <InventoryView />
            ) : (
              <DataTable
                id="fleet"
                label="Instances"
                columns={columns}
                data={fleet.data.instances}
                getRowId={(i) => `${i.service}/${i.instance}`}
                rowClassName={(i) => (i.health !== "ok" || i.ready !== "ready" ? "bg-red-50 dark:bg-red-950/60" : undefined)}
                empty="The fleet snapshot lists no instances."
              />
            )}
          </div>
        </>
      ) : null}
    </Page>
  );
}
