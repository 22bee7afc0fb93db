import { useQuery } from "@tanstack/react-query";
import type { ReactNode } from "react";
import type { FleetSnapshot, InstanceHealth } from "@/api";
import { StaleNotice, ErrorState, LoadingState, StatusBadge, UpdatedAgo } from "@/components/ui";
import { RIGHTS } from "@/lib";
import { useRights } from "@/session";
import { placementQueries } from "@/features/placement";
import { healthByKind, topology, type KindTopology, type ShardView } from "@/features/fleet/model";

const th = "px-2 py-1 text-left text-xs font-medium text-zinc-600 dark:text-zinc-400";
const td = "px-2 py-1 align-top";
const panel = "flex flex-col gap-2 rounded-lg border border-zinc-200 bg-white p-4 dark:border-zinc-800 dark:bg-zinc-900";

function capitalise(kind: string): string {
  return `${kind[0]?.toUpperCase() ?? ""}${kind.slice(1)}`;
}

function unhealthy(i: InstanceHealth): boolean {
  return i.health !== "ok" || i.ready !== "ready";
}

function InstanceLine({ instance }: { instance: InstanceHealth }) {
  return (
    <span className="inline-flex flex-wrap items-center gap-1">
      <code className="font-mono text-xs">{instance.instance}</code> <StatusBadge status={instance.health} />{" "}
      <StatusBadge status={instance.ready} /> <span className="text-xs">version {instance.version ?? "unknown"}</span>
      {instance.git_sha ? (
        <>
          {" "}
          <code className="font-mono text-xs">{instance.git_sha}</code>
        </>
      ) : null}
    </span>
  );
}

/** Services grouped by kind: every instance with its health, readiness and version. */
function ServicesByKind({ fleet }: { fleet: FleetSnapshot }) {
  const kinds = healthByKind(fleet.instances);
  return (
    <section aria-labelledby="services-by-kind" className={panel}>
      <h2 id="services-by-kind" className="text-sm font-semibold">Services by kind</h2>
      {kinds.length === 0 ? <p className="text-sm">The fleet snapshot lists no instances.</p> : null}
      <div className="grid gap-3 md:grid-cols-2">
        {kinds.map((k) => (
          <div key={k.kind} className="text-sm">
            <h3 className="font-medium">
              {capitalise(k.kind)} <span className="font-normal text-zinc-600 dark:text-zinc-400">· {k.healthy} of {k.instances} healthy{k.notReady ? `, ${k.notReady} not ready` : ""}</span>
            </h3>
            <ul aria-label={`Instances of kind ${k.kind}`} className="mt-1 flex flex-col gap-1">
              {fleet.instances
                .filter((i) => i.kind === k.kind)
                .map((i) => (
                  <li key={`${i.service}/${i.instance}`} className={unhealthy(i) ? "rounded bg-red-50 px-1 dark:bg-red-950/60" : undefined}>
                    <InstanceLine instance={i} /> <span className="font-mono text-xs text-zinc-600 dark:text-zinc-400">{i.url}</span>
                  </li>
                ))}
            </ul>
          </div>
        ))}
      </div>
    </section>
  );
}

interface Row {
  key: string;
  endpoint: ReactNode;
  instance: ReactNode;
  bad: boolean;
}

/** One shard as a row group: a row per endpoint (and per instance at it), plus instances reporting the shard from elsewhere. */
function ShardRows({ view }: { view: ShardView }) {
  const { shard, endpoints, elsewhere } = view;
  const rows: Row[] = [];
  for (const e of endpoints) {
    const url = <code className="font-mono text-xs">{e.url}</code>;
    if (e.instances.length === 0) {
      rows.push({ key: e.url, endpoint: url, instance: <span className="text-xs">No fleet instance at this URL; health unknown.</span>, bad: true });
    }
    for (const i of e.instances) rows.push({ key: `${e.url}/${i.instance}`, endpoint: url, instance: <InstanceLine instance={i} />, bad: unhealthy(i) });
  }
  for (const i of elsewhere) {
    rows.push({
      key: `elsewhere/${i.instance}`,
      endpoint: (
        <span className="text-xs">
          <code className="font-mono">{i.url}</code> (reports this shard; not one of its endpoints)
        </span>
      ),
      instance: <InstanceLine instance={i} />,
      bad: unhealthy(i),
    });
  }
  if (rows.length === 0) rows.push({ key: "none", endpoint: <span className="text-xs">No endpoints.</span>, instance: "—", bad: true });
  return (
    <tbody className="border-t border-zinc-200 dark:border-zinc-800">
      {rows.map((row, index) => (
        <tr key={row.key} className={row.bad ? "bg-red-50 dark:bg-red-950/60" : undefined}>
          {index === 0 ? (
            <>
              <th scope="row" rowSpan={rows.length} className={`${td} text-left font-medium`}>
                {shard.shard}
                {shard.isDefault ? " (default)" : ""}
                {shard.unknown ? " (not in the shard directory)" : ""}
              </th>
              <td rowSpan={rows.length} className={td}>
                {shard.total}
                {shard.byDefault > 0 ? <span className="text-xs"> ({shard.byDefault} by default)</span> : null}
              </td>
            </>
          ) : null}
          <td className={td}>{row.endpoint}</td>
          <td className={td}>{row.instance}</td>
        </tr>
      ))}
    </tbody>
  );
}

function ShardTable({ kind }: { kind: KindTopology }) {
  return (
    <table className="text-sm" aria-label={`Shards of ${kind.kind}`}>
      <thead>
        <tr>
          <th scope="col" className={th}>Shard</th>
          <th scope="col" className={th}>Tenants</th>
          <th scope="col" className={th}>Endpoint</th>
          <th scope="col" className={th}>Fleet instance</th>
        </tr>
      </thead>
      {kind.shards.map((view) => (
        <ShardRows key={view.shard.shard} view={view} />
      ))}
    </table>
  );
}

/** Gateway → routes → kind → shards → endpoints, each endpoint with the fleet's view of it. */
function GatewayToShards({ fleet }: { fleet: FleetSnapshot }) {
  const rights = useRights();
  const allowed = rights.has(RIGHTS.placementRead);
  const placement = useQuery({ ...placementQueries.overview(), enabled: allowed });
  return (
    <section aria-labelledby="gateway-to-shards" className={panel}>
      <h2 id="gateway-to-shards" className="text-sm font-semibold">Gateway → shards</h2>
      {!allowed ? (
        <p className="text-sm text-zinc-600 dark:text-zinc-400">Requires the right {RIGHTS.placementRead}.</p>
      ) : placement.data ? (
        (() => {
          const view = topology(fleet, placement.data);
          return (
            <>
              <StaleNotice stale={placement.data.stale} ageSeconds={placement.data.stale_for_s} what="placement" />
              <div className="text-sm">
                <h3 className="font-medium">Gateway</h3>
                {view.gateways.length === 0 ? (
                  <p>The fleet snapshot lists no Gateway instance.</p>
                ) : (
                  <ul aria-label="Gateway instances" className="mt-1 flex flex-col gap-1">
                    {view.gateways.map((g) => (
                      <li key={g.instance} className={unhealthy(g) ? "rounded bg-red-50 px-1 dark:bg-red-950/60" : undefined}>
                        <InstanceLine instance={g} /> <span className="font-mono text-xs text-zinc-600 dark:text-zinc-400">{g.url}</span>
                      </li>
                    ))}
                  </ul>
                )}
                {placement.data.routing.config ? null : <p className="mt-1">No routing config is published.</p>}
              </div>
              {view.kinds.map((k) => (
                <section key={k.kind} aria-label={`Topology ${k.kind}`} className="flex flex-col gap-1 border-t border-zinc-200 pt-2 dark:border-zinc-800">
                  <h3 className="text-sm font-medium">
                    {capitalise(k.kind)}
                    {k.map ? ` · revision ${k.map.revision ?? "—"} · source ${k.map.source}` : ""}
                  </h3>
                  <p className="text-xs text-zinc-700 dark:text-zinc-300">
                    {k.routes.length > 0 ? (
                      <>
                        Routed by the Gateway from{" "}
                        {k.routes.map((r, index) => (
                          <span key={r}>
                            {index > 0 ? ", " : ""}
                            <code className="font-mono">{r}</code>
                          </span>
                        ))}
                      </>
                    ) : (
                      "No Gateway route leads to this kind."
                    )}
                  </p>
                  {k.map ? <StaleNotice stale={k.map.stale} ageSeconds={k.map.stale_for_s} what={`${k.kind} map`} /> : null}
                  {!k.map || !k.map.present ? <p className="text-sm">No {k.kind} placement map is published.</p> : null}
                  {k.shards.length > 0 ? <ShardTable kind={k} /> : null}
                  {k.unplaced.length > 0 ? (
                    <div className="text-sm">
                      <p>Instances no shard accounts for:</p>
                      <ul aria-label={`${capitalise(k.kind)} instances outside the shard directory`}>
                        {k.unplaced.map((i) => (
                          <li key={i.instance}>
                            <InstanceLine instance={i} /> <span className="font-mono text-xs">{i.url}</span>
                          </li>
                        ))}
                      </ul>
                    </div>
                  ) : null}
                </section>
              ))}
              <UpdatedAgo query={placement} label="Placement" />
            </>
          );
        })()
      ) : placement.isError ? (
        <ErrorState error={placement.error} onRetry={() => void placement.refetch()} />
      ) : (
        <LoadingState label="Loading placement…" />
      )}
    </section>
  );
}

export function TopologyView({ fleet }: { fleet: FleetSnapshot }) {
  return (
    <div className="flex flex-col gap-4">
      <ServicesByKind fleet={fleet} />
      <GatewayToShards fleet={fleet} />
    </div>
  );
}
