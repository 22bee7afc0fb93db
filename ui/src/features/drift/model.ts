import type { DriftCategory, DriftItem, DriftReport, DriftSeverity } from "./types";

export interface DriftFilters {
  category?: DriftCategory;
  severity?: DriftSeverity;
  /** false: leave acknowledged items out. */
  showAcknowledged: boolean;
}

/**
 * The items the list shows. The page asks the API for the whole report once (one poll, stable
 * chip counts) and narrows it here with the same rules the API's query filters apply.
 */
export function filterItems(report: DriftReport, filters: DriftFilters): DriftItem[] {
  return report.items.filter(
    (item) =>
      (!filters.category || item.category === filters.category) &&
      (!filters.severity || item.severity === filters.severity) &&
      (filters.showAcknowledged || !item.acknowledged),
  );
}

/** How long an acknowledgement lasts: the choices the form offers (the API takes 60 s to 90 d). */
export const ACK_EXPIRIES: ReadonlyArray<{ label: string; seconds: number }> = [
  { label: "1 h", seconds: 3600 },
  { label: "24 h", seconds: 86_400 },
  { label: "7 d", seconds: 7 * 86_400 },
  { label: "30 d", seconds: 30 * 86_400 },
];

export const DEFAULT_ACK_EXPIRY_S = 86_400;

/** The service and, when the item is about one instance of it, that instance. */
export function itemTarget(item: Pick<DriftItem, "service" | "instance">): string {
  return item.instance && item.instance !== item.service ? `${item.service} (${item.instance})` : item.service;
}

/** A remedy's params as strings (params are free-form JSON; unknown shapes read as absent). */
export function stringParam(params: Record<string, unknown>, key: string): string | undefined {
  const value = params[key];
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

export function stringListParam(params: Record<string, unknown>, key: string): string[] {
  const value = params[key];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string" && v.length > 0) : [];
}
