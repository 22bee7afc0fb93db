import type { SwarmTask } from "@/features/deployments/types";
import { RelativeTime, ScrollRegion } from "@/components/ui";
import { StateBadge } from "./deployment-status";

/** A service's tasks (a handful per service, so a plain table): state, desired state, node, error. */
export function TasksTable({ tasks, label }: { tasks: readonly SwarmTask[]; label: string }) {
  if (tasks.length === 0) return <p className="text-sm text-zinc-600 dark:text-zinc-400">No tasks.</p>;
  const sorted = [...tasks].sort((a, b) => (a.slot ?? 0) - (b.slot ?? 0) || (b.updated_at ?? "").localeCompare(a.updated_at ?? ""));
  return (
    <ScrollRegion label={label}>
      <table aria-label={label} className="w-full text-left text-sm">
        <thead className="text-xs text-zinc-600 dark:text-zinc-400">
          <tr>
            <th scope="col" className="px-2 py-1 font-medium">Slot</th>
            <th scope="col" className="px-2 py-1 font-medium">State</th>
            <th scope="col" className="px-2 py-1 font-medium">Desired state</th>
            <th scope="col" className="px-2 py-1 font-medium">Node</th>
            <th scope="col" className="px-2 py-1 font-medium">Image</th>
            <th scope="col" className="px-2 py-1 font-medium">Updated</th>
            <th scope="col" className="px-2 py-1 font-medium">Error</th>
          </tr>
        </thead>
        <tbody>
          {sorted.map((task) => (
            <tr key={task.id} className="border-t border-zinc-200 dark:border-zinc-800">
              <td className="px-2 py-1">{task.slot ?? "—"}</td>
              <td className="px-2 py-1"><StateBadge state={task.state} /></td>
              <td className="px-2 py-1">{task.desired_state ?? "—"}</td>
              <td className="px-2 py-1">{task.node ?? task.node_id ?? "—"}</td>
              <td className="px-2 py-1"><code className="font-mono text-xs">{task.image ?? "—"}</code></td>
              <td className="px-2 py-1"><RelativeTime value={task.updated_at} /></td>
              <td className="px-2 py-1 text-red-800 dark:text-red-300">{task.error || "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollRegion>
  );
}
