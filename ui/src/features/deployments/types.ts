// Short names for the Swarm and deployment schemas (kept here, not in api/types.ts, so this
// feature does not touch a shared file).
import type { components } from "@/api";

type Schemas = components["schemas"];

export type SwarmService = Schemas["SwarmService"];
export type SwarmServiceList = Schemas["SwarmServiceList"];
export type SwarmTask = Schemas["SwarmTask"];
export type SwarmNode = Schemas["SwarmNode"];
export type SwarmNodeList = Schemas["SwarmNodeList"];
export type Deployment = Schemas["Deployment"];
export type DeploymentDetail = Schemas["DeploymentDetail"];
export type DeploymentPage = Schemas["DeploymentPage"];
export type SpecChange = Schemas["SpecChange"];
export type TimelineEntry = Schemas["TimelineEntry"];
export type DeploymentStatus = Deployment["status"];
export type DeploymentKind = Deployment["kind"];

export const DEPLOYMENT_STATUSES: readonly DeploymentStatus[] = [
  "in_progress",
  "completed",
  "paused",
  "rolling_back",
  "rolled_back",
  "rollback_paused",
];

export const DEPLOYMENT_KINDS: readonly DeploymentKind[] = ["update", "rollback"];
