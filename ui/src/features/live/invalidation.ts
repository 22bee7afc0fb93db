// What each event on the live stream makes stale, named through the features' key factories,
// and the batching that turns a burst of events into one refetch per query.
import type { QueryClient, QueryKey } from "@tanstack/react-query";
import type { LiveEvent } from "@/api";
import { auditKeys } from "@/features/audit";
import { deploymentKeys, swarmKeys } from "@/features/deployments";
import { driftKeys } from "@/features/drift";
import { fleetKeys } from "@/features/fleet";
import { investigateKeys } from "@/features/investigate";
import { jobKeys } from "@/features/jobs";
import { placementKeys } from "@/features/placement";
import { tenantKeys } from "@/features/tenants";

/**
 * Every family of queries the stream's events speak for: what a `resync` (or the stream going
 * down) refetches. Migration plans are left out on purpose: a plan is asked for by the operator
 * and carries the hash the migration must match; it must not change under their eyes.
 */
export function coveredKeys(): QueryKey[] {
  return [
    jobKeys.all,
    auditKeys.all,
    tenantKeys.lists(),
    tenantKeys.details(),
    placementKeys.all,
    fleetKeys.all,
    deploymentKeys.all,
    swarmKeys.all,
    driftKeys.all,
    investigateKeys.all,
  ];
}

const tenantDetail = (tenantId: string | null): QueryKey[] => (tenantId ? [tenantKeys.detail(tenantId)] : []);

/** The queries one event makes stale (each a key prefix). */
export function keysForEvent(event: LiveEvent): QueryKey[] {
  switch (event.topic) {
    case "resync":
      return coveredKeys();
    case "job":
      // Lists (Jobs, the Overview's recent jobs), the job's page, investigations, the tenant's recent
      // jobs, and drift (a remedy or an acknowledgement is a job; drift itself is polled besides).
      return [jobKeys.lists(), jobKeys.detail(event.data.id), investigateKeys.all, driftKeys.all, ...tenantDetail(event.data.tenant_id)];
    case "audit":
      // Every audit list, the job page's own audit table (an audit list by correlation id) included.
      return [auditKeys.lists(), investigateKeys.all, ...tenantDetail(event.data.tenant_id)];
    case "deployment":
      return [deploymentKeys.lists(), deploymentKeys.detail(event.data.id), swarmKeys.all, driftKeys.all];
    case "placement":
      return [placementKeys.all, tenantKeys.lists(), tenantKeys.details()];
    case "fleet":
      // Tenant pages show each endpoint's health and lag from the fleet snapshot.
      return [fleetKeys.all, tenantKeys.details()];
  }
}

export interface Invalidator {
  add(keys: readonly QueryKey[]): void;
  /** Refetch every covered query now (the stream dropped: the fallback polling starts from here). */
  refetchCovered(): void;
  flush(): void;
  dispose(): void;
}

/**
 * Collects keys for `delayMs` and invalidates each distinct one once: a burst of audit events
 * (a flood of denials) costs one refetch of the audit list, not one per event. Invalidation
 * refetches the queries on screen and marks the others stale (refetched when next shown).
 */
export function createInvalidator(client: QueryClient, delayMs = 150): Invalidator {
  const pending = new Map<string, QueryKey>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    const keys = [...pending.values()];
    pending.clear();
    for (const queryKey of keys) void client.invalidateQueries({ queryKey });
  };
  return {
    add(keys) {
      for (const key of keys) pending.set(JSON.stringify(key), key);
      if (timer === undefined && pending.size > 0) timer = setTimeout(flush, delayMs);
    },
    refetchCovered() {
      for (const key of coveredKeys()) pending.set(JSON.stringify(key), key);
      flush();
    },
    flush,
    dispose() {
      clearTimeout(timer);
      timer = undefined;
      pending.clear();
    },
  };
}
