// Realistic fleet and placement payloads, shaped like the demo's (Gateway + 2 aggregate +
// 2 projection + 2 runner instances; one shard per instance).
import type { FleetSnapshot, InstanceHealth, PlacementMapView, PlacementOverview } from "@/api";
import { emptyFleet, emptyPlacement } from "./fake-api";

export function instance(overrides: Partial<InstanceHealth> & Pick<InstanceHealth, "instance" | "kind" | "url">): InstanceHealth {
  return {
    service: overrides.kind,
    shard: overrides.kind === "gateway" ? null : overrides.instance,
    health: "ok",
    ready: "ready",
    health_status: 200,
    ready_status: 200,
    latency_ms: 12,
    version: overrides.kind === "gateway" ? "0.0.0-devfleet" : "1.4.2",
    git_sha: overrides.kind === "gateway" ? "devfleet" : "d3v7f1e",
    metrics: {},
    metrics_source: "probe",
    error: null,
    ...overrides,
  };
}

export const demoInstances: InstanceHealth[] = [
  instance({ kind: "gateway", instance: "gateway", url: "http://127.0.0.1:8701" }),
  instance({ kind: "aggregate", instance: "aggregate-1", url: "http://127.0.0.1:8711" }),
  instance({ kind: "aggregate", instance: "aggregate-2", url: "http://127.0.0.1:8712" }),
  instance({ kind: "projection", instance: "projection-1", url: "http://127.0.0.1:8713" }),
  instance({ kind: "projection", instance: "projection-2", url: "http://127.0.0.1:8714" }),
  instance({ kind: "runner", instance: "runner-1", url: "http://127.0.0.1:8715" }),
  instance({ kind: "runner", instance: "runner-2", url: "http://127.0.0.1:8716" }),
];

export function fleetOf(instances: InstanceHealth[], overrides: Partial<FleetSnapshot> = {}): FleetSnapshot {
  const versions: Record<string, number> = {};
  for (const i of instances) versions[`${i.service}@${i.version}`] = (versions[`${i.service}@${i.version}`] ?? 0) + 1;
  return {
    ...emptyFleet,
    age_s: 2,
    max_age_s: 10,
    instances,
    summary: {
      instances: instances.length,
      healthy: instances.filter((i) => i.health === "ok").length,
      ready: instances.filter((i) => i.ready === "ready").length,
      unreachable: instances.filter((i) => i.health === "unreachable").length,
      versions,
    },
    ...overrides,
  };
}

export function placementMap(kind: PlacementMapView["kind"], tenants: Record<string, string>, overrides: Partial<PlacementMapView> = {}): PlacementMapView {
  const base = { aggregate: 8711, projection: 8713, runner: 8715 }[kind];
  return {
    kind,
    key: `${kind}_placement`,
    source: "nats",
    present: true,
    revision: { aggregate: "1", projection: "2", runner: "3" }[kind],
    updated_at: "2026-11-27T03:11:16.750Z",
    age_s: 5,
    stale: false,
    stale_for_s: null,
    default_shard: `${kind}-1`,
    shards: {
      [`${kind}-1`]: { endpoints: [`http://127.0.0.1:${base}`] },
      [`${kind}-2`]: { endpoints: [`http://127.0.0.1:${base + 1}/`] },
    },
    tenant_count: Object.keys(tenants).length,
    last_error: null,
    tenants,
    ...overrides,
  };
}

/** acme and globex on aggregate-2, initech on aggregate-1; the runner map names only acme. */
export const demoPlacement: PlacementOverview = {
  ...emptyPlacement,
  maps: [
    placementMap("aggregate", { acme: "aggregate-2", globex: "aggregate-2", initech: "aggregate-1" }),
    placementMap("projection", { acme: "projection-1", globex: "projection-2", initech: "projection-2" }),
    placementMap("runner", { acme: "runner-2" }),
  ],
  routing: {
    ...emptyPlacement.routing,
    present: true,
    revision: "4",
    config: {
      schema_version: 1,
      upstream_timeout_ms: 5000,
      overrides: [],
      routes: [
        { path_prefix: "/v1/tenants/{tenant}/commands", kind: "aggregate" },
        { path_prefix: "/v1/tenants/{tenant}/queries", kind: "projection" },
        { path_prefix: "/v1/tenants/{tenant}/jobs", kind: "runner" },
      ],
    },
  },
};
