// Short names for the drift schemas (kept here, not in api/types.ts, so this feature does not
// touch a shared file).
import type { components } from "@/api";

type Schemas = components["schemas"];

export type DriftReport = Schemas["DriftReport"];
export type DriftItem = Schemas["DriftItem"];
export type DriftRemedy = Schemas["DriftRemedy"];
export type DriftAck = Schemas["DriftAck"];
export type DriftCategory = DriftItem["category"];
export type DriftSeverity = DriftItem["severity"];

/** In the order the page lists them: what is gone first, then what should not be there. */
export const DRIFT_CATEGORIES: readonly DriftCategory[] = ["missing", "extra", "version", "config", "unhealthy"];
export const DRIFT_SEVERITIES: readonly DriftSeverity[] = ["critical", "warning"];
