// Names the app uses for the API's schemas. The generated schema is the source of truth;
// this file only gives its members short names.
import type { components } from "./schema";

type Schemas = components["schemas"];

export type Problem = Schemas["Problem"];
export type UiConfig = Schemas["UiConfig"];
export type WhoAmI = Schemas["WhoAmI"];
export type SessionTokens = Schemas["SessionTokens"];
export type EffectiveSettings = Schemas["EffectiveSettings"];
export type RightInfo = Schemas["RightInfo"];
export type Job = Schemas["Job"];
export type JobStep = Schemas["Step"];
export type JobError = Schemas["StepError"];
export type JobKindInfo = Schemas["JobKindInfo"];
export type TenantActivity = Schemas["TenantActivity"];
export type JobStatus = Job["status"];
export type JobPage = Schemas["JobPage"];
export type AuditEvent = Schemas["AuditEvent"];
export type AuditRow = Schemas["AuditRow"];
export type AuditOutcome = AuditEvent["outcome"];
export type AuditPage = Schemas["AuditPage"];
export type InvestigateResult = Schemas["Investigation"];
export type FleetSnapshot = Schemas["FleetSnapshot"];
export type InstanceHealth = Schemas["InstanceHealth"];
export type PlacementOverview = Schemas["PlacementOverview"];
export type PlacementMapView = Schemas["PlacementMapView"];
export type TenantSummary = Schemas["TenantSummary"];
export type TenantDetail = Schemas["TenantDetail"];
export type KindDetail = Schemas["KindDetail"];
export type MigrationPlan = Schemas["MigrationPlan"];
export type PreflightCheck = Schemas["CheckResult"];
export type PlanStep = Schemas["PlanStep"];
export type Compensation = Schemas["Compensation"];
export type MetricsRange = Schemas["MetricsRange"];
export type MetricsSeries = Schemas["Series"];
export type MetricsQueryInfo = Schemas["MetricsQueryInfo"];
export type MetricsUnit = MetricsRange["unit"];

export const JOB_STATUSES: readonly JobStatus[] = [
  "pending",
  "running",
  "succeeded",
  "failed",
  "cancelling",
  "cancelled",
  "timed_out",
];

export const AUDIT_OUTCOMES: readonly AuditOutcome[] = [
  "succeeded",
  "failed",
  "denied",
  "refused",
  "accepted",
];

export const ACTIVE_JOB_STATUSES: readonly JobStatus[] = ["pending", "running", "cancelling"];
export type ConfigSummary = Schemas["ConfigSummary"];
export type ConfigDetail = Schemas["ConfigDetail"];
export type ConfigPlan = Schemas["ConfigPlan"];
export type ConfigHistoryEntry = Schemas["HistoryEntry"];
export type ConfigDomainInfo = Schemas["DomainInfo"];
export type ConfigFinding = Schemas["Finding"];
export type DiffHunk = Schemas["DiffHunk"];
export type DefinitionsOverview = Schemas["DefinitionsOverview"];
export type DefinitionView = Schemas["DefinitionView"];
