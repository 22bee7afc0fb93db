// Public surface of the fleet feature: the snapshot query and the views derived from it.
export { healthByKind, tenantsPerShard, topology, versionsInPlay } from "./model";
export type { KindHealth, KindShardCounts, KindTopology, ServiceVersions, ShardCount, ShardView, VersionCount } from "./model";
export { fleetKeys, fleetQueries } from "./queries";
