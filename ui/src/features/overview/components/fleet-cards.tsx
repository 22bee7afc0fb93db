import { useQuery } from "@tanstack/react-query";
import type { ReactNode } from "react";
import type { FleetSnapshot } from "@/api";
import { StaleNotice, QueryResult, UpdatedAgo } from "@/components/ui";
import { RIGHTS } from "@/lib";
import { useRights } from "@/session";
import { healthByKind, tenantsPerShard, versionsInPlay, fleetQueries } from "@/features/fleet";
import { placementQueries } from "@/features/placement";
import { Card, RequiresRight } from "./card";

const th = "px-2 py-1 text-left text-xs font-medium text-zinc-600 dark:text-zinc-400";
const td = "px-2 py-1";

/** A card on the fleet snapshot: the right check, loading and error, stale notice and "updated" line. */
function FleetCard({ title, children }: { title: string; children: (fleet: FleetSnapshot) => ReactNode }) {
  const allowed = useRights().has(RIGHTS.fleetRead);
  const fleet = useQuery({ ...fleetQueries.snapshot(), enabled: allowed });
  return (
    <Card title={title} to="/fleet" linkLabel="Open Fleet">
      {!allowed ? (
        <RequiresRight right={RIGHTS.fleetRead} />
      ) : (
        <QueryResult query={fleet} loadingLabel="Loading the fleet…">
          {(data) => (
            <>
              <StaleNotice stale={data.stale} ageSeconds={data.age_s} what="fleet snapshot" />
              {children(data)}
              <UpdatedAgo query={fleet} />
            </>
          )}
        </QueryResult>
      )}
    </Card>
  );
}

export function FleetHealthCard() {
  return (
    <FleetCard title="Fleet health">
      {(data) => {
        const rows = healthByKind(data.instances);
        const attention = data.instances.filter((i) => i.health !== "ok" || i.ready !== "ready");
        return (
          <>
            <p className="text-sm">
              {data.summary.instances} instance{data.summary.instances === 1 ? "" : "s"}: {data.summary.healthy} healthy,{" "}
              {data.summary.ready} ready, {data.summary.unreachable} unreachable.
            </p>
            {rows.length > 0 ? (
              <table className="text-sm" aria-label="Health by kind">
                <thead>
                  <tr>
                    <th scope="col" className={th}>Kind</th>
                    <th scope="col" className={th}>Instances</th>
                    <th scope="col" className={th}>Healthy</th>
                    <th scope="col" className={th}>Unhealthy</th>
                    <th scope="col" className={th}>Not ready</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((row) => (
                    <tr key={row.kind} className={row.unhealthy || row.notReady ? "bg-red-50 dark:bg-red-950/60" : undefined}>
                      <th scope="row" className={`${td} text-left font-medium capitalize`}>{row.kind}</th>
                      <td className={td}>{row.instances}</td>
                      <td className={td}>{row.healthy}</td>
                      <td className={td}>{row.unhealthy}</td>
                      <td className={td}>{row.notReady}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : (
              <p className="text-sm text-zinc-600 dark:text-zinc-400">The fleet snapshot lists no instances.</p>
            )}
            {attention.length > 0 ? (
              <p className="text-sm font-medium text-red-800 dark:text-red-300">
                Needs attention: {attention.map((i) => `${i.instance} (${i.health !== "ok" ? i.health : i.ready.replace(/_/g, " ")})`).join(", ")}
              </p>
            ) : rows.length > 0 ? (
              <p className="text-sm">All instances are healthy and ready.</p>
            ) : null}
          </>
        );
      }}
    </FleetCard>
  );
}

export function VersionsCard() {
  return (
    <FleetCard title="Versions in play">
      {(data) => {
        const services = versionsInPlay(data.instances);
        const mixed = services.filter((s) => s.mixed);
        return (
          <>
            {mixed.length > 0 ? (
              <p role="status" className="rounded-md border border-amber-300 bg-amber-50 p-2 text-sm font-medium dark:border-amber-700 dark:bg-amber-950">
                Mixed versions: {mixed.map((s) => `${s.service} runs ${s.versions.length} versions`).join("; ")}.
              </p>
            ) : services.length > 0 ? (
              <p className="text-sm">Every service runs a single version.</p>
            ) : null}
            {services.length === 0 ? (
              <p className="text-sm text-zinc-600 dark:text-zinc-400">The fleet snapshot lists no instances.</p>
            ) : (
              <ul className="flex flex-col gap-1 text-sm" aria-label="Versions by service">
                {services.map((s) => (
                  <li key={s.service} className={s.mixed ? "rounded bg-amber-50 px-1 dark:bg-amber-950" : undefined}>
                    <span className="font-medium">{s.service}</span>
                    {s.mixed ? <span className="ml-1 text-xs font-semibold uppercase">(mixed)</span> : null}:{" "}
                    {s.versions.map((v, index) => (
                      <span key={`${v.version}-${v.gitSha}`}>
                        {index > 0 ? ", " : ""}
                        {v.version === "unknown" && v.gitSha === "unknown" ? (
                          "unknown"
                        ) : (
                          <>
                            {v.version} <code className="font-mono text-xs">{v.gitSha}</code>
                          </>
                        )}{" "}
                        × {v.instances.length}
                      </span>
                    ))}
                  </li>
                ))}
              </ul>
            )}
          </>
        );
      }}
    </FleetCard>
  );
}

export function TenantsPerShardCard() {
  const rights = useRights();
  const allowed = rights.has(RIGHTS.placementRead);
  const placement = useQuery({ ...placementQueries.overview(), enabled: allowed });
  const kinds = placement.data ? tenantsPerShard(placement.data.maps) : [];
  return (
    <Card title="Tenants per shard" to="/placement" linkLabel="Open Scale & Placement">
      {!allowed ? (
        <RequiresRight right={RIGHTS.placementRead} />
      ) : (
        <QueryResult query={placement} loadingLabel="Loading placement…">
          {(data) => (
            <>
              <StaleNotice stale={data.stale} ageSeconds={data.stale_for_s} what="placement" />
              {kinds.length === 0 ? <p className="text-sm text-zinc-600 dark:text-zinc-400">No placement map is published.</p> : null}
              <div className="grid gap-3 md:grid-cols-3">
                {kinds.map((k) => (
                  <table key={k.kind} className="text-sm" aria-label={`Tenants per ${k.kind} shard`}>
                    <caption className="text-left text-xs font-semibold capitalize">
                      {k.kind} · revision {k.map.revision ?? "—"}
                      {k.map.stale ? " · stale" : ""}
                    </caption>
                    <thead>
                      <tr>
                        <th scope="col" className={th}>Shard</th>
                        <th scope="col" className={th}>Tenants</th>
                      </tr>
                    </thead>
                    <tbody>
                      {k.shards.map((s) => (
                        <tr key={s.shard}>
                          <th scope="row" className={`${td} text-left font-normal`}>
                            {s.shard}
                            {s.isDefault ? " (default)" : ""}
                            {s.unknown ? " (not in the shard directory)" : ""}
                          </th>
                          <td className={td}>
                            {s.total}
                            {s.byDefault > 0 ? <span className="text-xs text-zinc-600 dark:text-zinc-400"> ({s.byDefault} by default)</span> : null}
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                ))}
              </div>
              <UpdatedAgo query={placement} />
            </>
          )}
        </QueryResult>
      )}
    </Card>
  );
}
