import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import type { FleetSnapshot, InstanceHealth } from "@/api";
import { LoadingState, StatusBadge, UpdatedAgo, RelativeTime, ScrollRegion } from "@/components/ui";
import { fleetInstancesOf } from "@/features/fleet/model";
import { StateBadge, ServiceActionButton, SwarmErrorState, TasksTable, imageRef, swarmQueries, type SwarmNode, type SwarmService } from "@/features/deployments";

const th = "px-2 py-1.5 font-medium";
const td = "px-2 py-1.5";

/**
 * The service's fleet instances: how many are healthy, and the version they report, flagged when
 * it is not the tag Swarm runs (the service was changed behind Swarm's back, or reports wrongly).
 */
function FleetHealth({ instances, tag }: { instances: readonly InstanceHealth[]; tag: string | null | undefined }) {
  if (instances.length === 0) return <span className="text-xs text-zinc-600 dark:text-zinc-400">not in the fleet</span>;
  const healthy = instances.filter((i) => i.health === "ok").length;
  const reported = [...new Set(instances.map((i) => i.version).filter((v): v is string => Boolean(v)))];
  const differs = Boolean(tag) && reported.some((v) => v !== tag);
  return (
    <span className="text-xs" data-fleet-versions={reported.join(",")} data-versions-match={differs ? "false" : "true"}>
      {healthy}/{instances.length} healthy{" "}
      {instances.map((i) => (
        <StatusBadge key={i.instance} status={i.health} className="ml-1" />
      ))}
      {differs ? (
        <span className="ml-1 font-medium text-amber-800 dark:text-amber-300" title={`Swarm runs the tag ${tag}; the fleet instance reports ${reported.join(", ")}`}>
          reports {reported.join(", ")}
        </span>
      ) : null}
    </span>
  );
}

function ServicesTable({ services, fleet }: { services: readonly SwarmService[]; fleet: FleetSnapshot | undefined }) {
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const toggle = (name: string) =>
    setExpanded((current) => {
      const next = new Set(current);
      if (next.has(name)) next.delete(name);
      else next.add(name);
      return next;
    });
  const sorted = [...services].sort((a, b) => (a.stack ?? "").localeCompare(b.stack ?? "") || a.service.localeCompare(b.service));
  return (
    <ScrollRegion label="Swarm services" className="rounded-lg border border-zinc-200 dark:border-zinc-800">
      <table aria-label="Swarm services" className="w-full text-left text-sm">
        <thead className="bg-zinc-100 text-xs text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300">
          <tr>
            <th scope="col" className={th}>Service</th>
            <th scope="col" className={th}>Stack</th>
            <th scope="col" className={th}>Kind</th>
            <th scope="col" className={th}>Image tag</th>
            <th scope="col" className={th}>Version</th>
            <th scope="col" className={th}>Spec</th>
            <th scope="col" className={th}>Replicas</th>
            <th scope="col" className={th}>Update state</th>
            <th scope="col" className={th}>Fleet</th>
            <th scope="col" className={th}>Actions</th>
          </tr>
        </thead>
        {sorted.map((s) => {
          const open = expanded.has(s.service);
          const tasks = s.tasks ?? [];
          const short = s.replicas_desired != null && s.replicas_running < s.replicas_desired;
          const instances = fleetInstancesOf(s, fleet?.instances ?? []);
          return (
            <tbody key={s.id} data-service={s.service} className="border-t border-zinc-200 dark:border-zinc-800">
              <tr className={short ? "bg-red-50 dark:bg-red-950/60" : undefined}>
                <th scope="row" className={`${td} font-medium`}>
                  <button
                    type="button"
                    aria-expanded={open}
                    aria-label={`${s.service} tasks`}
                    aria-controls={`swarm-tasks-${s.id}`}
                    onClick={() => toggle(s.service)}
                    className="inline-flex items-center gap-1 text-left hover:underline"
                  >
                    <span aria-hidden="true">{open ? "▾" : "▸"}</span>
                    {s.service}
                  </button>
                </th>
                <td className={td}>{s.stack ?? "—"}</td>
                <td className={td}>{s.kind ?? "—"}</td>
                <td className={td}>
                  <code className="font-mono text-xs" title={imageRef(s)}>{s.image_tag ?? s.image}</code>
                </td>
                <td className={td}>{s.version ?? "—"}</td>
                <td className={td}>{s.spec_version}</td>
                <td className={td}>
                  {s.replicas_running}/{s.replicas_desired ?? "—"} running{short ? " (short)" : ""}
                </td>
                <td className={td}>
                  <StateBadge state={s.update_state} />
                </td>
                <td className={td}>
                  <FleetHealth instances={instances} tag={s.image_tag} />
                </td>
                <td className={td}>
                  <div className="flex gap-1">
                    <ServiceActionButton size="sm" action="deploy" service={s.service} currentImage={imageRef(s)} currentSpecVersion={s.spec_version} />
                    <ServiceActionButton size="sm" action="rollback" service={s.service} currentSpecVersion={s.spec_version} />
                  </div>
                </td>
              </tr>
              {open ? (
                <tr id={`swarm-tasks-${s.id}`}>
                  <td colSpan={10} className="bg-zinc-50 px-4 py-2 dark:bg-zinc-950">
                    <div className="flex flex-col gap-2">
                      <p className="text-xs text-zinc-700 dark:text-zinc-300">
                        <code className="font-mono">{imageRef(s)}</code>
                        {s.update_message ? ` · ${s.update_message}` : ""} · updated <RelativeTime value={s.updated_at} /> ·{" "}
                        <Link className="text-sky-800 underline dark:text-sky-300" to={`/deployments?service=${encodeURIComponent(s.service)}`}>
                          deployments of {s.service}
                        </Link>
                      </p>
                      <TasksTable tasks={tasks} label={`Tasks of ${s.service}`} />
                    </div>
                  </td>
                </tr>
              ) : null}
            </tbody>
          );
        })}
      </table>
    </ScrollRegion>
  );
}

function NodesTable({ nodes }: { nodes: readonly SwarmNode[] }) {
  return (
    <ScrollRegion label="Swarm nodes" className="rounded-lg border border-zinc-200 dark:border-zinc-800">
      <table aria-label="Swarm nodes" className="w-full text-left text-sm">
        <thead className="bg-zinc-100 text-xs text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300">
          <tr>
            <th scope="col" className={th}>Hostname</th>
            <th scope="col" className={th}>Role</th>
            <th scope="col" className={th}>Availability</th>
            <th scope="col" className={th}>State</th>
            <th scope="col" className={th}>Address</th>
            <th scope="col" className={th}>Engine</th>
          </tr>
        </thead>
        <tbody>
          {nodes.map((n) => (
            <tr key={n.id} className="border-t border-zinc-200 dark:border-zinc-800">
              <th scope="row" className={`${td} font-medium`}>{n.hostname ?? n.id}</th>
              <td className={td}>
                {n.role ?? "—"}
                {n.leader ? " (leader)" : ""}
              </td>
              <td className={td}>{n.availability ?? "—"}</td>
              <td className={td}>
                <StateBadge state={n.state} />
              </td>
              <td className={td}>{n.addr ?? "—"}</td>
              <td className={td}>{n.engine_version ?? "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollRegion>
  );
}

/** Fleet → Swarm: each Swarm service with its update state, replicas and tasks, then the nodes. */
export function SwarmView({ fleet }: { fleet?: FleetSnapshot }) {
  const services = useQuery(swarmQueries.services());
  const nodes = useQuery({ ...swarmQueries.nodes(), enabled: services.isSuccess });
  if (services.data === undefined) {
    return services.isError ? (
      <SwarmErrorState error={services.error} onRetry={() => void services.refetch()} />
    ) : (
      <LoadingState label="Loading Swarm services…" />
    );
  }
  return (
    <div className="flex flex-col gap-4">
      <UpdatedAgo query={services} />
      <p className="text-sm text-zinc-700 dark:text-zinc-300">
        {services.data.items.length} Swarm services (source: {services.data.source}, read <RelativeTime value={services.data.fetched_at} />).
        Expand a service for its tasks.
      </p>
      <ServicesTable services={services.data.items} fleet={fleet} />
      <h2 className="text-sm font-semibold">Nodes</h2>
      {nodes.data ? (
        <NodesTable nodes={nodes.data.items} />
      ) : nodes.isError ? (
        <SwarmErrorState error={nodes.error} onRetry={() => void nodes.refetch()} />
      ) : (
        <LoadingState label="Loading Swarm nodes…" />
      )}
    </div>
  );
}

