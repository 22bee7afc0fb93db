// Derived views of the fleet snapshot and the placement maps, shared by Overview and Fleet.
// Everything here is computed from API payloads; nothing is invented.
import type { FleetSnapshot, InstanceHealth, PlacementMapView, PlacementOverview } from "@/api";

export interface KindHealth {
  kind: string;
  instances: number;
  healthy: number;
  unhealthy: number;
  notReady: number;
}

/** Per kind: instances, healthy (health ok), unhealthy (failing or unreachable), not ready. */
export function healthByKind(instances: InstanceHealth[]): KindHealth[] {
  const byKind = new Map<string, KindHealth>();
  for (const i of instances) {
    const row = byKind.get(i.kind) ?? { kind: i.kind, instances: 0, healthy: 0, unhealthy: 0, notReady: 0 };
    row.instances += 1;
    if (i.health === "ok") row.healthy += 1;
    else row.unhealthy += 1;
    if (i.ready !== "ready") row.notReady += 1;
    byKind.set(i.kind, row);
  }
  return [...byKind.values()].sort((a, b) => kindOrder(a.kind) - kindOrder(b.kind) || a.kind.localeCompare(b.kind));
}

const KIND_ORDER = ["gateway", "aggregate", "projection", "runner"];
function kindOrder(kind: string): number {
  const i = KIND_ORDER.indexOf(kind);
  return i === -1 ? KIND_ORDER.length : i;
}

export interface VersionCount {
  version: string;
  gitSha: string;
  instances: string[];
}

export interface ServiceVersions {
  service: string;
  kind: string;
  versions: VersionCount[];
  /** More than one distinct known version/git SHA among the service's instances (an instance that did not answer has none). */
  mixed: boolean;
}

const UNKNOWN = "unknown";

/** Distinct version + git SHA per service, with the instances running each. */
export function versionsInPlay(instances: InstanceHealth[]): ServiceVersions[] {
  const byService = new Map<string, { kind: string; versions: Map<string, VersionCount> }>();
  for (const i of instances) {
    const entry = byService.get(i.service) ?? { kind: i.kind, versions: new Map<string, VersionCount>() };
    const version = i.version ?? UNKNOWN;
    const gitSha = i.git_sha ?? UNKNOWN;
    const key = `${version}\u0000${gitSha}`;
    const count = entry.versions.get(key) ?? { version, gitSha, instances: [] };
    count.instances.push(i.instance);
    entry.versions.set(key, count);
    byService.set(i.service, entry);
  }
  return [...byService.entries()]
    .map(([service, { kind, versions }]) => {
      const list = [...versions.values()].sort((a, b) => b.instances.length - a.instances.length || a.version.localeCompare(b.version));
      const known = list.filter((v) => v.version !== UNKNOWN || v.gitSha !== UNKNOWN);
      return { service, kind, versions: list, mixed: known.length > 1 };
    })
    .sort((a, b) => kindOrder(a.kind) - kindOrder(b.kind) || a.service.localeCompare(b.service));
}

export interface ShardCount {
  shard: string;
  isDefault: boolean;
  /** Tenants the map places on this shard by name. */
  explicit: number;
  /** Tenants named in another kind's map but not this one: they run on this (default) shard. */
  byDefault: number;
  total: number;
  /** The shard is not in the map's shard directory (a tenant points at an unknown shard). */
  unknown: boolean;
}

export interface KindShardCounts {
  kind: PlacementMapView["kind"];
  map: PlacementMapView;
  shards: ShardCount[];
}

/**
 * Tenants per shard for each kind. The tenants known to placement are those any map names; a
 * tenant this kind's map does not name runs on its default shard.
 */
export function tenantsPerShard(maps: PlacementMapView[]): KindShardCounts[] {
  const everyTenant = new Set<string>();
  for (const map of maps) for (const tenant of Object.keys(map.tenants)) everyTenant.add(tenant);
  return maps.map((map) => {
    const counts = new Map<string, ShardCount>();
    const slot = (shard: string) => {
      let c = counts.get(shard);
      if (!c) {
        c = { shard, isDefault: shard === map.default_shard, explicit: 0, byDefault: 0, total: 0, unknown: !(shard in map.shards) };
        counts.set(shard, c);
      }
      return c;
    };
    for (const shard of Object.keys(map.shards)) slot(shard);
    if (map.default_shard) slot(map.default_shard);
    for (const shard of Object.values(map.tenants)) {
      const c = slot(shard);
      c.explicit += 1;
      c.total += 1;
    }
    if (map.default_shard) {
      const c = slot(map.default_shard);
      for (const tenant of everyTenant) {
        if (!(tenant in map.tenants)) {
          c.byDefault += 1;
          c.total += 1;
        }
      }
    }
    return { kind: map.kind, map, shards: [...counts.values()].sort((a, b) => a.shard.localeCompare(b.shard)) };
  });
}

export interface EndpointView {
  url: string;
  /** Fleet instances at this URL. */
  instances: InstanceHealth[];
}

export interface ShardView {
  shard: ShardCount;
  endpoints: EndpointView[];
  /** Fleet instances that report this shard but are not at any of its endpoints. */
  elsewhere: InstanceHealth[];
}

export interface KindTopology {
  kind: string;
  /** The Gateway routes that lead to this kind. */
  routes: string[];
  map: PlacementMapView | null;
  shards: ShardView[];
  /** Instances of this kind that no shard of the map accounts for. */
  unplaced: InstanceHealth[];
}

export interface Topology {
  gateways: InstanceHealth[];
  kinds: KindTopology[];
}

export function normaliseUrl(url: string): string {
  return url.trim().replace(/\/+$/, "").toLowerCase();
}

/** Gateway → routes → kind → shards → endpoints, joined with the fleet's health by URL (and by shard name). */
export function topology(fleet: FleetSnapshot, placement: PlacementOverview): Topology {
  const byUrl = new Map<string, InstanceHealth[]>();
  for (const i of fleet.instances) {
    const key = normaliseUrl(i.url);
    byUrl.set(key, [...(byUrl.get(key) ?? []), i]);
  }
  const routes = placement.routing.config?.routes ?? [];
  const counts = new Map(tenantsPerShard(placement.maps).map((k) => [k.kind, k] as const));
  const kinds = new Set<string>([...placement.maps.map((m) => m.kind), ...fleet.instances.map((i) => i.kind).filter((k) => k !== "gateway")]);
  const result: KindTopology[] = [];
  for (const kind of [...kinds].sort((a, b) => kindOrder(a) - kindOrder(b) || a.localeCompare(b))) {
    const map = placement.maps.find((m) => m.kind === kind) ?? null;
    const accounted = new Set<InstanceHealth>();
    const shards: ShardView[] = (counts.get(kind as PlacementMapView["kind"])?.shards ?? []).map((shard) => {
      const urls = map?.shards[shard.shard]?.endpoints ?? [];
      const endpoints = urls.map((url) => {
        const instances = byUrl.get(normaliseUrl(url)) ?? [];
        instances.forEach((i) => accounted.add(i));
        return { url, instances };
      });
      const atEndpoints = new Set(endpoints.flatMap((e) => e.instances));
      const elsewhere = fleet.instances.filter((i) => i.kind === kind && i.shard === shard.shard && !atEndpoints.has(i));
      elsewhere.forEach((i) => accounted.add(i));
      return { shard, endpoints, elsewhere };
    });
    result.push({
      kind,
      routes: routes.filter((r) => r.kind === kind).map((r) => r.path_prefix),
      map,
      shards,
      unplaced: fleet.instances.filter((i) => i.kind === kind && !accounted.has(i)),
    });
  }
  return { gateways: fleet.instances.filter((i) => i.kind === "gateway"), kinds: result };
}

/** The fleet instances a Swarm service runs: the one at its admin address (`cloudlysis.admin_url`,
 * the address the API probes and verifies deploys at), the one discovered from it (named after the
 * Swarm service), or those whose logical service has the Swarm service's name. */
export function fleetInstancesOf(
  service: { service: string; admin_url?: string | null },
  instances: readonly InstanceHealth[],
): InstanceHealth[] {
  const trim = (url: string) => url.replace(/\/+$/, "");
  const adminUrl = service.admin_url ? trim(service.admin_url) : null;
  return instances.filter(
    (i) => (adminUrl !== null && trim(i.url) === adminUrl) || i.instance === service.service || i.service === service.service,
  );
}
