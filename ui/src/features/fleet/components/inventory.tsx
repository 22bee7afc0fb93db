import { useQuery } from "@tanstack/react-query";
import type { components } from "@/api";
import { LoadingState, RelativeTime, ScrollRegion, UpdatedAgo } from "@/components/ui";
import { SwarmErrorState } from "@/features/deployments";
import { formatValue } from "@/features/metrics";
import { fleetQueries } from "@/features/fleet/queries";

type InventoryNode = components["schemas"]["InventoryNode"];

const th = "px-2 py-1.5 font-medium";
const td = "px-2 py-1.5 align-top";

export function NodeInventoryTable({ nodes }: { nodes: readonly InventoryNode[] }) {
  return (
    <ScrollRegion label="Node inventory" className="rounded-lg border border-zinc-200 dark:border-zinc-800">
      <table aria-label="Node inventory" className="w-full text-left text-sm">
        <thead className="bg-zinc-100 text-xs text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300">
          <tr>
            <th scope="col" className={th}>Node</th>
            <th scope="col" className={th}>Role</th>
            <th scope="col" className={th}>Availability</th>
            <th scope="col" className={th}>Status</th>
            <th scope="col" className={th}>Engine</th>
            <th scope="col" className={th}>CPUs</th>
            <th scope="col" className={th}>Memory</th>
            <th scope="col" className={th}>Tasks running</th>
            <th scope="col" className={th}>Services</th>
          </tr>
        </thead>
        <tbody>
          {nodes.length === 0 ? (
            <tr>
              <td colSpan={9} className={`${td} text-center text-zinc-600 dark:text-zinc-400`}>
                The Swarm reports no nodes.
              </td>
            </tr>
          ) : null}
          {nodes.map((n) => (
            <tr key={n.id} data-node={n.hostname ?? n.id} className="border-t border-zinc-200 dark:border-zinc-800">
              <th scope="row" className={`${td} font-medium`}>
                {n.hostname ?? n.id}
                {n.addr ? <div className="text-xs font-normal text-zinc-600 dark:text-zinc-400">{n.addr}</div> : null}
              </th>
              <td className={td}>
                {n.role ?? "—"}
                {n.leader ? " (leader)" : ""}
              </td>
              <td className={td}>{n.availability ?? "—"}</td>
              <td className={td}>{n.status ?? "—"}</td>
              <td className={td}>{n.engine_version ?? "—"}</td>
              <td className={td}>{n.cpus ?? "—"}</td>
              <td className={td}>{typeof n.memory_bytes === "number" ? formatValue("bytes", n.memory_bytes) : "—"}</td>
              <td className={td}>{n.tasks_running ?? 0}</td>
              <td className={td}>
                {(n.services ?? []).length > 0 ? (
                  <ul aria-label={`Services on ${n.hostname ?? n.id}`} className="flex flex-wrap gap-1">
                    {(n.services ?? []).map((s) => (
                      <li key={s}>
                        <code className="rounded bg-zinc-100 px-1 font-mono text-xs dark:bg-zinc-800">{s}</code>
                      </li>
                    ))}
                  </ul>
                ) : (
                  "—"
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollRegion>
  );
}

/** Fleet → Nodes: every Swarm node with its resources and what runs on it, from one observation. */
export function InventoryView() {
  const inventory = useQuery(fleetQueries.inventory());
  if (inventory.data === undefined) {
    return inventory.isError ? (
      <SwarmErrorState error={inventory.error} onRetry={() => void inventory.refetch()} />
    ) : (
      <LoadingState label="Loading the node inventory…" />
    );
  }
  const data = inventory.data;
  return (
    <div className="flex flex-col gap-3">
      <UpdatedAgo query={inventory} />
      {data.stale ? (
        <p role="status" className="rounded-md border border-amber-300 bg-amber-50 p-2 text-sm dark:border-amber-700 dark:bg-amber-950">
          Stale: the Swarm's event stream is down; this is the last observation.
        </p>
      ) : null}
      <p className="text-sm text-zinc-700 dark:text-zinc-300">
        {data.nodes.length} {data.nodes.length === 1 ? "node" : "nodes"}, {data.services_total} services, {data.tasks_running} tasks running (source: {data.source}, observed{" "}
        <RelativeTime value={data.observed_at} />).
      </p>
      <NodeInventoryTable nodes={data.nodes} />
    </div>
  );
}
